"""The worker pool's options from the config: the `worker` section, with `auto` sized by
simulator/worker_count.py, and what each worker's StationHost needs to know."""

from __future__ import annotations

import dataclasses
import math

from simulator.config import Settings
from simulator.worker_count import (
    WARN_WORKERS_PER_CORE,
    Machine,
    auto_workers,
    elements_per_worker,
    stations_per_worker_limit,
    this_machine,
)
from workers.pool import PoolOptions

STATION_HOST = "simulator.station.host:StationHost"
WORKER_STATISTICS_SECONDS = 5.0


def pool_options(
    settings: Settings, total: int, *, use_uvloop: bool = True, machine: Machine | None = None
) -> PoolOptions:
    worker = settings.worker
    machine = machine or this_machine()
    statistics_seconds = (
        min(WORKER_STATISTICS_SECONDS, settings.log_statistics_interval)
        if settings.log_statistics_interval > 0
        else WORKER_STATISTICS_SECONDS
    )
    log_file = settings.resolve(settings.log_file) if settings.log_file else None
    error_file = settings.resolve(settings.log_error_file) if settings.log_error_file else None
    options = PoolOptions(
        factory=STATION_HOST,
        process_type=worker.process_type,
        elements_per_worker=elements_per_worker(worker.elements_per_worker, total, machine),
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
            "log_error_file": str(error_file) if error_file else None,
            # logMaxFiles stays with the supervisor: it alone rotates, so it alone deletes.
            "log_rotate": settings.log_rotate,
            "statistics_interval": statistics_seconds,
            "state_dir": str(settings.resolve(settings.state_dir)),
            "connection_rate": settings.connection_rate_per_worker,
            "state_write_ahead": settings.state_write_ahead,
            "ws_transport": settings.ws_transport,
            "persist_state": settings.persist_state,
        },
        use_uvloop=use_uvloop,
    )
    if worker.process_type == "workerSet" and worker.elements_per_worker == "auto":
        # One worker per core from the start, stations spread over them, and stations added
        # later go to the workers there are until each holds its open-file share: a set that
        # opened a worker per `total / cores` stations would open dozens for a UI's additions.
        workers = auto_workers(total, machine)
        options = dataclasses.replace(
            options,
            process_type="dynamicPool",
            pool_min_size=workers,
            pool_max_size=max(workers, WARN_WORKERS_PER_CORE * machine.cores),
            capacity_per_worker=stations_per_worker_limit(machine),
            pool_strategy="LEAST_USED",
        )
    return options
