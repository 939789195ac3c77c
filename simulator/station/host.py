"""The element host of a worker process: many stations on one asyncio loop.

`workers/` builds it by import path (`simulator.station.host:StationHost`) and forwards adds,
removes and requests. It reports to the supervisor with coalesced events: station data deltas at
most every DELTA_FLUSH_SECONDS, and one statistics snapshot per statistics interval.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import resource
from collections.abc import Callable, Coroutine, Mapping
from pathlib import Path
from typing import Any

from simulator.logs import configure_logging
from simulator.plan import StationSpec
from simulator.procedure_table import PROCEDURES, Intent, Message
from simulator.station.clock import SystemClock
from simulator.station.connect_rate import ConnectRate
from simulator.station.connection import use_transport
from simulator.station.id_tags import IdTagsCache
from simulator.station.ocpp16 import schemas
from simulator.station.persistence import StateStore
from simulator.station.station import OPEN, ChargingStation
from simulator.station.station_data import epoch_ms
from simulator.stats import Statistics

DELTA_FLUSH_SECONDS = 0.25

# This module is the forkserver's preload: compile once there, every worker inherits the code.
schemas.precompile()

Emit = Callable[[Any], None]


class StationHost:
    def __init__(self, emit: Emit, options: Mapping[str, Any]) -> None:
        self._emit = emit
        self._auto_start = bool(options.get("auto_start", True))
        self._statistics_interval = float(options.get("statistics_interval", 10))
        self._options = dict(options)
        if options.get("configure_logging", True):
            self._configure_logging(options)
        self._clock = SystemClock()
        # Where the statistics window the next event closes began (time.monotonic(): the
        # supervisor, on the same machine, reads the same clock).
        self._window_started = self._clock.monotonic()
        # One bucket for all the stations of this worker (DESIGN.md: no connection storms).
        self._connect_rate = ConnectRate(
            float(options.get("connection_rate", 0)), clock=self._clock
        )
        self._id_tags = IdTagsCache()
        _raise_open_file_limit()
        if "ws_transport" in options:  # else the process's (EVSIM_WS_TRANSPORT, auto)
            use_transport(options["ws_transport"])
        # persistState false (config.json): no state dir, so no store and no file at all.
        state_dir = options.get("state_dir") if options.get("persist_state", True) else None
        # Each station's state on disk, restored when it is added again (a restart, a respawn).
        self._store = (
            StateStore(Path(state_dir), write_ahead=bool(options.get("state_write_ahead", True)))
            if state_dir
            else None
        )
        self.stations: dict[str, ChargingStation] = {}
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
        persisted = self._store.load(spec.hash_id) if self._store is not None else None
        # One Statistics per station (None when its template disables them): the supervisor
        # keeps per-station records, so the worker sends each station's window as well.
        station = ChargingStation(
            spec,
            clock=self._clock,
            on_change=self._station_changed,
            statistics=Statistics(),
            id_tags=self._id_tags.get(spec.authorization_file) if spec.authorization_file else [],
            connect_rate=self._connect_rate,
            store=self._store,
            persisted=persisted,
        )
        self.stations[element_id] = station
        self._dirty[element_id] = station.data()
        self._schedule_flush()
        if self._auto_start and spec.auto_start:
            await station.start()

    async def remove(self, element_id: str) -> None:
        station = self.stations.pop(element_id)
        await station.stop()
        if self._store is not None:
            # Its last state written before the supervisor may delete the file.
            await self._store.flushed(element_id)
            self._store.forget(element_id)
        self._dirty.pop(element_id, None)
        # Its last window would be lost with it: sent before the removal.
        self._emit(self._statistics_event({element_id: station}, closes_window=False))
        self._emit({"kind": "removed", "hashIds": [element_id]})

    def _configure_logging(self, options: Mapping[str, Any]) -> None:
        log_file = options.get("log_file")
        error_file = options.get("log_error_file")
        configure_logging(
            level=str(options.get("log_level", "INFO")),
            console=bool(options.get("log_console", True)),
            log_file=Path(log_file) if log_file else None,
            error_file=Path(error_file) if error_file else None,
            json_format=options.get("log_format") == "json",
            # The supervisor rotates the files (logRotate, logMaxFiles) the workers share with
            # it; a worker follows: it reopens the path the supervisor renamed.
            follow=bool(options.get("log_rotate", False)),
            process=f"worker-{options.get('worker_label', '?')}",
        )

    async def request(self, element_ids: list[str] | None, payload: Any) -> Any:
        procedure = payload["procedure"]
        if procedure == "configureLogging":
            # The worker's, not a station's: a reloaded config.json changed logLevel & co.
            if self._options.get("configure_logging", True):
                self._options.update(payload["options"])
                self._configure_logging(self._options)
            return {"succeeded": [], "failed": []}
        action = _station_action(procedure)
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
        if self._store is not None:
            await self._store.close()
        self._flush()
        self._emit(self._statistics_event(self.stations))

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
            # ChargingStationData.timestamp: when the data was sent, as the TS simulator's.
            timestamp = epoch_ms(self._clock.now())
            for delta in dirty.values():
                delta["timestamp"] = timestamp
            self._emit({"kind": "stations", "data": dirty})

    def _statistics_event(
        self, stations: Mapping[str, ChargingStation], *, closes_window: bool = True
    ) -> dict[str, Any]:
        """The window since the last event of each station that recorded anything, in the
        compact wire form, with the span it covers (windowStart, windowEnd: the supervisor's
        rates divide by it). The supervisor keeps per-station records, so it needs them one by
        one; it merges them into the template and fleet views itself (measured: merging here
        as well cost a quarter more CPU per station and window, bench/statistics_cost.py).
        `closes_window` False: a removed station's last window; the others' goes on."""
        start, end = self._window_started, self._clock.monotonic()
        if closes_window:
            self._window_started = end
        per_station: dict[str, Any] = {}
        for hash_id, station in stations.items():
            statistics = station.statistics
            if statistics is not None and statistics.commands:
                per_station[hash_id] = statistics.take().to_wire()
        return {
            "kind": "statistics",
            "perStation": per_station,
            "windowStart": start,
            "windowEnd": end,
            "stations": len(self.stations),
            "connected": sum(1 for s in self.stations.values() if s.ws_state == OPEN),
            "booted": sum(1 for s in self.stations.values() if s.booted),
        }

    async def _report_statistics(self) -> None:
        while True:
            await asyncio.sleep(self._statistics_interval)
            self._emit(self._statistics_event(self.stations))


def _raise_open_file_limit() -> None:
    """Each station holds a socket and its state file open: the soft limit (often 1,024)
    would cap a worker far below what it can run, so it goes up to the hard one."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


