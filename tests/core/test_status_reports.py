"""A connector's status moved and reported: the move (connector_status.change_status, neutral)
against a fake adapter, and the OCPP 1.6 reporting rules (ocpp16/status_reports.py: section 4.9
transitions, MinimumStatusDuration, a problem reported on connector 0) against a fake station.
No socket, no ChargingStation; time is tests/virtual_clock.py's."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any

from loguru import logger

from simulator.station.clock import iso_timestamp
from simulator.station.connector_status import change_status
from simulator.station.core.model import ConnectorState
from simulator.station.ocpp16.status_reports import StatusReports
from simulator.station.rpc import ConnectionLost
from tests.virtual_clock import VirtualClock


@dataclass
class FakeAdapterHost:
    """connector_status.StatusHost whose reports go to a fake adapter (a list)."""

    connectors: dict[int, ConnectorState]
    fail_reports: bool = False
    reported: list[int] = field(default_factory=list)
    ui_changes: int = 0
    log: Any = logger

    def connectors_changed(self) -> None:
        self.ui_changes += 1

    async def send_status(self, connector_id: int) -> None:
        if self.fail_reports:
            raise ConnectionLost("offline")
        self.reported.append(connector_id)


def connectors(**statuses: str) -> dict[int, ConnectorState]:
    """Connector 0 and 1, Available unless given (c0=..., c1=...)."""
    return {i: ConnectorState(i, statuses.get(f"c{i}", "Available"), None) for i in (0, 1)}


async def test_an_allowed_move_changes_the_status_tells_the_ui_and_is_reported() -> None:
    host = FakeAdapterHost(connectors())

    assert await change_status(host, 1, "Preparing")

    assert host.connectors[1].status == "Preparing"
    assert (host.ui_changes, host.reported) == (1, [1])


async def test_a_move_section_4_9_does_not_allow_is_refused_and_not_reported() -> None:
    """Section 4.9: Available -> Finishing is no transition of the table."""
    host = FakeAdapterHost(connectors())

    assert not await change_status(host, 1, "Finishing")

    assert host.connectors[1].status == "Available"
    assert (host.ui_changes, host.reported) == (0, [])


async def test_staying_in_the_same_status_is_no_move_and_no_report() -> None:
    host = FakeAdapterHost(connectors())

    assert await change_status(host, 1, "Available")

    assert host.reported == []


async def test_a_report_that_cannot_leave_keeps_the_move() -> None:
    host = FakeAdapterHost(connectors(), fail_reports=True)

    assert await change_status(host, 1, "Preparing")

    assert host.connectors[1].status == "Preparing"


@dataclass
class FakeKeys:
    values: dict[str, int] = field(default_factory=dict)

    def get_int(self, key: str, default: int) -> int:
        return self.values.get(key, default)


@dataclass
class FakeStation:
    """ocpp16.ports.SessionStation as far as the status reports use it; `call` records."""

    clock: VirtualClock
    connectors: dict[int, ConnectorState]
    configuration: FakeKeys = field(default_factory=FakeKeys)
    disabled: frozenset[str] = frozenset()
    sent: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    log: Any = logger
    tasks: set[asyncio.Task[Any]] = field(default_factory=set)

    def spawn(self, coroutine: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        task = asyncio.ensure_future(coroutine)
        self.tasks.add(task)
        return task

    def outgoing_supported(self, action: str) -> bool:
        return action not in self.disabled

    async def call(self, action: str, payload: dict[str, Any]) -> dict[str, Any]:
        self.sent.append((action, payload))
        return {}

    def statuses(self) -> list[str]:
        return [p["status"] for action, p in self.sent if action == "StatusNotification"]


def station(**keys: int) -> FakeStation:
    return FakeStation(VirtualClock(), connectors(), FakeKeys(dict(keys)))


async def test_a_status_is_reported_with_the_connector_error_code_and_a_timestamp() -> None:
    fake = station()
    fake.connectors[1].error_code = "NoError"

    await StatusReports(fake).send(1, report=True)

    assert fake.sent == [
        (
            "StatusNotification",
            {
                "connectorId": 1,
                "errorCode": "NoError",
                "status": "Available",
                "timestamp": iso_timestamp(fake.clock.now()),
            },
        )
    ]


async def test_a_change_that_is_no_section_4_9_transition_from_the_last_report_is_not_sent() -> (
    None
):
    fake = station()
    reports = StatusReports(fake)
    await reports.send(1, report=True)  # Available reported
    fake.connectors[1].status = "Finishing"  # set behind the state machine's back

    await reports.send(1)

    assert fake.statuses() == ["Available"]


async def test_a_report_asked_for_sends_the_status_as_it_is() -> None:
    """After a boot or a TriggerMessage (section 5.17) the state is reported as it is."""
    fake = station()
    reports = StatusReports(fake)
    await reports.send(1, report=True)
    fake.connectors[1].status = "Finishing"

    await reports.send(1, report=True)

    assert fake.statuses() == ["Available", "Finishing"]


async def test_with_minimum_status_duration_a_status_that_lasted_it_is_sent_once() -> None:
    """Section 9.1.20 MinimumStatusDuration."""
    fake = station(MinimumStatusDuration=10)
    reports = StatusReports(fake)
    fake.connectors[1].status = "Preparing"
    await reports.send(1)

    await fake.clock.run_for(9)
    before = fake.statuses()
    await fake.clock.run_for(2)

    assert (before, fake.statuses()) == ([], ["Preparing"])


async def test_with_minimum_status_duration_a_status_that_did_not_last_is_never_sent() -> None:
    fake = station(MinimumStatusDuration=10)
    reports = StatusReports(fake)
    fake.connectors[1].status = "Preparing"
    await reports.send(1)
    await fake.clock.run_for(5)
    fake.connectors[1].status = "Charging"
    await reports.send(1)

    await fake.clock.run_for(20)

    assert fake.statuses() == ["Charging"]


async def test_a_status_is_not_sent_when_commands_support_leaves_it_out() -> None:
    fake = station()
    fake.disabled = frozenset({"StatusNotification"})

    await StatusReports(fake).send(1, report=True)

    assert fake.sent == []


async def test_a_problem_is_reported_on_connector_0_with_its_status_unchanged() -> None:
    """Section 4.9: an errorCode with a status other than Faulted is a warning; the info is
    CiString50Type (section 7.47), cut to 50 characters."""
    fake = station()
    fake.connectors[0].status = "Unavailable"

    await StatusReports(fake).report_problem("LocalListConflict", "x" * 80)

    ((action, payload),) = fake.sent
    assert (action, payload["connectorId"], payload["status"]) == (
        "StatusNotification",
        0,
        "Unavailable",
    )
    assert (payload["errorCode"], payload["info"]) == ("LocalListConflict", "x" * 50)
