"""A worker's journal of its stations' state (issue 16): what persistence.py writes before a
transaction message leaves and once its answer is read, at a cost that follows the message
rather than the station's whole document.

`<state dir>/journal/` holds, for each live worker, `<owner>.lock` (held with flock for as long
as the worker lives, so the kernel releases it when the worker dies, however it dies) and its
segments `<owner>.<n>.jnl`, oldest first. A record is one line of JSON:

- `{"h": hashId, "s": {...}}`: sections of the station's document (station_state.py), each
  whole, as they are now. Laid over the document it had, they give the document it has:
  replaying a record again, or over a document already newer, changes nothing, so a file
  written at any moment (compaction) is never "ahead" of the journal in a way that matters;
- `{"h": hashId, "d": {...}}`: the whole document;
- `{"h": hashId, "x": 1}`: forgotten; the station left the worker with its file written, and
  this journal knows nothing of it up to here.

A line is a record once its newline is on disk: a torn tail (a write cut short) is ignored.

A journal whose owner is gone (a killed worker, a SIGKILLed simulator) is an orphan: the next
process that registers a journal or loads a station adopts it, under the directory's lock,
before it reads any station file: each station's records are laid over its file, the file
written, the segments and the lock file deleted. A live worker's journal is never read by
another: a station moves between workers only by being removed (its file written, then
forgotten) or by its worker dying (its journal then adopted before the station is loaded).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from loguru import logger

JOURNAL_DIRECTORY = "journal"
SEGMENT_SUFFIX = ".jnl"
LOCK_SUFFIX = ".lock"

# A station's records by hashId, oldest first, from its last "forgotten" on.
Records = dict[str, list[dict[str, Any]]]
# Writes what an orphan journal holds of each station (persistence.py: over its file).
Adopt = Callable[[Records], None]


def sections_record(hash_id: str, fields: bytes) -> bytes:
    """`fields`: `"name":value` pairs, comma-separated (StateDocument.changes)."""
    return b'{"h":' + orjson.dumps(hash_id) + b',"s":{' + fields + b"}}\n"


def document_record(hash_id: str, document: bytes) -> bytes:
    return b'{"h":' + orjson.dumps(hash_id) + b',"d":' + document + b"}\n"


def forgotten_record(hash_id: str) -> bytes:
    return b'{"h":' + orjson.dumps(hash_id) + b',"x":1}\n'


def read_records(path: Path) -> Iterator[dict[str, Any]]:
    """The records of a segment in order; what follows its last newline is a torn tail."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        logger.warning("{}: journal segment not readable ({})", path, exc)
        return
    lines = data.split(b"\n")
    for number, line in enumerate(lines[:-1], 1):
        try:
            record = orjson.loads(line)
        except orjson.JSONDecodeError:
            logger.warning("{}: line {} of the journal is not a record; skipped", path, number)
            continue
        if isinstance(record, dict) and isinstance(record.get("h"), str):
            yield record


def by_station(records: Iterator[dict[str, Any]]) -> Records:
    """Each station's records from its last "forgotten" on (an empty list: forgotten last)."""
    stations: Records = {}
    for record in records:
        kept = stations.setdefault(record["h"], [])
        if "x" in record:
            kept.clear()
        else:
            kept.append(record)
    return stations


def replay(document: dict[str, Any] | None, records: list[dict[str, Any]]) -> dict[str, Any]:
    """The document the records leave over `document` (a station's file, None: none)."""
    state = dict(document or {})
    for record in records:
        whole = record.get("d")
        if isinstance(whole, dict):
            state = dict(whole)
        sections = record.get("s")
        if isinstance(sections, dict):
            state.update(sections)
    return state


