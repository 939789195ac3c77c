"""tests/replay.py: a seeded test that fails prints the one command that replays its seed; one
that passes prints nothing of it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

SEEDED_TEST = """
import os
import random

from tests.replay import Replay

pytest_plugins = ["tests.replay"]


def test_seeded(replay: Replay) -> None:
    seed = int(os.environ.get("DEMO_SEED") or random.randrange(2**32))
    replay.record({"DEMO_SEED": str(seed)})
    assert seed % 2 == int(os.environ["DEMO_PARITY"]), f"seed {seed}"
"""


def run(directory: Path, **env: str) -> str:
    (directory / "test_seeded_demo.py").write_text(SEEDED_TEST)
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "test_seeded_demo.py"],
        cwd=directory,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO), **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return done.stdout


def test_a_failing_seeded_test_prints_the_command_that_replays_its_seed(tmp_path: Path) -> None:
    output = run(tmp_path, DEMO_SEED="7", DEMO_PARITY="0")
    assert (
        "replay this run with:\n  DEMO_SEED=7 python -m pytest test_seeded_demo.py::test_seeded"
        in output
    )


def test_the_printed_command_replays_the_failure(tmp_path: Path) -> None:
    first = run(tmp_path, DEMO_PARITY="2")  # no seed passes: every run fails
    command = first.split("replay this run with:\n  ", 1)[1].splitlines()[0]
    assignment, _ = command.split(" python -m pytest ", 1)
    name, seed = assignment.split("=")
    replayed = run(tmp_path, DEMO_PARITY="2", **{name: seed})
    assert f"seed {seed}" in first and f"seed {seed}" in replayed


def test_a_passing_seeded_test_prints_no_replay(tmp_path: Path) -> None:
    output = run(tmp_path, DEMO_SEED="8", DEMO_PARITY="0")
    assert "1 passed" in output and "replay this run" not in output
