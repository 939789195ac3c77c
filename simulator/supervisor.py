"""The main process: plan -> pool -> station table and statistics -> UI server.

The supervisor is the composition root. It never talks OCPP: stations live in worker processes
and report coalesced deltas, which the supervisor folds into its table of station data.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import time
from collections.abc import Iterable
from typing import Any

from loguru import logger

from simulator.config import Settings
from simulator.fleet_summary import FleetCounts, summary_line
from simulator.stats import Statistics
from simulator.templates import StationSpec, plan_stations
from workers.messages import ElementEvents, WorkerExited, WorkerStarted
from workers.pool import PoolOptions, WorkerPool, make_pool

STATION_HOST = "simulator.station.host:StationHost"
WORKER_STATISTICS_SECONDS = 5.0


def elements_per_worker(setting: int | str, total: int) -> int:
    """workerSet size: a number, "all" (one worker) or "auto" (one worker per core)."""
    if setting == "all":
        return max(total, 1)
    if setting == "auto":
        return max(math.ceil(total / (os.cpu_count() or 1)), 1)
    return int(setting)


def pool_options(settings: Settings, total: int, *, use_uvloop: bool = True) -> PoolOptions:
    worker = settings.worker
    per_worker = elements_per_worker(worker.elements_per_worker, total)
    statistics_seconds = (
        min(WORKER_STATISTICS_SECONDS, settings.log_statistics_interval)
        if settings.log_statistics_interval > 0
        else WORKER_STATISTICS_SECONDS
    )
    log_file = settings.resolve(settings.log_file) if settings.log_file else None
    return PoolOptions(
        factory=STATION_HOST,
        process_type=worker.process_type,
        elements_per_worker=per_worker,
        start_delay_ms=worker.start_delay,
        element_start_delay_ms=worker.element_start_delay,
        pool_min_size=worker.pool_min_size,
        pool_max_size=worker.pool_max_size,
        pool_strategy=worker.pool_strategy,
        # A dynamic pool grows when its workers hold their share of the fleet at poolMaxSize.
        capacity_per_worker=max(math.ceil(total / max(worker.pool_max_size, 1)), 1),
        host_options={
            "log_level": settings.loguru_level,
            "log_console": settings.log_console,
            "log_format": settings.log_format,
            "log_file": str(log_file) if log_file else None,
            "statistics_interval": statistics_seconds,
        },
        use_uvloop=use_uvloop,
    )


class Supervisor:
    def __init__(self, settings: Settings, *, use_uvloop: bool = True) -> None:
        self.settings = settings
        self._use_uvloop = use_uvloop
        self.plan: list[StationSpec] = []
        self.pool: WorkerPool | None = None
        self.stations: dict[str, dict[str, Any]] = {}
        self.totals = Statistics()
        self._window = Statistics()
        self._window_started = time.monotonic()
        self._events: asyncio.Task[None] | None = None
        self._summary: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()
        self.changed = asyncio.Event()
        self.worker_exits = 0

    @property
    def started(self) -> bool:
        return self.pool is not None

    # -- start and stop ---------------------------------------------------------------------

    async def start(self) -> None:
        """Plan the fleet, start the worker pool and place every station on it."""
        async with self._lock:
            if self.pool is not None:
                return
            self.plan = plan_stations(self.settings)
            pool = make_pool(
                pool_options(self.settings, len(self.plan), use_uvloop=self._use_uvloop)
            )
            await pool.start()
            self.pool = pool
            self._events = asyncio.create_task(self._consume(pool))
            if self.settings.log_statistics_interval > 0:
                self._summary = asyncio.create_task(self._log_summaries())
            outcome = await pool.add_many((spec.hash_id, spec) for spec in self.plan)
            for hash_id, error in outcome.failed.items():
                logger.error("Station {} could not be added: {}", hash_id, error)
            logger.info(
                "Simulator started: {} stations on {} workers ({})",
                len(outcome.placed),
                pool.worker_count,
                self.settings.worker.process_type,
            )

    async def stop(self, timeout: float = 30) -> None:
        """Stop every station (closing its connection) and every worker."""
        async with self._lock:
            pool, self.pool = self.pool, None
            if pool is None:
                return
            await pool.stop(timeout)
            for task in (self._events, self._summary):
                if task is not None:
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await task
            self._events = self._summary = None
            self._log_summary()
            for data in self.stations.values():
                data["started"] = False
                data["wsState"] = 3
            self._notify()
            logger.info("Simulator stopped")

    # -- requests to stations ---------------------------------------------------------------

    async def request(
        self, procedure: str, hash_ids: Iterable[str] | None, **payload: Any
    ) -> dict[str, Any]:
        """Run a procedure on stations (all when hash_ids is None): one request per worker."""
        pool = self.pool
        if pool is None:
            raise RuntimeError("the simulator is stopped")
        ids = None if hash_ids is None else list(hash_ids)
        unknown = [] if ids is None else [i for i in ids if pool.owner(i) is None]
        replies = await pool.request({"procedure": procedure, **payload}, ids)
        succeeded: list[str] = []
        failed: list[dict[str, Any]] = [{"hashId": i, "error": "unknown station"} for i in unknown]
        for worker_id, reply in replies.items():
            if isinstance(reply, dict):
                succeeded.extend(reply["succeeded"])
                failed.extend(reply["failed"])
            else:
                failed.append({"worker": worker_id, "error": str(reply)})
        return {"succeeded": succeeded, "failed": failed}

    # -- what the stations report -----------------------------------------------------------

    def counts(self) -> FleetCounts:
        started = connected = booted = 0
        for data in self.stations.values():
            started += bool(data.get("started"))
            online = data.get("wsState") == 1
            connected += online
            boot = data.get("bootNotificationResponse")
            booted += online and isinstance(boot, dict) and boot.get("status") == "Accepted"
        return FleetCounts(len(self.stations), started, connected, booted)

    async def _consume(self, pool: WorkerPool) -> None:
        async for event in pool.events():
            if isinstance(event, ElementEvents):
                for item in event.events:
                    self._apply(item)
                self._notify()
            elif isinstance(event, WorkerExited):
                if pool is self.pool:
                    self.worker_exits += 1
                    logger.error("Worker {} exited with code {}", event.worker_id, event.exitcode)
            elif isinstance(event, WorkerStarted):
                logger.debug("Worker {} started (pid {})", event.worker_id, event.pid)

    def _apply(self, event: dict[str, Any]) -> None:
        kind = event.get("kind")
        if kind == "stations":
            for hash_id, delta in event["data"].items():
                data = self.stations.get(hash_id)
                if data is None:
                    self.stations[hash_id] = delta
                else:
                    data.update(delta)
        elif kind == "removed":
            for hash_id in event["hashIds"]:
                self.stations.pop(hash_id, None)
        elif kind == "statistics":
            snapshot = Statistics.from_dict(event["data"])
            self._window.merge(snapshot)
            self.totals.merge(snapshot)

    def _notify(self) -> None:
        self.changed.set()
        self.changed = asyncio.Event()

    async def wait_for(self, predicate: Any, timeout: float) -> None:
        """Wait until predicate(self) holds, re-checked after every batch of station events."""
        async with asyncio.timeout(timeout):
            while not predicate(self):
                await self.changed.wait()

    async def _log_summaries(self) -> None:
        while True:
            await asyncio.sleep(self.settings.log_statistics_interval)
            self._log_summary()

    def _log_summary(self) -> None:
        now = time.monotonic()
        window, self._window = self._window, Statistics()
        seconds, self._window_started = now - self._window_started, now
        logger.info("{}", summary_line(self.counts(), window, seconds))
