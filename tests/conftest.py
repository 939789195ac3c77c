"""Fixtures shared by several test modules, and the suite-wide schema check: every message an
evsim station sends to the bundled CSMS in any test must satisfy the `ocpp` library's OCPP 1.6
schemas (issue 3)."""

from collections.abc import Iterator

import pytest

from simulator.csms import CentralSystem

pytest_plugins = ["tests.mongodb"]

# Tests that send invalid messages on purpose (a raw peer probing the CSMS's CALLERRORs).
SENDS_INVALID_MESSAGES = "sends_invalid_messages"


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