async def _set_id_tags(station: ChargingStation, payload: dict[str, Any]) -> None:
    # Sent by the supervisor's authorizationFile watcher; other files' stations keep theirs.
    if station.spec.authorization_file == payload["authorizationFile"]:
        station.set_id_tags(list(payload["idTags"]))


async def _reload_spec(station: ChargingStation, payload: dict[str, Any]) -> None:
    station.reload_spec(payload["specs"][station.hash_id])


async def _send(message: Message, station: ChargingStation, payload: dict[str, Any]) -> None:
    # The station's OCPP version picks the command; a version without one fails this station.
    await message.command(station.template.ocpp_version)(station, payload)


Internal = Callable[[ChargingStation, dict[str, Any]], Coroutine[Any, Any, None]]

# What the supervisor asks of stations beyond the UI's procedures (procedure_table.py).
_INTERNAL: dict[str, Internal] = {
    # payload {"authorizationFile": resolved path, "idTags": [...]}.
    "setIdTags": _set_id_tags,
    # A reloaded template or config.json: payload {"specs": {hashId: StationSpec}}.
    "reloadSpec": _reload_spec,
}


def _station_action(procedure: str) -> Internal:
    """What each station runs for `procedure`: an internal one or a station row of the table."""
    internal = _INTERNAL.get(procedure)
    if internal is not None:
        return internal
    row = PROCEDURES.get(procedure)
    target = None if row is None else row.target
    if isinstance(target, Intent):
        return target.run
    if isinstance(target, Message):
        return functools.partial(_send, target)
    raise ValueError(f"unknown procedure {procedure!r}")
