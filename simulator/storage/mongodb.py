"""performanceStorage type `mongodb`: records upserted by id into `performance_records`.

MongoDB may go away while the fleet runs: a failed write keeps the latest record of each
station, logs the outage once, and the next write (the next interval, or shutdown) retries
them. The simulation never waits on it beyond the sink's own thread.
"""

from __future__ import annotations

from typing import Any

from loguru import logger
from pymongo import MongoClient, ReplaceOne
from pymongo.errors import PyMongoError

from simulator.storage.sink import PerformanceRecord, PerformanceStorage

COLLECTION = "performance_records"
DEFAULT_DATABASE = "evsim"
# Short: a write that cannot reach the server gives up and is retried at the next interval.
TIMEOUT_MS = 2000


class MongoStorage(PerformanceStorage):
    kind = "mongodb"

    def __init__(self, location: str) -> None:
        super().__init__(location)
        self._client: MongoClient[dict[str, Any]] | None = None
        self._unsent: dict[str, PerformanceRecord] = {}
        self._failing = False

    def _collection(self) -> Any:
        if self._client is None:
            # Connects lazily: an unreachable server at start-up is an outage like any other.
            self._client = MongoClient(
                self.location,
                serverSelectionTimeoutMS=TIMEOUT_MS,
                connectTimeoutMS=TIMEOUT_MS,
                socketTimeoutMS=5 * TIMEOUT_MS,
                tz_aware=True,
                appname="evsim",
            )
        database = self._client.get_default_database(default=DEFAULT_DATABASE)
        return database[COLLECTION]

    def _open(self) -> None:
        self._collection()

    def _write(self, records: list[PerformanceRecord]) -> None:
        for record in records:
            self._unsent[record.id] = record
        operations = [
            ReplaceOne({"_id": record.id}, _document(record), upsert=True)
            for record in self._unsent.values()
        ]
        try:
            self._collection().bulk_write(operations, ordered=False)
        except PyMongoError as exc:
            if not self._failing:
                logger.warning(
                    "Performance storage {}: write failed ({}); records kept, retried at the "
                    "next interval",
                    _redacted(self.location),
                    type(exc).__name__,
                )
            self._failing = True
            return
        if self._failing:
            logger.info(
                "Performance storage {}: reachable again, {} records written",
                _redacted(self.location),
                len(operations),
            )
            self._failing = False
        self._unsent.clear()

    def _read(self) -> list[PerformanceRecord]:
        return [
            PerformanceRecord.from_document({**document, "id": document["_id"]})
            for document in self._collection().find().sort("_id", 1)
        ]

    def _close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None


def _document(record: PerformanceRecord) -> dict[str, Any]:
    document = record.to_document()
    document["_id"] = document.pop("id")
    return document


def _redacted(uri: str) -> str:
    """The URI without its password, for the logs."""
    scheme, _, rest = uri.partition("://")
    credentials, at, host = rest.rpartition("@")
    if not at:
        return uri
    user = credentials.split(":", 1)[0]
    return f"{scheme}://{user}:***@{host}"
