"""How many worker processes the `worker` section makes: `auto` (the default, as the TypeScript
simulator's 4.x README documents it) is one worker per core, more only past the open-file
limit; an explicit elementsPerWorker that makes more than 4 x cores processes warns."""

from __future__ import annotations

import os
import signal
from pathlib import Path
from typing import Any

import pytest
from loguru import logger

from simulator.config import WorkerSettings
from simulator.config_loading import load_settings
from simulator.csms import CentralSystem
from simulator.pool_options import pool_options
from simulator.supervisor import Supervisor
from simulator.worker_count import (
    WORKER_SPARE_FILES,
    Machine,
    auto_workers,
    elements_per_worker,
    too_many_workers,
)
from tests.fleet import quick_template, write_fleet
from tests.test_cli import evsim, finished

TWO_CORES = Machine(cores=2, open_files=20_000)


def worker(**keys: Any) -> WorkerSettings:
    return WorkerSettings.model_validate(keys)


def test_an_absent_elements_per_worker_means_auto() -> None:
    assert worker().elements_per_worker == "auto"


@pytest.mark.key("worker.elementsPerWorker")
def test_auto_is_one_worker_per_core() -> None:
    assert auto_workers(1_000, TWO_CORES) == 2
    assert auto_workers(1, TWO_CORES) == 2
    assert elements_per_worker("auto", 1_000, TWO_CORES) == 500


@pytest.mark.key("worker.elementsPerWorker")
def test_auto_opens_more_workers_past_the_open_file_limit() -> None:
    """Each station holds a socket: 50,000 stations on 2 workers would need 25,000 files each."""
    machine = Machine(cores=2, open_files=20_000)
    per_worker = 20_000 - WORKER_SPARE_FILES
    assert auto_workers(50_000, machine) == -(-50_000 // per_worker) == 3


@pytest.mark.key("worker.elementsPerWorker")
def test_an_explicit_value_past_four_workers_per_core_warns_with_the_key_and_the_count() -> None:
    warning = too_many_workers(worker(elementsPerWorker=1), 1_000, TWO_CORES)
    assert warning is not None
    assert warning.startswith("worker.elementsPerWorker: 1 makes 1000 worker processes")


def test_an_explicit_value_within_four_workers_per_core_does_not_warn() -> None:
    assert too_many_workers(worker(elementsPerWorker=125), 1_000, TWO_CORES) is None  # 8


@pytest.mark.parametrize("value", ["auto", "all"])
def test_auto_and_all_do_not_warn(value: str) -> None:
    assert too_many_workers(worker(elementsPerWorker=value), 100_000, TWO_CORES) is None


def test_elements_per_worker_does_not_warn_for_a_pool_that_does_not_use_it() -> None:
    pool = worker(processType="staticPool", elementsPerWorker=1, poolMaxSize=2)
    assert too_many_workers(pool, 1_000, TWO_CORES) is None


@pytest.mark.key("worker.elementsPerWorker")
def test_auto_starts_a_worker_per_core_and_adds_stations_to_them(tmp_path: Path) -> None:
    """Stations added later (addChargingStations) go to the workers there are, spread evenly,
    until each holds its open-file share: a set of `total / cores` stations per worker would
    open a worker per few added stations."""
    path = write_fleet(tmp_path, "ws://127.0.0.1:9", {"t.json": (quick_template(), 10)})
    options = pool_options(load_settings(path, environ={}), 10, machine=TWO_CORES)
    assert (options.process_type, options.pool_min_size) == ("dynamicPool", 2)
    assert options.capacity_per_worker == 20_000 - WORKER_SPARE_FILES
    assert options.pool_strategy == "LEAST_USED"


@pytest.mark.process
@pytest.mark.timeout(120)
async def test_the_supervisor_warns_once_about_too_many_workers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    one_core = Machine(cores=1, open_files=20_000)
    monkeypatch.setattr("simulator.supervisor.this_machine", lambda: one_core)
    path = write_fleet(
        tmp_path,
        "ws://127.0.0.1:9",
        {"t.json": (quick_template(), 5)},
        worker={"elementsPerWorker": 1, "startDelay": 0},
    )
    supervisor = Supervisor(load_settings(path, environ={}), use_uvloop=False)
    warnings: list[str] = []
    sink = logger.add(lambda m: warnings.append(m.record["message"]), level="WARNING")
    try:
        await supervisor.start()
    finally:
        await supervisor.stop()
        logger.remove(sink)
    about_workers = [w for w in warnings if "worker.elementsPerWorker" in w]
    assert len(about_workers) == 1, warnings
    assert str(path) in about_workers[0] and "5 worker processes" in about_workers[0]


def process_tree(pid: int) -> set[int]:
    """`pid` and its descendants, from /proc."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue  # gone meanwhile
            parents[int(entry)] = int(stat.rsplit(")", 1)[1].split()[1])
    tree = {pid}
    grew = True
    while grew:
        grew = False
        for child, parent in parents.items():
            if parent in tree and child not in tree:
                tree.add(child)
                grew = True
    return tree


@pytest.mark.key("worker.elementsPerWorker")
@pytest.mark.integration
@pytest.mark.process
@pytest.mark.timeout(120)
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads the process tree in /proc")
async def test_a_config_without_a_worker_section_runs_on_a_worker_per_core(
    tmp_path: Path,
) -> None:
    """Issue 17: at most 2 x cores + 2 processes (before: one per station)."""
    cores = os.cpu_count() or 1
    stations = 4 * cores + 4
    async with CentralSystem() as csms:
        path = write_fleet(tmp_path, csms.url, {"t.json": (quick_template(), stations)})
        process = await evsim("run", "--config", str(path), "--no-uvloop")
        try:
            await csms.wait_booted(stations, 60)
            tree = process_tree(process.pid)
        finally:
            process.send_signal(signal.SIGTERM)
            code, _, err = await finished(process)
        assert code == 0, err
    # The supervisor, the forkserver (and its resource tracker) and one worker per core.
    assert cores + 1 < len(tree) <= 2 * cores + 2, tree
