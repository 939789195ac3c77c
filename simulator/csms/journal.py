"""The bundled CSMS's journal of answered CALLs: one JSON line per CALL a station sent, written
to the file (os.write on an O_APPEND descriptor) before its CALLRESULT leaves, so that a CSMS
process killed at any instant has on disk every message it acknowledged; a message written but
whose answer never left is one the station sends again. Restarted on the same file, the CSMS
appends to it: the journal then holds what every run of the CSMS acknowledged, in order.

What a real CSMS keeps in its database and evsim's fault tests read back (`read`) to check a
fleet against a CSMS that was SIGKILLed. A CALL answered with a CALLERROR is written too, with
the error's code (`refused`): a test can tell it was sent, and why it did not count.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson


@dataclass(frozen=True, slots=True)
class JournalEntry:
    station_id: str
    ocpp_version: str
    action: str
    payload: dict[str, Any]
    received_at: str  # ISO 8601 UTC, when the CSMS received the CALL
    refused: str | None = None  # the CALLERROR code it was answered with


class Journal:
    __slots__ = ("_fd", "path")

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    def open(self) -> None:
        """Raises OSError when the file cannot be opened for appending."""
        if self._fd is None:
            self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)

    def close(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)

    def write(self, entry: JournalEntry) -> None:
        """One line, in one write: a kill leaves it whole or leaves a torn last line that
        `read` skips."""
        if self._fd is None:
            return
        fields = [entry.station_id, entry.ocpp_version, entry.action, entry.payload]
        fields.append(entry.received_at)
        if entry.refused is not None:
            fields.append(entry.refused)
        line = orjson.dumps(fields)
        os.write(self._fd, line + b"\n")


def read(path: Path) -> Iterator[JournalEntry]:
    """The journal's entries, oldest first; a line a kill tore (the last) is skipped."""
    with path.open("rb") as file:
        for line in file:
            if not line.endswith(b"\n"):
                return
            try:
                station_id, version, action, payload, at, *refused = orjson.loads(line)
            except (orjson.JSONDecodeError, ValueError):
                continue
            code = str(refused[0]) if refused else None
            yield JournalEntry(
                str(station_id), str(version), str(action), dict(payload), str(at), code
            )


__all__ = ["Journal", "JournalEntry", "read"]
