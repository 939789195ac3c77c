"""The supervisor's statistics: per-station windows from the workers, folded into per-station,
per-template and fleet views, and written as performance records to the configured storage.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from loguru import logger

from simulator.config import Settings
from simulator.config_error import ConfigError
from simulator.stats import Statistics, statistics_data
from simulator.storage import (
    NoStorage,
    PerformanceRecord,
    PerformanceStorage,
    StorageUriError,
    make_storage,
)

Now = Callable[[], datetime]


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(slots=True)
class StationStatistics:
    """One station's statistics since the simulator started, with what its record names."""

    name: str
    uri: str
    template: str
    created_at: datetime
    statistics: Statistics = field(default_factory=Statistics)

    def record(self, hash_id: str, now: datetime) -> PerformanceRecord:
        return PerformanceRecord(
            id=hash_id,
            name=self.name,
            uri=self.uri,
            created_at=self.created_at,
            updated_at=now,
            statistics_data=statistics_data(self.statistics),
        )


def open_storage_for(settings: Settings) -> PerformanceStorage:
    """settings.performanceStorage's sink; a wrong URI is the user's: a ConfigError."""
    try:
        return make_storage(settings.performance_storage, settings.resolve(settings.state_dir))
    except StorageUriError as exc:
        raise ConfigError(settings.config_path, "performanceStorage.uri", str(exc)) from None


def widened(
    span: tuple[float, float] | None, start: float | None, end: float | None
) -> tuple[float, float] | None:
    """`span` grown to cover [start, end] (a worker's window; None: an event without one)."""
    if start is None or end is None:
        return span
    if span is None:
        return (start, end)
    return (min(span[0], start), max(span[1], end))


class PerformanceRecorder:
    """Fleet totals, per-station statistics and the records the supervisor writes."""

    def __init__(self, storage: PerformanceStorage, *, now: Now = _utc_now) -> None:
        self.storage = storage
        self.totals = Statistics()
        self.window = Statistics()
        # (earliest start, latest end) of the workers' windows merged into `window`
        # (time.monotonic()): what the window's counts were measured over.
        self.window_span: tuple[float, float] | None = None
        self.stations: dict[str, StationStatistics] = {}
        self._now = now
        self._unwritten: set[str] = set()

    def add_event(
        self, event: Mapping[str, Any], describe: Callable[[str], tuple[str, str, str]]
    ) -> None:
        """A worker's statistics event. `describe(hashId)` -> (station id, URL, template name)
        for a station seen for the first time."""
        self.window_span = widened(
            self.window_span, event.get("windowStart"), event.get("windowEnd")
        )
        for hash_id, wire in event["perStation"].items():
            window = Statistics.from_wire(wire)
            self.window.merge(window)
            self.totals.merge(window)
            station = self.stations.get(hash_id)
            if station is None:
                name, uri, template = describe(hash_id)
                station = self.stations[hash_id] = StationStatistics(
                    name, uri, template, self._now()
                )
            station.statistics.merge(window)
            self._unwritten.add(hash_id)

    def take_window(self) -> Statistics:
        window, self.window = self.window, Statistics()
        self.window_span = None
        return window

    def by_template(self) -> dict[str, Statistics]:
        views: dict[str, Statistics] = {}
        for station in self.stations.values():
            views.setdefault(station.template, Statistics()).merge(station.statistics)
        return views

    def records(self, *, everything: bool = False) -> list[PerformanceRecord]:
        """Records of the stations that recorded something since the last call (or all)."""
        now = self._now()
        ids = self.stations.keys() if everything else self._unwritten
        records = [self.stations[hash_id].record(hash_id, now) for hash_id in sorted(ids)]
        self._unwritten = set()
        return records

    async def write(self, *, everything: bool = False) -> None:
        if isinstance(self.storage, NoStorage):  # the default: no records to compute
            self._unwritten = set()
            return
        records = self.records(everything=everything)
        try:
            await self.storage.write(records)
        except Exception as exc:  # a full disk must not stop the fleet
            logger.warning(
                "Performance storage {} ({}): {} records not written: {}",
                self.storage.kind,
                self.storage.location,
                len(records),
                exc,
            )

    async def replace_storage(self, storage: PerformanceStorage) -> None:
        """Close the current sink (after a last write) and write everything to `storage`."""
        await self.write()
        await self.storage.close()
        self.storage = storage
        await storage.open()
        await self.write(everything=True)
