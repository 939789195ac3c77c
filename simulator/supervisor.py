"""The main process: plan -> pool -> station table and statistics -> UI server.

The supervisor is the composition root. It never talks OCPP: stations live in worker processes
and report coalesced deltas, which the supervisor folds into its table of station data.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from loguru import logger

from simulator.config import Settings
from simulator.config_error import ConfigError
from simulator.fleet_summary import FleetCounts, command_lines, count_stations, summary_line
from simulator.live_reload import LiveReload
from simulator.performance import PerformanceRecorder, open_storage_for
from simulator.plan import StationSpec, plan_stations, station_ws_url
from simulator.pool_options import pool_options
from simulator.provisioning import plan_additions
from simulator.station.persistence import state_path
from simulator.stats import Statistics
from simulator.storage import NoStorage
from simulator.template_model import load_template
from simulator.worker_count import this_machine, too_many_workers
from workers.messages import ElementEvents, WorkerExited, WorkerStarted
from workers.pool import AddOutcome, WorkerPool, make_pool

# Performance records are written every logStatisticsInterval; with that at 0, this often.
RECORDS_SECONDS = 60.0


class Supervisor:
    def __init__(
        self,
        settings: Settings,
        *,
        use_uvloop: bool = True,
        reload_settings: Callable[[], Settings] | None = None,
        on_log_settings: Callable[[Settings], None] | None = None,
    ) -> None:
        """`reload_settings` re-reads the configuration as it was first read (same flags and
        environment): given, the supervisor watches config.json, the templates and the
        authorization files and applies their changes live. `on_log_settings` reconfigures
        this process's log sinks after a reload changed them."""
        self.settings = settings
        self._use_uvloop = use_uvloop
        self.plan: list[StationSpec] = []
        # hashIds config.json planned: a reload adds and removes among these only, so stations
        # added or deleted from the UI stay as the UI left them.
        self._configured: set[str] = set()
        self.pool: WorkerPool | None = None
        self.stations: dict[str, dict[str, Any]] = {}
        self.performance = PerformanceRecorder(NoStorage(""))
        self._window_started = time.monotonic()
        self._on_log_settings = on_log_settings
        self._live_reload = (
            LiveReload(self, reload_settings) if reload_settings is not None else None
        )
        self._events: asyncio.Task[None] | None = None
        self._summary: asyncio.Task[None] | None = None
        self._placing: asyncio.Task[AddOutcome] | None = None
        self._stopping = False
        self._lock = asyncio.Lock()
        self.changed = asyncio.Event()
        self.worker_exits = 0
        self.worker_pids: dict[int, int] = {}
        # Called with every "stations" (data deltas) and "removed" event, before it is applied:
        # the UI server's delta subscriptions.
        self.delta_listeners: list[Callable[[dict[str, Any]], None]] = []

    @property
    def started(self) -> bool:
        return self.pool is not None

    @property
    def totals(self) -> Statistics:
        """The fleet's statistics since the supervisor was built."""
        return self.performance.totals

    # -- start and stop ---------------------------------------------------------------------

    async def start(self) -> None:
        """Plan the fleet, start the worker pool and place every station on it. A stop asked
        meanwhile ends the placing: the stations placed so far stop with the rest."""
        self._stopping = False
        async with self._lock:
            placed_all = await self._start_fleet()
        if placed_all and self._live_reload is not None:
            await self._live_reload.start()

    async def _start_fleet(self) -> bool:
        if self.pool is not None:
            return True
        self.plan = plan_stations(self.settings)
        self._configured = {spec.hash_id for spec in self.plan}
        # Stations added from the UI before a stop are not planned again: not listed either.
        for stale in self.stations.keys() - self._configured:
            del self.stations[stale]
        storage = open_storage_for(self.settings)
        await storage.open()
        warning = too_many_workers(self.settings.worker, len(self.plan), this_machine())
        if warning is not None:
            logger.warning("{}: {}", self.settings.config_path, warning)
        pool = make_pool(pool_options(self.settings, len(self.plan), use_uvloop=self._use_uvloop))
        try:
            await pool.start()
        except BaseException:
            await storage.close()
            raise
        self.performance.storage = storage
        self.pool = pool
        self._events = asyncio.create_task(self._consume(pool))
        self._summary = self._start_reporting()
        if self._stopping:  # asked while the workers started
            return False
        # A task of its own, which stop() cancels: placing 10,000 stations on a busy machine
        # takes minutes, and a SIGTERM meanwhile waited for the last of them.
        self._placing = asyncio.create_task(pool.add_many((s.hash_id, s) for s in self.plan))
        try:
            outcome = await self._placing
        except asyncio.CancelledError:
            if (task := asyncio.current_task()) is not None and task.cancelling():
                raise  # the start itself is cancelled, not only its placing
            started, planned = self.counts().started, len(self.plan)
            logger.info("Start ended by a stop: {} of {} stations started", started, planned)
            return False
        finally:
            self._placing = None
        for hash_id, error in outcome.failed.items():
            logger.error("Station {} could not be added: {}", hash_id, error)
        logger.info(
            "Simulator started: {} stations on {} workers ({})",
            len(outcome.placed),
            pool.worker_count,
            self.settings.worker.process_type,
        )
        return True

    async def stop(self, timeout: float = 30) -> None:
        """Stop every station (closing its connection) and every worker."""
        self._stopping = True
        if self._placing is not None:
            self._placing.cancel()  # a start still placing stations places no more
        if self._live_reload is not None:
            await self._live_reload.stop()
        async with self._lock:
            await self._stop_fleet(timeout)

    async def _stop_fleet(self, timeout: float = 30) -> None:
        pool, self.pool = self.pool, None
        if pool is not None:
            await pool.stop(timeout)
            if self._events is not None:
                # The event stream ends after the workers' last statistics: read them all.
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(asyncio.shield(self._events), 5)
            for task in (self._events, self._summary):
                if task is not None:
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await task
            self._events = self._summary = None
            self._log_summary()
            await self.performance.write()
            await self.performance.storage.close()
            self.performance.storage = NoStorage("")
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

    # -- the fleet, edited at run time (the UI) --------------------------------------------

    def template_files(self) -> dict[str, Path]:
        """The configured templates by name (file stem), as listTemplates names them."""
        files: dict[str, Path] = {}
        for index in range(len(self.settings.station_template_urls)):
            with contextlib.suppress(ConfigError):
                path = self.settings.template_path(index)
                files.setdefault(path.stem, path)
        return files

    async def add_stations(
        self,
        template_name: str,
        count: int,
        overrides: dict[str, Any],
        *,
        auto_start: bool = True,
    ) -> AddOutcome:
        """Plan `count` more stations of a configured template (its provisioned stations
        first, then numbered after its last one; with the UI's template overrides) and place
        them on the pool."""
        pool = self.pool
        if pool is None:
            raise RuntimeError("the simulator is stopped")
        path = self.template_files().get(template_name)
        if path is None:
            raise ValueError(f"template {template_name!r} not found")
        template = load_template(path).model_copy(update=overrides)
        specs = plan_additions(self.settings, path, template, count, self.plan)
        if not auto_start:
            specs = [dataclasses.replace(spec, auto_start=False) for spec in specs]
        taken = [s.station_id for s in specs if pool.owner(s.hash_id) is not None]
        if taken:
            raise ValueError(f"stations already exist: {', '.join(taken[:5])}")
        outcome = await pool.add_many((spec.hash_id, spec) for spec in specs)
        self.plan.extend(spec for spec in specs if spec.hash_id in outcome.placed)
        return outcome

    async def delete_stations(
        self, hash_ids: Iterable[str] | None, *, delete_configuration: bool = False
    ) -> tuple[list[str], dict[str, str]]:
        """Stop and remove stations (all when None); (removed hashIds, failures by hashId)."""
        pool = self.pool
        if pool is None:
            raise RuntimeError("the simulator is stopped")
        ids = [s.hash_id for s in self.plan] if hash_ids is None else list(hash_ids)
        failed = {i: "unknown station" for i in ids if pool.owner(i) is None}
        known = [i for i in ids if i not in failed]
        failed.update({i: str(e) for i, e in (await pool.remove_many(known)).items()})
        removed = [i for i in known if i not in failed]
        gone = set(known)  # a failed removal is forgotten by the pool all the same
        self.plan = [spec for spec in self.plan if spec.hash_id not in gone]
        for hash_id in gone:
            self.stations.pop(hash_id, None)
            if delete_configuration:
                state_dir = self.settings.resolve(self.settings.state_dir)
                configuration = state_path(state_dir, hash_id)
                configuration.unlink(missing_ok=True)
        self._notify()
        return removed, failed

    def template_statistics(self) -> dict[str, dict[str, Any]]:
        """Per template: stations configured, added (running or not), started, and indexes."""
        statistics: dict[str, dict[str, Any]] = {}
        for entry_index, entry in enumerate(self.settings.station_template_urls):
            name = Path(entry.file).stem
            with contextlib.suppress(ConfigError):
                name = self.settings.template_path(entry_index).stem
            item = statistics.setdefault(
                name, {"configured": 0, "added": 0, "started": 0, "indexes": []}
            )
            item["configured"] += entry.number_of_stations
        for data in self.stations.values():
            info = data.get("stationInfo") or {}
            item = statistics.setdefault(
                str(info.get("templateName")),
                {"configured": 0, "added": 0, "started": 0, "indexes": []},
            )
            item["added"] += 1
            item["started"] += bool(data.get("started"))
            item["indexes"].append(info.get("templateIndex"))
        for item in statistics.values():
            item["indexes"].sort()
        return statistics

    # -- what the stations report -----------------------------------------------------------

    def counts(self) -> FleetCounts:
        return self._count(self.stations.items())

    def counts_by_version(self) -> dict[str, FleetCounts]:
        """`counts` of the stations of each OCPP version (stationInfo.ocppVersion)."""
        by_version: dict[str, list[tuple[str, dict[str, Any]]]] = {}
        for hash_id, data in self.stations.items():
            version = str((data.get("stationInfo") or {}).get("ocppVersion", "?"))
            by_version.setdefault(version, []).append((hash_id, data))
        return {version: self._count(items) for version, items in sorted(by_version.items())}

    def _count(self, stations: Iterable[tuple[str, dict[str, Any]]]) -> FleetCounts:
        auto_register = {spec.hash_id for spec in self.plan if spec.template.auto_register}
        return count_stations(stations, auto_register)

    async def _consume(self, pool: WorkerPool) -> None:
        async for event in pool.events():
            if isinstance(event, ElementEvents):
                for item in event.events:
                    self._apply(item)
                self._notify()
            elif isinstance(event, WorkerExited):
                self.worker_pids.pop(event.worker_id, None)
                if pool is self.pool:
                    self.worker_exits += 1
                    logger.error("Worker {} exited with code {}", event.worker_id, event.exitcode)
                    self._mark_offline(pool, event.worker_id)
            elif isinstance(event, WorkerStarted):
                self.worker_pids[event.worker_id] = event.pid
                logger.debug("Worker {} started (pid {})", event.worker_id, event.pid)

    def _mark_offline(self, pool: WorkerPool, worker_id: int) -> None:
        """A dead worker's stations are offline until its replacement reports them again."""
        for hash_id, data in self.stations.items():
            if pool.owner(hash_id) == worker_id:
                data["wsState"] = 3
        self._notify()

    def _apply(self, event: dict[str, Any]) -> None:
        kind = event.get("kind")
        if kind in ("stations", "removed"):
            for listener in self.delta_listeners:
                listener(event)
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
            self.performance.add_event(event, self._describe)

    def _describe(self, hash_id: str) -> tuple[str, str, str]:
        """(station id, OCPP-J URL, template name) of a station, for its performance record."""
        data = self.stations.get(hash_id) or {}
        info = data.get("stationInfo") or {}
        name = str(info.get("chargingStationId") or hash_id)
        url = data.get("supervisionUrl")
        return name, station_ws_url(url, name) if url else "", str(info.get("templateName", ""))

    def _notify(self) -> None:
        self.changed.set()
        self.changed = asyncio.Event()

    async def wait_for(self, predicate: Any, timeout: float) -> None:
        """Wait until predicate(self) holds, re-checked after every batch of station events."""
        async with asyncio.timeout(timeout):
            while not predicate(self):
                await self.changed.wait()

    def _start_reporting(self) -> asyncio.Task[None] | None:
        seconds = float(self.settings.log_statistics_interval)
        if seconds <= 0 and self.settings.performance_storage.enabled:
            seconds = RECORDS_SECONDS
        return asyncio.create_task(self._report(seconds)) if seconds > 0 else None

    async def _report(self, seconds: float) -> None:
        """Every interval: the fleet summary in the log, the performance records written."""
        while True:
            await asyncio.sleep(seconds)
            if self.settings.log_statistics_interval > 0:
                self._log_summary()
            await self.performance.write()

    def _log_summary(self) -> None:
        now = time.monotonic()
        # Rates over the time the counts were measured in: the workers' windows in this one
        # (a report that arrived just after the last summary, or the workers' last ones at a
        # stop, would be counted over a fraction of a second since that summary).
        span = self.performance.window_span
        window = self.performance.take_window()
        seconds = span[1] - span[0] if span is not None else now - self._window_started
        self._window_started = now
        logger.info("{}", summary_line(self.counts(), window, seconds))
        for line in command_lines(window, seconds):
            logger.info("{}", line)

    # -- live reload (simulator/live_reload.py decides, these apply) ------------------------

    async def reconfigure(self, settings: Settings, plan: list[StationSpec]) -> list[str]:
        """Apply a reloaded, already validated config.json and its plan; what changed.

        Workers restart only when the worker section changed; otherwise logging, the
        statistics interval and the storage change in place and stations are added, removed
        or handed their new spec."""
        async with self._lock:
            old, self.settings = self.settings, settings
            changes: list[str] = []
            if _log_fields(old) != _log_fields(settings):
                if self._on_log_settings is not None:
                    self._on_log_settings(settings)
                if self.pool is not None:
                    options = pool_options(settings, len(self.plan)).host_options
                    logging = {k: v for k, v in options.items() if k.startswith("log_")}
                    await self.pool.request({"procedure": "configureLogging", "options": logging})
                changes.append("logging")
            if old.ui_server != settings.ui_server:
                changes.append("uiServer (applies at the next start of evsim)")
            if self.pool is None:
                return [*changes, "the simulator is stopped: the rest applies at its start"]
            if old.worker != settings.worker:
                await self._stop_fleet()
                await self._start_fleet()
                return [*changes, "worker (workers restarted)"]
            if old.performance_storage != settings.performance_storage:
                await self.performance.replace_storage(open_storage_for(settings))
                changes.append(f"performanceStorage ({self.performance.storage.kind})")
            if (old.log_statistics_interval, old.performance_storage.enabled) != (
                settings.log_statistics_interval,
                settings.performance_storage.enabled,
            ):
                if self._summary is not None:
                    self._summary.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await self._summary
                self._summary = self._start_reporting()
                changes.append(f"logStatisticsInterval ({settings.log_statistics_interval} s)")
            return [*changes, *await self._apply_plan(plan)]

    async def replan(self, plan: list[StationSpec]) -> list[str]:
        """Apply a plan made from reloaded templates; what changed."""
        async with self._lock:
            return await self._apply_plan(plan) if self.pool is not None else []

    async def _apply_plan(self, plan: list[StationSpec]) -> list[str]:
        pool = self.pool
        assert pool is not None
        planned = {spec.hash_id: spec for spec in plan}
        current = {spec.hash_id: spec for spec in self.plan}
        removed = [h for h in self._configured if h not in planned and h in current]
        added = [s for h, s in planned.items() if h not in self._configured and h not in current]
        changed = {h: s for h, s in planned.items() if h in current and current[h] != s}
        changes: list[str] = []
        if removed:
            for hash_id, error in (await pool.remove_many(removed)).items():
                logger.error("Station {} could not be removed: {}", hash_id, error)
            for hash_id in removed:
                self.stations.pop(hash_id, None)
            changes.append(f"{len(removed)} stations removed")
        placed: set[str] = set()
        if added:
            outcome = await pool.add_many((spec.hash_id, spec) for spec in added)
            for hash_id, error in outcome.failed.items():
                logger.error("Station {} could not be added: {}", hash_id, error)
            placed = set(outcome.placed)
            changes.append(f"{len(placed)} stations added")
        if changed:
            await self._reload_specs(pool, changed)
            changes.append(f"{len(changed)} stations take their new spec at their next connection")
        gone = set(removed)
        self.plan = [changed.get(s.hash_id, s) for s in self.plan if s.hash_id not in gone]
        self.plan.extend(spec for spec in added if spec.hash_id in placed)
        self._configured = set(planned)
        self._notify()
        return changes

    async def _reload_specs(self, pool: WorkerPool, specs: dict[str, StationSpec]) -> None:
        """One reloadSpec request per worker, carrying only the specs of its stations."""
        by_worker: dict[int, dict[str, StationSpec]] = {}
        for hash_id, spec in specs.items():
            owner = pool.owner(hash_id)
            if owner is not None:
                by_worker.setdefault(owner, {})[hash_id] = spec
        replies = await asyncio.gather(
            *(
                pool.request({"procedure": "reloadSpec", "specs": part}, list(part))
                for part in by_worker.values()
            )
        )
        for reply in replies:
            for answer in reply.values():
                failed = answer.get("failed") if isinstance(answer, dict) else [answer]
                for failure in failed or []:
                    logger.error("New template not handed to a station: {}", failure)


def _log_fields(settings: Settings) -> tuple[Any, ...]:
    return (
        settings.log_level,
        settings.log_console,
        settings.log_format,
        settings.log_file,
        settings.log_error_file,
        settings.log_rotate,
        settings.log_max_files,
    )
