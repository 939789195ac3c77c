"""The element host of a worker process: many stations on one asyncio loop.

`workers/` builds it by import path (`simulator.station.host:StationHost`) and forwards adds,
removes and requests. It reports to the supervisor with coalesced events: station data deltas at
most every DELTA_FLUSH_SECONDS, and one statistics snapshot per statistics interval.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Coroutine, Mapping
from pathlib import Path
from typing import Any

from simulator.logs import configure_logging
from simulator.station.clock import SystemClock
from simulator.station.station import OPEN, ChargingStation
from simulator.stats import Statistics
from simulator.templates import StationSpec

DELTA_FLUSH_SECONDS = 0.25

Emit = Callable[[Any], None]


class StationHost:
    def __init__(self, emit: Emit, options: Mapping[str, Any]) -> None:
        self._emit = emit
        self._auto_start = bool(options.get("auto_start", True))
        self._statistics_interval = float(options.get("statistics_interval", 10))
        if options.get("configure_logging", True):
            log_file = options.get("log_file")
            configure_logging(
                level=str(options.get("log_level", "INFO")),
                console=bool(options.get("log_console", True)),
                log_file=Path(log_file) if log_file else None,
                json_format=options.get("log_format") == "json",
                process=f"worker-{options.get('worker_label', '?')}",
            )
        self._clock = SystemClock()
        self.stations: dict[str, ChargingStation] = {}
        self.statistics = Statistics()
        self._dirty: dict[str, dict[str, Any]] = {}
        self._flush_handle: asyncio.TimerHandle | None = None
        self._statistics_task = (
            asyncio.create_task(self._report_statistics())
            if self._statistics_interval > 0
            else None
        )

    # -- ElementHost ------------------------------------------------------------------------

    async def add(self, element_id: str, spec: Any) -> None:
        if not isinstance(spec, StationSpec):
            raise TypeError(f"expected a StationSpec, got {type(spec).__name__}")
        station = ChargingStation(
            spec, clock=self._clock, on_change=self._station_changed, statistics=self.statistics
        )
        self.stations[element_id] = station
        self._dirty[element_id] = station.data()
        self._schedule_flush()
        if self._auto_start:
            await station.start()

    async def remove(self, element_id: str) -> None:
        station = self.stations.pop(element_id)
        await station.stop()
        self._dirty.pop(element_id, None)
        self._emit({"kind": "removed", "hashIds": [element_id]})

    async def request(self, element_ids: list[str] | None, payload: Any) -> Any:
        procedure = payload["procedure"]
        action = _PROCEDURES.get(procedure)
        if action is None:
            raise ValueError(f"unknown procedure {procedure!r}")
        targets = (
            list(self.stations.values())
            if element_ids is None
            else [self.stations[i] for i in element_ids if i in self.stations]
        )
        results = await asyncio.gather(
            *(action(station, payload) for station in targets), return_exceptions=True
        )
        succeeded: list[str] = []
        failed: list[dict[str, str]] = []
        for station, result in zip(targets, results, strict=True):
            if isinstance(result, BaseException):
                failed.append({"hashId": station.hash_id, "error": f"{result}"})
            else:
                succeeded.append(station.hash_id)
        return {"succeeded": succeeded, "failed": failed}

    async def stop(self) -> None:
        if self._statistics_task is not None:
            self._statistics_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._statistics_task
        await asyncio.gather(
            *(station.stop() for station in self.stations.values()), return_exceptions=True
        )
        self._flush()
        self._emit(self._statistics_event())

    # -- events -----------------------------------------------------------------------------

    def _station_changed(self, station: ChargingStation, delta: dict[str, Any]) -> None:
        pending = self._dirty.get(station.hash_id)
        if pending is None:
            self._dirty[station.hash_id] = dict(delta)
        else:
            pending.update(delta)
        self._schedule_flush()

    def _schedule_flush(self) -> None:
        if self._flush_handle is None:
            loop = asyncio.get_running_loop()
            self._flush_handle = loop.call_later(DELTA_FLUSH_SECONDS, self._flush)

    def _flush(self) -> None:
        self._flush_handle = None
        if self._dirty:
            dirty, self._dirty = self._dirty, {}
            self._emit({"kind": "stations", "data": dirty})

    def _statistics_event(self) -> dict[str, Any]:
        snapshot, self.statistics = self.statistics, Statistics()
        for station in self.stations.values():
            station.statistics = self.statistics if station.template.enable_statistics else None
        return {
            "kind": "statistics",
            "data": snapshot.to_dict(),
            "stations": len(self.stations),
            "connected": sum(1 for s in self.stations.values() if s.ws_state == OPEN),
            "booted": sum(1 for s in self.stations.values() if s.booted),
        }

    async def _report_statistics(self) -> None:
        while True:
            await asyncio.sleep(self._statistics_interval)
            self._emit(self._statistics_event())


async def _start(station: ChargingStation, payload: dict[str, Any]) -> None:
    await station.start()


async def _stop(station: ChargingStation, payload: dict[str, Any]) -> None:
    await station.stop()


async def _open(station: ChargingStation, payload: dict[str, Any]) -> None:
    await station.open_connection()


async def _close(station: ChargingStation, payload: dict[str, Any]) -> None:
    await station.close_connection()


async def _heartbeat(station: ChargingStation, payload: dict[str, Any]) -> None:
    await station.heartbeat()


async def _status(station: ChargingStation, payload: dict[str, Any]) -> None:
    await station.send_status(int(payload["connectorId"]))


_PROCEDURES: dict[str, Callable[[ChargingStation, dict[str, Any]], Coroutine[Any, Any, None]]] = {
    "startChargingStation": _start,
    "stopChargingStation": _stop,
    "openConnection": _open,
    "closeConnection": _close,
    "heartbeat": _heartbeat,
    "statusNotification": _status,
}
