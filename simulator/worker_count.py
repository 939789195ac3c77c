"""How many worker processes the `worker` section makes, and how `auto` sizes them.

`auto` (the default, as the TypeScript simulator's 4.x README gives it): one worker per core,
more only when a worker's share of the stations would pass the open-file limit (every station
holds a socket). Pure functions of the station count and the machine; `this_machine` reads it.
"""

from __future__ import annotations

import math
import os
import resource
from dataclasses import dataclass

from simulator.config import WorkerSettings

# Descriptors a worker needs besides one socket per station: up to 1,024 state files kept open
# (simulator/station/persistence.py), logs, pipes, the loop.
WORKER_SPARE_FILES = 1_500
# Past this many worker processes per core an explicit elementsPerWorker gets a warning: each
# worker costs a Python interpreter (tens of MB) and a start, and they share the cores anyway.
WARN_WORKERS_PER_CORE = 4
# An unlimited hard limit still meets the kernel's per-process cap (fs.nr_open's default).
UNLIMITED_FILES = 1_048_576


@dataclass(frozen=True, slots=True)
class Machine:
    cores: int
    open_files: int  # the hard RLIMIT_NOFILE: workers raise their soft limit to it


def this_machine() -> Machine:
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    files = UNLIMITED_FILES if hard == resource.RLIM_INFINITY else hard
    return Machine(cores=os.cpu_count() or 1, open_files=files)


def stations_per_worker_limit(machine: Machine) -> int:
    """The most stations one worker holds before the open-file limit."""
    return max(machine.open_files - WORKER_SPARE_FILES, 1)


def auto_workers(total: int, machine: Machine) -> int:
    """`auto`: one worker per core, more when a worker's share would pass the file limit."""
    return max(machine.cores, math.ceil(total / stations_per_worker_limit(machine)))


def elements_per_worker(setting: int | str, total: int, machine: Machine) -> int:
    """workerSet size: a number, `all` (one worker) or `auto` (the stations over
    `auto_workers`)."""
    if setting == "all":
        return max(total, 1)
    if setting == "auto":
        return max(math.ceil(total / auto_workers(total, machine)), 1)
    return int(setting)


def worker_set_processes(setting: int | str, total: int, machine: Machine) -> int:
    """The worker processes a workerSet of `setting` (elementsPerWorker) makes for `total`
    stations."""
    if setting == "auto":
        return auto_workers(total, machine)
    per_worker = elements_per_worker(setting, total, machine)
    return max(math.ceil(total / per_worker), 1)


def too_many_workers(worker: WorkerSettings, total: int, machine: Machine) -> str | None:
    """The warning an explicit elementsPerWorker gets when it makes more than
    WARN_WORKERS_PER_CORE worker processes per core; None when it does not."""
    setting = worker.elements_per_worker
    if worker.process_type != "workerSet" or not isinstance(setting, int):
        return None
    processes = worker_set_processes(setting, total, machine)
    if processes <= WARN_WORKERS_PER_CORE * machine.cores:
        return None
    return (
        f"worker.elementsPerWorker: {setting} makes {processes} worker processes for {total} "
        f"stations, more than {WARN_WORKERS_PER_CORE} x {machine.cores} cores; leave it out "
        "(auto: one worker per core) unless each station needs a process of its own"
    )
