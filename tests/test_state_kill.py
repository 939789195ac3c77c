"""A store killed at any instant (issue 16, target 5): what a restart restores of each station is
the document of one of its steps, never older than the last one the store called on disk, and
never half of one.

Two ways: the driver (tests/store_driver.py) SIGKILLed in a subprocess at a seeded random
instant (fixed seeds and one drawn at random, printed with the command that replays it), and
in-process, the state directory copied after every write the store makes, as a kill right
after that write would leave it: every instant between two writes, exhaustively.
"""

from __future__ import annotations

import asyncio
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import orjson
import pytest

from simulator.station.persistence import read_state, state_path
from tests.store_driver import STATIONS, drive

pytestmark = pytest.mark.timeout(120)

PROJECT = Path(__file__).resolve().parent.parent
SEED_VARIABLE = "EVSIM_STATE_KILL_SEED"
FIXED_SEEDS = (1, 2, 3, 4, 5, 6)
RANDOM_SEED = int(os.environ.get(SEED_VARIABLE) or random.randrange(2**32))
HASH_IDS = [f"station-{i}" for i in range(STATIONS)]


class Steps:
    """What the driver logged: each station's documents by step, and its last durable step."""

    def __init__(self) -> None:
        self.documents: dict[str, dict[int, dict[str, Any]]] = {h: {} for h in HASH_IDS}
        self.durable: dict[str, int] = {}

    def log(self, line: dict[str, Any]) -> None:
        if "doc" in line:
            self.documents[line["h"]][line["n"]] = orjson.loads(orjson.dumps(line["doc"]))
        elif line.get("durable"):
            self.durable[line["h"]] = line["n"]

    def snapshot(self) -> Steps:
        copy = Steps()
        copy.documents = {h: dict(steps) for h, steps in self.documents.items()}
        copy.durable = dict(self.durable)
        return copy


def assert_restored_as_some_step(state_dir: Path, steps: Steps) -> None:
    for hash_id in HASH_IDS:
        restored = read_state(state_path(state_dir, hash_id))
        durable = steps.durable.get(hash_id, 0)
        if restored is None:
            assert durable == 0, f"{hash_id}: step {durable} was on disk, nothing restored"
            continue
        allowed = {n: d for n, d in steps.documents[hash_id].items() if n >= durable}
        matching = [n for n, document in allowed.items() if document == restored]
        assert matching, f"{hash_id}: restored {restored} is no step from {durable} on"


def replay_command(request: pytest.FixtureRequest, seed: int) -> str:
    return f"{SEED_VARIABLE}={seed} python -m pytest '{request.node.nodeid}' -p no:cacheprovider"


@pytest.mark.process
@pytest.mark.parametrize(
    "seed",
    [*FIXED_SEEDS, pytest.param(RANDOM_SEED, id="random-seed")],
)
def test_a_store_sigkilled_at_a_random_instant_restores_a_state_some_step_had(
    tmp_path: Path, seed: int, request: pytest.FixtureRequest
) -> None:
    print(f"state kill seed {seed}; replay: {replay_command(request, seed)}")
    state_dir, log = tmp_path / "state", tmp_path / "steps.log"
    driver = subprocess.Popen(
        [sys.executable, "-m", "tests.store_driver", str(state_dir), str(seed), str(log)],
        cwd=PROJECT,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(300):  # 30 s: the driver imports the simulator first
            if log.exists() and log.read_bytes():
                break
            assert driver.poll() is None, "the driver ended early"
            time.sleep(0.1)
        time.sleep(random.Random(seed).uniform(0.05, 1.0))
    finally:
        driver.send_signal(signal.SIGKILL)
        driver.wait(10)
    steps = Steps()
    lines = log.read_bytes().split(b"\n")
    for line in lines[:-1]:  # the last one may be torn
        steps.log(orjson.loads(line))
    assert sum(len(d) for d in steps.documents.values()) > 10, "too few steps to test anything"
    assert_restored_as_some_step(state_dir, steps)


def test_a_kill_right_after_any_write_of_the_store_restores_a_state_some_step_had(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    state_dir = tmp_path / "state"
    steps = Steps()
    cuts: list[tuple[Path, Steps]] = []
    write, pwrite = os.write, os.pwrite

    def cut() -> None:
        copy = tmp_path / f"cut-{len(cuts)}"
        shutil.copytree(state_dir, copy)
        cuts.append((copy, steps.snapshot()))

    def ours(fd: int) -> bool:
        return os.readlink(f"/proc/self/fd/{fd}").startswith(str(state_dir))

    def cut_after_write(fd: int, data: Any) -> int:
        written = write(fd, data)
        if ours(fd):
            cut()
        return written

    def cut_after_pwrite(fd: int, data: Any, offset: int) -> int:
        written = pwrite(fd, data, offset)
        if ours(fd):
            cut()
        return written

    async def scenario() -> None:
        monkeypatch.setattr(os, "write", cut_after_write)
        monkeypatch.setattr(os, "pwrite", cut_after_pwrite)
        try:
            await drive(state_dir, 7, steps.log, steps=150)
        finally:
            monkeypatch.undo()

    asyncio.run(scenario())
    assert len(cuts) > 100
    for copy, seen in cuts:
        assert_restored_as_some_step(copy, seen)
