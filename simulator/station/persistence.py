"""Station state on disk: `<state dir>/configurations/<hashId>.json`, one file per station,
and the worker's journal of the changes since (journal.py).

One store per worker process, on its loop. A station marks itself changed; its record is taken
at the next write. A station that must not act before its state is on disk awaits `flushed`: a
transaction message about to be sent (written ahead, so a restart never forgets what the CSMS
was told), and the CSMS's answer to one (`at_once`, so a restart never sends again what the
CSMS answered, but for the instant between reading the answer and writing it). `flushed` writes
then and there, with every other pending change, when the station has an urgent change not yet
on disk; an urgent change nobody awaits is written within `debounce`, the others within `lazy`.
Every write is on the loop: no hop to a thread and no timer of its own (issue 16: the hop and
the debounce cost more than the write), and no older state can land after a newer one.

A write is one record per station changed, the sections the change touched
(station_state.StateDocument.changes: a MeterValues touches the connectors and the queue, not
the configuration keys that are most of a document), all of them appended to the journal by
one os.write: on disk for a killed process once the call returns (no fsync: a power cut is not
covered, as it was not before). A station's first change writes its file whole instead, so the
file exists from its start. Once the journal's segment is full, its stations' files are written
whole (COMPACT_SLICE a loop turn) and it is deleted: the journal stays within about two
segments, SEGMENT_BYTES_PER_STATION a station. A record holds its sections whole, so laying it
over a file written after it changes nothing: files may be written at any time (compaction, a
station's removal, the worker's stop) without any marker of the journal's position. A restart
(`load_state`) lays the journals of workers that are gone over the files first.
`python -m bench.persist_cost` (500 stations of mv-1000 in one process, in-memory CSMS):
persistence 61 us CPU a MeterValues round trip (169-201 us with it, 100-132 us without) against
82 us (177-224) for the document written whole at each write, and 124-142 us for the batches on
a thread this store replaced.

Each file is written in place, through a descriptor kept open, by one pwrite of the whole
document padded with spaces to the file's length: one system call, which a SIGKILL cannot cut
in two, so a killed process leaves the old document or the new one (JSON allows the trailing
spaces). `python -m bench.state_write` on this project's machine: 1.5 us a write of a 5 KB
state, against 250 us (160x) for a temporary file renamed over the old one. Where no
descriptor can be kept (the open-file limit), the rename is used.
"""

from __future__ import annotations

import asyncio
import errno
import os
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from loguru import logger

from simulator.atomic_file import write_atomic
from simulator.station.journal import (
    JOURNAL_DIRECTORY,
    Journal,
    Records,
    Segment,
    adopt_orphans,
    directory_lock,
    document_record,
    forgotten_record,
    replay,
    sections_record,
)

DEFAULT_DEBOUNCE_SECONDS = 0.2
# Changes nobody waits for (a delivered message leaving the queue, a configuration key, the
# meters at a stop) are written within this, or with the next urgent write.
DEFAULT_LAZY_SECONDS = 10.0
DEFAULT_MAX_OPEN_FILES = 1024
# The journal is compacted (its stations' files written, its full segment deleted) once its
# segment holds this much a station: about ten MeterValues round trips of a station (a record
# before the message, one after its answer), so that a station's document is encoded once
# every ten messages rather than twice a message.
SEGMENT_BYTES_PER_STATION = 32 * 1024
MIN_SEGMENT_BYTES = 4 * 1024 * 1024
COMPACT_SLICE = 64  # station files written a loop turn while compacting

# The station's document, or its JSON already encoded (station_state.StateDocument).
Snapshot = Callable[[], dict[str, Any] | bytes]


def _encoded(snapshot: Snapshot) -> bytes:
    document = snapshot()
    return document if isinstance(document, bytes) else orjson.dumps(document)


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


def load_state(state_dir: Path, hash_id: str) -> dict[str, Any] | None:
    """The station's state as a previous run, a killed worker or a stopped store left it: the
    journals of workers that are gone laid over the station files first (journal.py)."""
    adopt_journals(state_dir)
    return read_state(state_path(state_dir, hash_id))


