"""performanceStorage type `jsonfile`: a JSON array of records, replaced atomically."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import orjson
from loguru import logger

from simulator.storage.sink import PerformanceRecord, PerformanceStorage


class JsonFileStorage(PerformanceStorage):
    kind = "jsonfile"

    def __init__(self, location: str) -> None:
        super().__init__(location)
        self.path = Path(location)
        self._records: dict[str, PerformanceRecord] = {}

    def _open(self) -> None:
        # Records of earlier runs (other stations, other fleets) stay in the file.
        try:
            loaded = orjson.loads(self.path.read_bytes())
        except FileNotFoundError:
            loaded = []
        except (OSError, orjson.JSONDecodeError) as exc:
            logger.warning("{}: unreadable ({}); it will be replaced", self.path, exc)
            loaded = []
        for document in loaded if isinstance(loaded, list) else []:
            record = PerformanceRecord.from_document(document)
            self._records[record.id] = record

    def _write(self, records: list[PerformanceRecord]) -> None:
        for record in records:
            self._records[record.id] = record
        documents = [record.to_document() for record in self._records.values()]
        data = orjson.dumps(documents, option=orjson.OPT_INDENT_2 | orjson.OPT_UTC_Z)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_name(f".{self.path.name}.tmp")
        with temporary.open("wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        # A reader (or a crash) sees the old file or the new one, never half of one.
        os.replace(temporary, self.path)

    def _read(self) -> list[PerformanceRecord]:
        try:
            loaded: Any = orjson.loads(self.path.read_bytes())
        except FileNotFoundError:
            return []
        return [PerformanceRecord.from_document(document) for document in loaded]

    def _close(self) -> None:
        pass
