"""The hypothesis profile the suite runs under (tests/conftest.py): on CI (CI=true, as .ci/run
sets it) no deadline and derandomized, so a loaded machine fails no example by time and a
failure comes back on a rerun; locally hypothesis' randomized default. The pytest header says
which."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def header(ci: str | None) -> str:
    """The profile line of a collection-only run of this file with CI set to `ci`."""
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    if ci is not None:
        env["CI"] = ci
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "--co", "-p", "no:cacheprovider", __file__],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("hypothesis profile")]
    assert lines, done.stdout + done.stderr
    return lines[0]


@pytest.mark.parametrize("ci", ["true", "1"])
def test_on_ci_hypothesis_runs_without_a_deadline_and_derandomized(ci: str) -> None:
    assert (
        header(ci) == f"hypothesis profile 'evsim-ci' (CI={ci!r}): deadline none, derandomize True"
    )


@pytest.mark.parametrize("ci", [None, "false"])
def test_locally_hypothesis_keeps_its_randomized_default(ci: str | None) -> None:
    assert header(ci) == (
        f"hypothesis profile 'default' (CI={ci or ''!r}): deadline 200 ms, derandomize False"
    )
