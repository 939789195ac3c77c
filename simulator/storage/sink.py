"""The performance record and the sink interface every storage type implements.

A sink's work (file writes, SQLite, pymongo) is blocking, so each sink runs it on a thread of
its own: the supervisor's event loop only awaits it, and one thread keeps the writes in order.
"""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar, TypeVar

T = TypeVar("T")

StatisticsData = dict[str, dict[str, int | float]]


@dataclass(frozen=True, slots=True)
class PerformanceRecord:
    """One station's statistics since the simulator started (the TS simulator's record)."""

    id: str  # the station's hashId
    name: str  # the station's id (chargingStationId)
    uri: str  # the OCPP-J URL it connects to
    created_at: datetime
    updated_at: datetime
    statistics_data: StatisticsData = field(default_factory=dict)

    def to_document(self) -> dict[str, Any]:
        """The record with the seed's camelCase keys; dates stay datetime objects."""
        return {
            "id": self.id,
            "name": self.name,
            "uri": self.uri,
            "createdAt": self.created_at,
            "updatedAt": self.updated_at,
            "statisticsData": self.statistics_data,
        }

    @classmethod
    def from_document(cls, document: Mapping[str, Any]) -> PerformanceRecord:
        return cls(
            id=str(document["id"]),
            name=str(document["name"]),
            uri=str(document["uri"]),
            created_at=_datetime(document["createdAt"]),
            updated_at=_datetime(document["updatedAt"]),
            statistics_data=dict(document["statisticsData"]),
        )


def _datetime(value: Any) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


class PerformanceStorage(ABC):
    """Where performance records go. Records are upserted by id; `read` returns them all."""

    kind: ClassVar[str]

    def __init__(self, location: str) -> None:
        self.location = location
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"{self.kind}-sink")

    async def _run(self, function: Callable[..., T], *args: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, function, *args)

    async def open(self) -> None:
        await self._run(self._open)

    async def write(self, records: Sequence[PerformanceRecord]) -> None:
        if records:
            await self._run(self._write, list(records))

    async def read(self) -> list[PerformanceRecord]:
        return await self._run(self._read)

    async def close(self) -> None:
        try:
            await self._run(self._close)
        finally:
            self._executor.shutdown(wait=False)

    # The blocking work, always on the sink's own thread.

    @abstractmethod
    def _open(self) -> None: ...

    @abstractmethod
    def _write(self, records: list[PerformanceRecord]) -> None: ...

    @abstractmethod
    def _read(self) -> list[PerformanceRecord]: ...

    @abstractmethod
    def _close(self) -> None: ...
