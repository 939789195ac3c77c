"""performanceStorage type `sqlite`: a table per record kind in one SQLite file (stdlib)."""

from __future__ import annotations

import sqlite3
from datetime import datetime
from pathlib import Path

import orjson

from simulator.storage.sink import PerformanceRecord, PerformanceStorage

_SCHEMA = """
CREATE TABLE IF NOT EXISTS performance_records (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    uri TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    statistics_data TEXT NOT NULL
)
"""

_UPSERT = """
INSERT INTO performance_records (id, name, uri, created_at, updated_at, statistics_data)
VALUES (?, ?, ?, ?, ?, ?)
ON CONFLICT(id) DO UPDATE SET
    name = excluded.name,
    uri = excluded.uri,
    updated_at = excluded.updated_at,
    statistics_data = excluded.statistics_data
"""


class SqliteStorage(PerformanceStorage):
    kind = "sqlite"

    def __init__(self, location: str) -> None:
        super().__init__(location)
        self.path = Path(location)
        self._connection: sqlite3.Connection | None = None

    def _db(self) -> sqlite3.Connection:
        if self._connection is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # Created on the sink's thread, and only ever used there.
            self._connection = sqlite3.connect(self.path)
            self._connection.execute(_SCHEMA)
            self._connection.commit()
        return self._connection

    def _open(self) -> None:
        self._db()

    def _write(self, records: list[PerformanceRecord]) -> None:
        db = self._db()
        with db:
            db.executemany(
                _UPSERT,
                [
                    (
                        r.id,
                        r.name,
                        r.uri,
                        r.created_at.isoformat(),
                        r.updated_at.isoformat(),
                        orjson.dumps(r.statistics_data).decode(),
                    )
                    for r in records
                ],
            )

    def _read(self) -> list[PerformanceRecord]:
        rows = self._db().execute(
            "SELECT id, name, uri, created_at, updated_at, statistics_data"
            " FROM performance_records ORDER BY id"
        )
        return [
            PerformanceRecord(
                id=row[0],
                name=row[1],
                uri=row[2],
                created_at=datetime.fromisoformat(row[3]),
                updated_at=datetime.fromisoformat(row[4]),
                statistics_data=orjson.loads(row[5]),
            )
            for row in rows
        ]

    def _close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None
