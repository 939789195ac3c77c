"""Station state on disk: `<state dir>/configurations/<hashId>.json`, one file per station.

One store per worker process, everything on its loop (issue 16: no hop to a thread). A station
marks itself changed; its snapshot is taken at the next write. A station that must not act
before its state is on disk awaits `flushed`: a transaction message about to be sent (written
ahead, so a restart never forgets what the CSMS was told). An urgent change is written with the
next write, within `debounce`, one write for every station changed meanwhile, which wakes every
station waiting for it together: their messages then leave in the same loop turns (measured,
issue 16: writing each message's state at once, as soon as its sender asked, cost a loop turn
and a wakeup of the worker per message, more CPU than the write it saved waiting for). The
CSMS's answer to a transaction message (`at_once`) is written there and then, so that a
restart never sends again what the CSMS answered, but for the instant between reading the
answer and writing it. Other changes are written within `lazy`, or with the next write. No
older snapshot can land after a newer one: every write is made by the loop, in order.

A station's snapshot is its document already encoded, in which only the sections changed since
the last one are encoded anew (station_state.StateDocument), in two parts: the fixed part first
(the configuration keys, most of its bytes, seldom change), then what a transaction message
changes. Each file is written in place, through a descriptor kept open, by one pwrite padded
with spaces to the file's length: of the moving part alone, after the fixed part, where the file
holds that fixed part already; else of the whole document (the fixed part's pieces, most of
them shared by the stations of a template, joined for that write only). One system call,
which a SIGKILL cannot cut in two, so a killed process leaves the old document or the new one
(JSON allows the trailing spaces). `python -m bench.state_write` on this project's machine
(2026-12-04, three runs): 3.6-6.0 us a write of the moving part, 8.4-10.4 us of a whole 5 KB
document (its ~60 pieces joined), against 390-700 us for a temporary file renamed over the old
one, which a fleet writing on every transaction message cannot afford. Like the rename (without
fsync) it protects against a killed process, not a power cut. Where no descriptor can be kept
(the open-file limit), the rename is used.

A journal of the sections each change touched, appended by one write a group and compacted
into these files, was built and measured for issue 16 (branch history): no gain, since a
record must encode the same moving sections (connectors, queue) as the document, which are
most of its cost; see `python -m bench.persist_cost`.
"""

from __future__ import annotations

import asyncio
import errno
import os
import time
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
from loguru import logger

from simulator.atomic_file import write_atomic

DEFAULT_DEBOUNCE_SECONDS = 0.2
# Changes nobody waits for (a delivered message leaving the queue, a configuration key, the
# meters at a stop) are written within this, or with the next urgent write.
DEFAULT_LAZY_SECONDS = 10.0
DEFAULT_MAX_OPEN_FILES = 1024
# The longest a write holds the loop for changes nobody waits for (StateStore._write).
TURN_SECONDS = 0.01

# A document's fixed part, in the pieces it joins (station_state.StateDocument.parts).
Fixed = tuple[bytes, ...]
# The station's document, or its JSON already encoded, whole or as its fixed part and the
# rest.
Snapshot = Callable[[], dict[str, Any] | bytes | tuple[Fixed, bytes]]


def _joined(fixed: Fixed | None, data: bytes) -> bytes:
    return data if fixed is None else b"".join((*fixed, data))


def _encoded(snapshot: Snapshot) -> tuple[Fixed | None, bytes]:
    """The document as its fixed part (None: none known) and the rest."""
    document = snapshot()
    if isinstance(document, tuple):
        return document
    return None, document if isinstance(document, bytes) else orjson.dumps(document)


def state_path(state_dir: Path, hash_id: str) -> Path:
    return state_dir / "configurations" / f"{hash_id}.json"


def read_state(path: Path) -> dict[str, Any] | None:
    """The persisted state, or None when there is none or it cannot be read (logged)."""
    try:
        data = orjson.loads(path.read_bytes())
    except FileNotFoundError:
        return None
    except (OSError, orjson.JSONDecodeError) as exc:
        logger.warning("{}: persisted station state not readable ({}); starting afresh", path, exc)
        return None
    if not isinstance(data, dict):
        logger.warning("{}: persisted station state is not an object; starting afresh", path)
        return None
    return data