def delete_state(state_dir: Path, hash_id: str) -> None:
    """The station's state deleted for good: no journal of a worker that is gone may bring
    it back afterwards (a live worker's holds nothing of a station it no longer has)."""
    adopt_journals(state_dir)
    state_path(state_dir, hash_id).unlink(missing_ok=True)


def adopt_journals(state_dir: Path) -> None:
    directory = state_dir / JOURNAL_DIRECTORY
    if directory.is_dir():
        with directory_lock(directory):
            adopt_orphans(directory, lambda records: _lay_over_files(state_dir, records))


def _lay_over_files(state_dir: Path, records: Records) -> None:
    """An orphan journal's records laid over the station files (any thread: descriptors of
    its own, since the stations are nobody's yet)."""
    files = OpenFiles()
    try:
        batch = []
        for hash_id, kept in records.items():
            if kept:
                path = state_path(state_dir, hash_id)
                batch.append((path, orjson.dumps(replay(read_state(path), kept))))
        _write_batch(state_dir / "configurations", files, batch)
    finally:
        files.close_all()


class OpenFiles:
    """The descriptors of the station files of one store, and their lengths, the most recently
    written `max_open` kept open (a worker's stations also need a socket each, and the open-file
    limit is often 20,000 or less: opening an existing file costs a few microseconds, a
    rename a hundred). Used by one thread at a time (the store writes one batch at a time)."""

    def __init__(self, max_open: int = DEFAULT_MAX_OPEN_FILES) -> None:
        self._open: OrderedDict[Path, tuple[int, int]] = OrderedDict()
        self._closing: list[Path] = []
        self._max_open = max_open

    def write(self, path: Path, data: bytes) -> None:
        entry = self._open.get(path)
        if entry is None:
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o644)
            except OSError as exc:
                if exc.errno != errno.EMFILE:
                    raise
                write_atomic(path, data)  # out of descriptors: the slower way
                return
            entry = (fd, os.fstat(fd).st_size)
        fd, length = entry
        os.pwrite(fd, data.ljust(length), 0)
        if length > 2 * len(data) + 4096:
            os.ftruncate(fd, len(data))  # the document is whole already: safe to cut
            length = len(data)
        self._open[path] = (fd, max(length, len(data)))
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


def _write_batch(directory: Path, files: OpenFiles, batch: list[tuple[Path, bytes]]) -> bool:
    """Each document to its file; False when one was not written (logged)."""
    files.close_pending()
    written = True
    for path, data in batch:
        try:
            try:
                files.write(path, data)
            except FileNotFoundError:
                directory.mkdir(parents=True, exist_ok=True)  # the first write, or deleted
                files.write(path, data)
        except OSError as exc:
            logger.error("{}: station state not written: {}", path, exc)
            written = False
    return written


# A station's changed sections since its last record (StateDocument.changes: `full`, all of
# them); None: a section came or went, the whole document is recorded instead.
Sections = Callable[[bool], bytes | None]


@dataclass(slots=True)
class _Source:
    snapshot: Snapshot
    sections: Sections | None


