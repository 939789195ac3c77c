"""Fixtures shared by several test modules, and the suite-wide schema check: every message an
evsim station sends to the bundled CSMS in any test must satisfy the `ocpp` library's OCPP 1.6
schemas (issue 3)."""

import os
from collections.abc import Iterator
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, settings

from simulator.csms import CentralSystem
from simulator.station.connection import current_transport, use_transport
from simulator.station.transport import PICOWS
from simulator.station.transport_choice import TransportName

pytest_plugins = ["tests.mongodb", "tests.replay"]

# On a shared CI machine a slow example is load, not a bug: no deadline, and the same examples
# every run (derandomized), so a CI failure is one a rerun shows again (CI=true, as .ci/run
# sets it). Local runs keep hypothesis' randomized default profile and its 200 ms deadline.
# `--hypothesis-profile` overrides either.
CI_PROFILE = "evsim-ci"
settings.register_profile(
    CI_PROFILE,
    deadline=None,
    derandomize=True,
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
IN_CI = os.environ.get("CI", "").lower() not in {"", "0", "false", "no"}
PROFILE = CI_PROFILE if IN_CI else "default"
settings.load_profile(PROFILE)

# Tests that send invalid messages on purpose (a raw peer probing the CSMS's CALLERRORs).
SENDS_INVALID_MESSAGES = "sends_invalid_messages"


def pytest_report_header(config: pytest.Config) -> str:
    current = settings()  # the loaded profile's values
    deadline = (
        "none"
        if current.deadline is None
        else f"{current.deadline / timedelta(milliseconds=1):g} ms"
    )
    name = config.getoption("hypothesis_profile", None) or PROFILE
    return (
        f"hypothesis profile {name!r} (CI={os.environ.get('CI', '')!r}): deadline {deadline}, "
        f"derandomize {current.derandomize}"
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{SENDS_INVALID_MESSAGES}: the test sends messages the OCPP 1.6 schemas refuse on "
        "purpose; the suite-wide schema check ignores them",
    )


@pytest.fixture(autouse=True)
def no_schema_violations(request: pytest.FixtureRequest) -> Iterator[None]:
    """Fails the test (at teardown) when any CentralSystem received a message the OCPP 1.6
    schemas refuse while it ran, naming station, action and error."""
    violations = CentralSystem.schema_violations
    before = len(violations)
    yield
    received = violations[before:]
    del violations[before:]
    if request.node.get_closest_marker(SENDS_INVALID_MESSAGES) is None and received:
        pytest.fail(
            "schema violations received by the CSMS:\n"
            + "\n".join(f"  {v.station_id} {v.action}: {v.code} {v.details}" for v in received),
            pytrace=False,
        )


def pytest_sessionfinish(session: pytest.Session) -> None:
    """What no test's teardown saw (a session fixture's station, say) fails the run too."""
    if CentralSystem.schema_violations:
        lines = [
            f"{v.station_id} {v.action}: {v.code} {v.details}"
            for v in CentralSystem.schema_violations
        ]
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write_line(
                "schema violations received by the CSMS:\n  " + "\n  ".join(lines), red=True
            )
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture
def transport_restored() -> Iterator[None]:
    """The library this process's connections run on is as it was before the test."""
    before = current_transport()
    yield
    use_transport(before.name)


@pytest.fixture(params=[name for name in ("picows", "websockets") if name != "picows" or PICOWS])
def ws_transport(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, transport_restored: None
) -> str:
    """This process's connections, and those of the processes a test spawns, on one library."""
    name: TransportName = request.param
    use_transport(name)
    monkeypatch.setenv("EVSIM_WS_TRANSPORT", name)
    return name