class OpenFiles:
    """The descriptors of the station files of one store, and their lengths, the most recently
    written `max_open` kept open (a worker's stations also need a socket each, and the open-file
    limit is often 20,000 or less: opening an existing file costs a few microseconds, a
    rename a hundred). Used by the store's loop only."""

    def __init__(self, max_open: int = DEFAULT_MAX_OPEN_FILES) -> None:
        # Per file: its descriptor, its length, and the fixed part last written at its start
        # with that part's length.
        self._open: OrderedDict[Path, tuple[int, int, Fixed | None, int]] = OrderedDict()
        self._closing: list[Path] = []
        self._max_open = max_open

    def write(self, path: Path, data: bytes, fixed: Fixed | None = None) -> None:
        """The document `data`, or the fixed part's pieces then `data` where they are given:
        where the file starts with that fixed part (that very tuple, written there last), only
        `data` is written, after it; else all of it (no joined copy kept)."""
        entry = self._open.get(path)
        if entry is None:
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o644)
            except OSError as exc:
                if exc.errno != errno.EMFILE:
                    raise
                write_atomic(path, _joined(fixed, data))  # the slower way
                return
            entry = (fd, os.fstat(fd).st_size, None, 0)
        fd, length, written, offset = entry
        if fixed is None:
            offset = 0
            os.pwrite(fd, data.ljust(length), 0)
        elif fixed is written:
            os.pwrite(fd, data.ljust(length - offset), offset)
        else:
            offset = sum(map(len, fixed))
            # Joined for the write and let go: a pwritev of the pieces measured slower (6.6 us
            # against 4.9 us for a 5 KB document of ~60 pieces, bench.state_write).
            os.pwrite(fd, b"".join((*fixed, data.ljust(length - offset))), 0)
        end = offset + len(data)
        if length > 2 * end + 4096:
            os.ftruncate(fd, end)  # the document is whole already: safe to cut
            length = end
        self._open[path] = (fd, max(length, end), fixed, offset)
        self._open.move_to_end(path)
        while len(self._open) > self._max_open:
            os.close(self._open.popitem(last=False)[1][0])

    def close(self, path: Path) -> None:
        self._closing.append(path)

    def close_pending(self) -> None:
        closing, self._closing = self._closing, []
        for path in closing:
            entry = self._open.pop(path, None)
            if entry is not None:
                os.close(entry[0])

    def close_all(self) -> None:
        self._closing.extend(self._open)
        self.close_pending()


def _write_file(directory: Path, files: OpenFiles, path: Path, snapshot: Snapshot) -> bool:
    """False when the snapshot could not be encoded (logged); a failed write is logged too."""
    try:
        fixed, data = _encoded(snapshot)
    except Exception:
        logger.opt(exception=True).error("{}: station state not serializable", path)
        return False
    try:
        try:
            files.write(path, data, fixed)
        except FileNotFoundError:
            directory.mkdir(parents=True, exist_ok=True)  # the first write, or deleted
            files.write(path, data, fixed)
    except OSError as exc:
        logger.error("{}: station state not written: {}", path, exc)
    return True