class StateStore:
    def __init__(
        self,
        state_dir: Path,
        *,
        debounce: float = DEFAULT_DEBOUNCE_SECONDS,
        lazy: float = DEFAULT_LAZY_SECONDS,
        write_ahead: bool = True,
        segment_bytes: int | None = None,
    ) -> None:
        """`write_ahead` false (config.json stateWriteAhead): nothing is urgent, every change
        is written lazily and `flushed` never waits. `segment_bytes`: the journal's segments
        are compacted once this long (default: SEGMENT_BYTES_PER_STATION a station)."""
        self.directory = state_dir / "configurations"
        self.write_ahead = write_ahead
        self._debounce = debounce
        self._lazy = lazy
        self._segment_bytes = segment_bytes
        self._dirty: dict[str, _Source] = {}
        self._sources: dict[str, _Source] = {}  # every station this store holds
        self._journaled: set[str] = set()  # whose records in the journal hold every section
        self._paths: dict[str, Path] = {}
        self._generation = 0  # bumped by every change
        self._written = 0  # every change up to this generation is on disk
        self._marked: dict[str, int] = {}  # per station, the generation of its last urgent change
        self._timer: asyncio.TimerHandle | None = None
        self._due = 0.0  # loop time the timer fires
        self._written_event = asyncio.Event()  # set by the next write, then replaced
        self._files = OpenFiles()
        self._compacting: tuple[list[Segment], list[str]] | None = None
        self._closed = False
        self._journal = _open_journal(state_dir)
        self.writes = 0  # records and whole documents written

    def path(self, hash_id: str) -> Path:
        path = self._paths.get(hash_id)
        if path is None:
            path = self._paths[hash_id] = state_path(self.directory.parent, hash_id)
        return path

    async def load(self, hash_id: str) -> dict[str, Any] | None:
        """The station's state as a previous run or a killed worker left it: orphan journals
        laid over the files first."""
        return await asyncio.to_thread(self._load, hash_id)

    def _load(self, hash_id: str) -> dict[str, Any] | None:
        return load_state(self.directory.parent, hash_id)

    def changed(
        self,
        hash_id: str,
        snapshot: Snapshot,
        *,
        sections: Sections | None = None,
        urgent: bool = False,
        at_once: bool = False,
    ) -> None:
        """The station's state changed: its record is taken at the next write: when somebody
        awaits `flushed` for an `urgent` change (else within `debounce` seconds), within `lazy`
        for the others; `at_once` (urgent too): now. `snapshot`: the whole document;
        `sections`: the sections changed (journaled alone when given)."""
        if self._closed:
            return
        self._generation += 1
        self._dirty[hash_id] = self._sources[hash_id] = _Source(snapshot, sections)
        if (urgent or at_once) and self.write_ahead:
            self._marked[hash_id] = self._generation
            if at_once:
                self._write()
            else:
                self._schedule(self._debounce)
        else:
            self._schedule(self._lazy)

    def forget(self, hash_id: str) -> None:
        """The station leaves the worker: its file written whole, then its records forgotten,
        so that another worker may load it from the file."""
        self._write()
        source = self._sources.pop(hash_id, None)
        path = self.path(hash_id)
        journal = self._journal
        if source is not None and self._write_files([(hash_id, source)]) and journal is not None:
            journal.append(hash_id, forgotten_record(hash_id))
            journal.write()
        self._marked.pop(hash_id, None)
        self._journaled.discard(hash_id)
        self._files.close(path)
        self._files.close_pending()
        self._paths.pop(hash_id, None)

    async def flushed(self, hash_id: str) -> None:
        """Until every urgent change of the station so far is on disk: with the next write,
        within `debounce`, which every station waiting meanwhile shares."""
        while self._marked.get(hash_id, 0) > self._written and not self._closed:
            await self._written_event.wait()

    async def close(self) -> None:
        """Every station's file written, the journal deleted (the worker is stopping)."""
        if self._closed:
            return
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._write()
        journal = self._journal
        if journal is not None:
            held = journal.stations()
            if self._write_files([(h, s) for h, s in self._sources.items() if h in held]):
                journal.close()  # else left to be laid over the files at the next start
        self._closed = True
        self._compacting = None
        self._files.close_all()
        self._written_event.set()

    def _schedule(self, delay: float) -> None:
        """A write within `delay` seconds. One timer for the store, left to fire when a write
        at need came first (it then finds nothing, or the changes made since): a message
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

    def _write(self) -> None:
        """A record of every station changed, written in one system call, on the loop; the
        stations that wait for it woken."""
        self._written = self._generation
        written, self._written_event = self._written_event, asyncio.Event()
        written.set()
        if not self._dirty or self._closed:
            return
        dirty, self._dirty = self._dirty, {}
        journal = self._journal
        fresh: list[tuple[str, _Source]] = []
        for hash_id, source in dirty.items():
            if journal is None or (hash_id not in self._journaled and not journal.holds(hash_id)):
                fresh.append((hash_id, source))
                continue
            try:
                record = self._record(hash_id, source)
            except Exception:
                logger.opt(exception=True).error("State of {} not serializable", hash_id)
                continue
            if record is not None:
                journal.append(hash_id, record)
                self.writes += 1
        if fresh:
            self._start_journaling(fresh)
        if journal is None:
            return
        if not journal.write():
            self._journaled.clear()  # what the failed write held: whole in the next records
        if self._compacting is None and journal.current.size > self._segment_limit():
            self._start_compaction()

    def _start_journaling(self, sources: list[tuple[str, _Source]]) -> None:
        """The first change of a station the journal holds nothing of: its file written
        whole (the file exists from the station's start, as the seed's does), its next
        changes journaled over it. A station without `sections` is always written so."""
        for hash_id, source in sources:
            if source.sections is not None and self._journal is not None:
                try:
                    source.sections(True)  # the sections the file holds, for the next changes
                except Exception:
                    logger.opt(exception=True).error("State of {} not serializable", hash_id)
                    continue
                self._journaled.add(hash_id)
        self._write_files(sources)
        self.writes += len(sources)

    def _record(self, hash_id: str, source: _Source) -> bytes | None:
        """The station's sections changed since its last record; its whole document when the
        journal may lack some (a failed write) or a section came or went."""
        fields = None
        if source.sections is not None:
            fields = source.sections(hash_id not in self._journaled)
            self._journaled.add(hash_id)
        if fields is None:
            return document_record(hash_id, _encoded(source.snapshot))
        return sections_record(hash_id, fields) if fields else None

    # -- compaction -------------------------------------------------------------------------

    def _segment_limit(self) -> int:
        if self._segment_bytes is not None:
            return self._segment_bytes
        return max(MIN_SEGMENT_BYTES, SEGMENT_BYTES_PER_STATION * len(self._sources))

    def _start_compaction(self) -> None:
        journal = self._journal
        if journal is None:
            return
        journal.rotate()
        sealed = list(journal.sealed)
        stations = set().union(*(segment.stations for segment in sealed))
        self._compacting = (sealed, sorted(stations))
        asyncio.get_running_loop().call_soon(self._compact)

    def _compact(self) -> None:
        """The sealed segments' stations written to their files, COMPACT_SLICE a loop turn
        (their records first, so that a file holds nothing the journal lacks); the segments
        deleted once they all are."""
        if self._compacting is None or self._journal is None:
            return
        sealed, stations = self._compacting
        self._write()
        now, later = stations[:COMPACT_SLICE], stations[COMPACT_SLICE:]
        if not self._write_files([(h, s) for h in now if (s := self._sources.get(h)) is not None]):
            self._compacting = None  # kept: compacted again with the next full segment
            return
        if later:
            self._compacting = (sealed, later)
            asyncio.get_running_loop().call_soon(self._compact)
            return
        self._compacting = None
        for segment in sealed:
            self._journal.retire(segment)

    def _write_files(self, sources: list[tuple[str, _Source]]) -> bool:
        """The stations' documents written whole to their files; False when one was not."""
        batch = []
        for hash_id, source in sources:
            try:
                batch.append((self.path(hash_id), _encoded(source.snapshot)))
            except Exception:
                logger.opt(exception=True).error("State of {} not serializable", hash_id)
        return _write_batch(self.directory, self._files, batch) and len(batch) == len(sources)


def _open_journal(state_dir: Path) -> Journal | None:
    """The worker's journal, orphans adopted; None (every write whole, to the files) when the
    state directory does not allow one (logged)."""
    try:
        return Journal(
            state_dir / JOURNAL_DIRECTORY, lambda records: _lay_over_files(state_dir, records)
        )
    except OSError as exc:
        logger.error("{}: no journal of station state ({}); files written whole", state_dir, exc)
        return None