@contextlib.contextmanager
def directory_lock(directory: Path) -> Iterator[None]:
    """The journal directory locked (flock on the directory itself: no file to leave behind)
    while a process registers its journal or adopts orphans."""
    directory.mkdir(parents=True, exist_ok=True)
    fd = os.open(directory, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock


def segments_of(directory: Path, owner: str) -> list[Path]:
    def number(path: Path) -> int:
        return int(path.name[len(owner) + 1 : -len(SEGMENT_SUFFIX)])

    return sorted(directory.glob(f"{owner}.*{SEGMENT_SUFFIX}"), key=number)


def _owner_of(path: Path) -> str:
    return path.name.split(".", 1)[0]


def adopt_orphans(directory: Path, adopt: Adopt) -> int:
    """Lay every orphan journal in `directory` over the station files (`adopt`) and delete it;
    the caller holds the directory lock. The number adopted."""
    if not directory.is_dir():
        return 0
    owners = {
        _owner_of(path)
        for path in directory.iterdir()
        if path.name.endswith((SEGMENT_SUFFIX, LOCK_SUFFIX))
    }
    adopted = 0
    for owner in sorted(owners):
        lock = directory / f"{owner}{LOCK_SUFFIX}"
        fd = None
        with contextlib.suppress(FileNotFoundError):
            fd = os.open(lock, os.O_RDONLY)
        try:
            if fd is not None:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    continue  # its worker lives
            segments = segments_of(directory, owner)
            adopt(by_station(record for path in segments for record in read_records(path)))
            for path in segments:
                path.unlink(missing_ok=True)
            lock.unlink(missing_ok=True)
            adopted += 1
            logger.info("Journal {} of a stopped worker laid over its stations' files", owner)
        finally:
            if fd is not None:
                os.close(fd)
    return adopted


@dataclass(slots=True)
class Segment:
    path: Path
    fd: int
    size: int = 0
    stations: set[str] = field(default_factory=set)  # those with a record in it


class Journal:
    """One worker's journal: records appended to a buffer, written by one os.write (`write`)
    when a station awaits its state or the store's timer fires; segments rotated by the store
    once full, each deleted once its stations' files are written (`retire`)."""

    def __init__(self, directory: Path, adopt: Adopt) -> None:
        """Registers the journal: orphans adopted first, under the directory's lock."""
        self.directory = directory
        with directory_lock(directory):
            adopt_orphans(directory, adopt)
            self.owner = f"{os.getpid()}-{secrets.token_hex(4)}"
            self._lock = directory / f"{self.owner}{LOCK_SUFFIX}"
            self._lock_fd = os.open(self._lock, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            fcntl.flock(self._lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        self._number = 0
        self.sealed: list[Segment] = []
        self.current = self._open_segment()
        self._buffer: list[bytes] = []
        self._torn = False  # a write failed: the segment may end in part of a line

    def _open_segment(self) -> Segment:
        self._number += 1
        path = self.directory / f"{self.owner}.{self._number}{SEGMENT_SUFFIX}"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        return Segment(path, fd)

    @property
    def pending(self) -> bool:
        return bool(self._buffer)

    def holds(self, hash_id: str) -> bool:
        """A record of the station is in a segment not deleted yet."""
        return hash_id in self.current.stations or any(
            hash_id in segment.stations for segment in self.sealed
        )

    def append(self, hash_id: str, record: bytes) -> None:
        self._buffer.append(record)
        self.current.stations.add(hash_id)

    def write(self) -> bool:
        """What the buffer holds, in one system call (a group of records: all or a prefix of
        them survives a kill). False when it could not be written (logged)."""
        if not self._buffer:
            return True
        data = b"".join(self._buffer)
        self._buffer.clear()
        try:
            if self._torn:
                self._seal()  # what follows a torn line must not be read as part of it
                self._torn = False
            segment = self.current
            view = memoryview(data)
            while view:
                written = os.write(segment.fd, view)
                view = view[written:]
                segment.size += written
        except OSError as exc:
            logger.error("{}: station state not written: {}", self.current.path, exc)
            self._torn = True
            return False
        return True

    def rotate(self) -> None:
        """A new segment for the records from now on; the full one sealed."""
        self.write()
        self._seal()

    def _seal(self) -> None:
        segment = self._open_segment()
        self.sealed.append(self.current)
        self.current = segment

    def retire(self, segment: Segment) -> None:
        """The segment's stations have their files written since its last record: deleted."""
        self.sealed.remove(segment)
        os.close(segment.fd)
        segment.path.unlink(missing_ok=True)

    def stations(self) -> set[str]:
        """The stations with a record in a segment not deleted yet."""
        stations = set(self.current.stations)
        for segment in self.sealed:
            stations |= segment.stations
        return stations

    def close(self) -> None:
        """Every station's file written (the caller's part): the journal deleted."""
        for segment in [*self.sealed, self.current]:
            os.close(segment.fd)
            segment.path.unlink(missing_ok=True)
        self.sealed = []
        self._lock.unlink(missing_ok=True)
        os.close(self._lock_fd)


__all__ = [
    "JOURNAL_DIRECTORY",
    "Adopt",
    "Journal",
    "Records",
    "Segment",
    "adopt_orphans",
    "by_station",
    "directory_lock",
    "document_record",
    "forgotten_record",
    "read_records",
    "replay",
    "sections_record",
]