class StateStore:
    def __init__(
        self,
        state_dir: Path,
        *,
        debounce: float = DEFAULT_DEBOUNCE_SECONDS,
        lazy: float = DEFAULT_LAZY_SECONDS,
        write_ahead: bool = True,
    ) -> None:
        """`write_ahead` false (config.json stateWriteAhead): nothing is urgent, every change
        is written lazily and `flushed` never waits."""
        self.directory = state_dir / "configurations"
        self.write_ahead = write_ahead
        self._debounce = debounce
        self._lazy = lazy
        self._dirty: dict[str, Snapshot] = {}
        self._paths: dict[str, Path] = {}
        self._generation = 0  # bumped by every change
        self._written = 0  # every urgent change up to this generation is on disk
        self._marked: dict[str, int] = {}  # per station, the generation of its last urgent change
        self._timer: asyncio.TimerHandle | None = None
        self._due = 0.0  # loop time the timer fires
        self._written_event = asyncio.Event()  # set by the next write, then replaced
        self._closed = False
        self._files = OpenFiles()
        self.writes = 0

    def path(self, hash_id: str) -> Path:
        path = self._paths.get(hash_id)
        if path is None:
            path = self._paths[hash_id] = state_path(self.directory.parent, hash_id)
        return path

    def load(self, hash_id: str) -> dict[str, Any] | None:
        """Read on the loop, like every write: a state file is a few KB, read in tens of
        microseconds, while a hop to a thread waits for the loop's next turn, which a worker
        adding thousands of stations one after the other (their sessions starting meanwhile)
        paid per station: 10,000 booted in 23-24 s against 14 s (bootprof, issue 16)."""
        return read_state(self.path(hash_id))

    def changed(
        self, hash_id: str, snapshot: Snapshot, *, urgent: bool = False, at_once: bool = False
    ) -> None:
        """The station's state changed: `snapshot` is taken at the next write, within
        `debounce` seconds when `urgent` (somebody awaits `flushed`), else within `lazy`;
        `at_once` (urgent too): now."""
        if self._closed:
            return
        self._generation += 1
        self._dirty[hash_id] = snapshot
        if (urgent or at_once) and self.write_ahead:
            self._marked[hash_id] = self._generation
            if at_once:
                self._write()
            else:
                self._schedule(self._debounce)
        else:
            self._schedule(self._lazy)

    def forget(self, hash_id: str) -> None:
        self._dirty.pop(hash_id, None)
        self._marked.pop(hash_id, None)
        self._files.close(self.path(hash_id))
        self._files.close_pending()
        self._paths.pop(hash_id, None)

    async def flushed(self, hash_id: str) -> None:
        """Until every urgent change of the station so far is on disk: with the next write,
        which every station waiting meanwhile shares."""
        while self._marked.get(hash_id, 0) > self._written and not self._closed:
            await self._written_event.wait()

    async def close(self) -> None:
        """Write what is pending now (the worker is stopping)."""
        if self._closed:
            return
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._write(everything=True)
        self._closed = True
        self._files.close_all()
        self._written_event.set()

    def _schedule(self, delay: float) -> None:
        """A write within `delay` seconds. One timer for the store, left to fire when an
        answer's write came first (it then writes the changes made since, if any): a message
        does not pay a timer of its own."""
        loop = asyncio.get_running_loop()
        due = loop.time() + delay
        if self._timer is not None:
            if self._due <= due:
                return
            self._timer.cancel()
        self._due = due
        self._timer = loop.call_at(due, self._on_timer)

    def _on_timer(self) -> None:
        self._timer = None
        self._write()

    def _write(self, *, everything: bool = False) -> None:
        """The pending changes, on the loop: a snapshot and one pwrite a station (a few
        microseconds each, tens for a new file); the stations that wait for it woken. Changes
        nobody waits for are written for at most `TURN_SECONDS`, the rest in the next turns
        (`everything`: all of them now): a worker's first lazy write creates thousands of
        files, which held its loop for 0.4 s at 5,000 (seconds where many files were deleted
        a minute before: ext4 without a journal passes over recently freed inodes one by one)."""
        urgent_up_to = self._written
        self._written = self._generation
        written, self._written_event = self._written_event, asyncio.Event()
        written.set()
        if not self._dirty or self._closed:
            return
        dirty, self._dirty = self._dirty, {}
        self._files.close_pending()
        deadline = time.perf_counter() + TURN_SECONDS
        over = False  # checked after a write: every turn writes one at least
        for hash_id, snapshot in dirty.items():
            if over and self._marked.get(hash_id, 0) <= urgent_up_to:
                self._dirty[hash_id] = snapshot  # nobody waits for it: the next turn
                continue
            self.writes += _write_file(self.directory, self._files, self.path(hash_id), snapshot)
            over = not everything and time.perf_counter() > deadline
        if self._dirty:
            self._schedule(0.0)
