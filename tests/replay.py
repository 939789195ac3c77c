"""Replaying a seeded test: a test that draws a random seed records, through the `replay`
fixture, the one command that runs it again with that seed; when the test fails, the command is
printed with the failure (a "replay" section under the traceback), so a failing seed found once
is never lost."""

from __future__ import annotations

import shlex
from collections.abc import Generator

import pytest

REPLAY = pytest.StashKey[str]()


class Replay:
    def __init__(self, item: pytest.Item) -> None:
        self.item = item

    def record(self, env: dict[str, str], node_id: str | None = None) -> str:
        """Records and returns the command that reruns `node_id` (this test by default) with
        `env` set."""
        assignments = " ".join(f"{name}={shlex.quote(value)}" for name, value in env.items())
        target = shlex.quote(node_id or self.item.nodeid)
        command = f"{assignments} python -m pytest {target}"
        self.item.stash[REPLAY] = command
        return command


@pytest.fixture
def replay(request: pytest.FixtureRequest) -> Replay:
    return Replay(request.node)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    command = item.stash.get(REPLAY, None)
    if command is not None and report.failed:
        report.sections.append(("replay", f"replay this run with:\n  {command}"))
    return report
