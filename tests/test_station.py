"""A station against the bundled CSMS, in one process: real sockets on 127.0.0.1."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from ocpp.exceptions import NotSupportedError as OcppNotSupported
from ocpp.v16 import call

from simulator.csms import CentralSystem
from simulator.station.clock import SystemClock
from simulator.station.ocpp16 import HANDLERS
from simulator.station.station import CLOSED, OPEN, ChargingStation
from simulator.stats import Statistics
from tests.fleet import specs_for
from tests.transports import EACH
from tests.waiting import eventually

pytestmark = [pytest.mark.integration, EACH]


class Changes:
    """Collects the deltas a station reports, as the host would."""

    def __init__(self) -> None:
        self.deltas: list[dict[str, Any]] = []

    def __call__(self, station: ChargingStation, delta: dict[str, Any]) -> None:
        self.deltas.append(delta)


@pytest.fixture
async def csms() -> AsyncIterator[CentralSystem]:
    async with CentralSystem(heartbeat_interval=60) as central:
        yield central


@asynccontextmanager
async def booted(station: ChargingStation, csms: CentralSystem) -> AsyncIterator[None]:
    """A started station, once the CSMS has accepted its boot; stopped afterwards."""
    await station.start()
    try:
        await csms.wait_booted(1, 10)
        yield
    finally:
        await station.stop()


def make_station(
    tmp_path: Path, url: str, statistics: Statistics | None = None, **template: Any
) -> tuple[ChargingStation, Changes]:
    spec = specs_for(tmp_path, url, 1, **template)[0]
    changes = Changes()
    return ChargingStation(
        spec, clock=SystemClock(), on_change=changes, statistics=statistics
    ), changes


async def test_station_boots_and_reports_every_connector(
    tmp_path: Path, csms: CentralSystem
) -> None:
    """OCPP 1.6 section 4.2 and 4.9: BootNotification, then StatusNotification per connector."""
    station, changes = make_station(tmp_path, csms.url)
    async with booted(station, csms):
        statuses = await csms.wait_received(station.spec.station_id, "StatusNotification", 10, 3)
        assert sorted(m.payload["connectorId"] for m in statuses) == [0, 1, 2]
        assert all(m.payload["status"] == "Available" for m in statuses)
        assert station.booted and station.ws_state == OPEN
        assert {"wsState": OPEN} in changes.deltas
        boot = csms.received(station.spec.station_id, "BootNotification")[0].payload
        assert boot["chargePointVendor"] == "evsim"
        assert boot["chargePointSerialNumber"].startswith("T-")
    assert station.ws_state == CLOSED


async def test_heartbeat_follows_the_accepted_interval(tmp_path: Path) -> None:
    async with CentralSystem(heartbeat_interval=1) as csms:
        station, _ = make_station(tmp_path, csms.url)
        await station.start()
        try:
            await csms.wait_received(station.spec.station_id, "Heartbeat", 10, 2)
            assert station.configuration.get("HeartbeatInterval") == "1"
        finally:
            await station.stop()


async def test_pending_boot_is_retried_until_accepted(tmp_path: Path) -> None:
    """Section 4.2: a Pending station boots again after the interval the CSMS gave."""
    async with CentralSystem(
        boot_status_sequence=("Pending", "Accepted"), boot_retry_interval=1
    ) as csms:
        station, changes = make_station(tmp_path, csms.url)
        await station.start()
        try:
            boots = await csms.wait_received(station.spec.station_id, "BootNotification", 10, 2)
            assert len(boots) == 2
            await eventually(lambda: station.booted, 10)
            statuses = [
                d["bootNotificationResponse"]["status"]
                for d in changes.deltas
                if "bootNotificationResponse" in d
            ]
            assert statuses[:2] == ["Pending", "Accepted"]
        finally:
            await station.stop()


@pytest.mark.key("registrationMaxRetries")
async def test_rejected_station_stops_after_registration_max_retries(tmp_path: Path) -> None:
    async with CentralSystem(boot_status_sequence=("Rejected",), boot_retry_interval=1) as csms:
        station, _ = make_station(tmp_path, csms.url, registrationMaxRetries=1)
        await station.start()
        await csms.wait_received(station.spec.station_id, "BootNotification", 10, 2)
        await eventually(lambda: not station.started, 10, "station stopped")
        assert len(csms.received(station.spec.station_id, "BootNotification")) == 2


async def test_station_reconnects_and_boots_again_after_csms_restart(
    tmp_path: Path, csms: CentralSystem
) -> None:
    station, _ = make_station(tmp_path, csms.url)
    async with booted(station, csms):
        await csms.stop()
        await csms.start()
        await csms.wait_received(station.spec.station_id, "BootNotification", 15, 2)
        await csms.wait_connected(1, 10)
        await eventually(lambda: station.booted and station.ws_state == OPEN, 10)


async def test_closed_connection_stays_closed_until_opened(
    tmp_path: Path, csms: CentralSystem
) -> None:
    station, _ = make_station(tmp_path, csms.url)
    async with booted(station, csms):
        await station.close_connection()
        await csms.wait_until(lambda: not csms.connected, 10)
        await asyncio.sleep(0.3)
        assert station.ws_state == CLOSED and not csms.connected
        await station.open_connection()
        await csms.wait_connected(1, 10)


async def test_get_configuration_lists_visible_keys_and_unknown_ones(
    tmp_path: Path, csms: CentralSystem
) -> None:
    """Section 5.8: hidden keys are not reported; unknown keys come back in unknownKey."""
    station, _ = make_station(tmp_path, csms.url)
    async with booted(station, csms):
        sid = station.spec.station_id
        everything = await csms.call(sid, call.GetConfiguration())
        keys = {entry["key"] for entry in everything.configuration_key}
        assert "HeartbeatInterval" in keys and "MaxCurrent" not in keys
        some = await csms.call(sid, call.GetConfiguration(key=["ModemVersion", "Nope"]))
        assert some.configuration_key == [{"key": "ModemVersion", "readonly": True, "value": "2.1"}]
        assert some.unknown_key == ["Nope"]


async def test_change_configuration_follows_section_5_3(
    tmp_path: Path, csms: CentralSystem
) -> None:
    station, _ = make_station(tmp_path, csms.url)
    async with booted(station, csms):
        sid = station.spec.station_id
        change = call.ChangeConfiguration
        assert (
            await csms.call(sid, change(key="HeartbeatInterval", value="30"))
        ).status == "Accepted"
        assert station.configuration.get("HeartbeatInterval") == "30"
        assert (await csms.call(sid, change(key="ModemVersion", value="3"))).status == "Rejected"
        assert (
            await csms.call(sid, change(key="HeartbeatInterval", value="x"))
        ).status == "Rejected"
        assert (await csms.call(sid, change(key="NoSuchKey", value="1"))).status == "NotSupported"


@pytest.mark.key("commandsSupport", "commandsSupport.incomingCommands")
async def test_known_action_without_handler_gets_not_supported(
    tmp_path: Path, csms: CentralSystem, monkeypatch: pytest.MonkeyPatch
) -> None:
    """OCPP-J 4.2.3: NotSupported is for an action recognised but not supported."""
    # Every action gets a handler with issue 3: take one away rather than pick one still missing.
    monkeypatch.delitem(HANDLERS, "GetLocalListVersion")
    station, _ = make_station(tmp_path, csms.url)
    async with booted(station, csms):
        sid = station.spec.station_id
        with pytest.raises(OcppNotSupported):
            await csms.call(sid, call.GetLocalListVersion())


async def test_trigger_message_sends_the_requested_heartbeat(
    tmp_path: Path, csms: CentralSystem
) -> None:
    station, _ = make_station(tmp_path, csms.url)
    async with booted(station, csms):
        sid = station.spec.station_id
        answer = await csms.call(sid, call.TriggerMessage(requested_message="Heartbeat"))
        assert answer.status == "Accepted"
        await csms.wait_received(sid, "Heartbeat", 10, 1)


async def test_latency_of_every_call_is_measured(tmp_path: Path, csms: CentralSystem) -> None:
    statistics = Statistics()
    station, _ = make_station(tmp_path, csms.url, statistics=statistics)
    async with booted(station, csms):
        await csms.wait_received(station.spec.station_id, "StatusNotification", 10, 3)
        await eventually(lambda: statistics.command("StatusNotification").responses == 3, 5)
        boot = statistics.command("BootNotification")
        assert boot.requests == boot.responses == 1
        assert boot.latency_us.total == 1 and boot.latency_us.max > 0


async def test_an_incoming_call_is_counted_with_the_station_handling_time(
    tmp_path: Path, csms: CentralSystem
) -> None:
    statistics = Statistics()
    station, _ = make_station(tmp_path, csms.url, statistics=statistics)
    async with booted(station, csms):
        await csms.call(station.spec.station_id, call.GetConfiguration())
        await eventually(lambda: "GetConfiguration" in statistics.commands, 5)
        received = statistics.commands["GetConfiguration"]
        assert (received.requests, received.responses, received.errors) == (1, 1, 0)
        assert received.latency_us.total == 1


async def test_an_incoming_call_answered_with_a_callerror_counts_as_an_error(
    tmp_path: Path, csms: CentralSystem
) -> None:
    statistics = Statistics()
    station, _ = make_station(
        tmp_path,
        csms.url,
        statistics=statistics,
        commandsSupport={"incomingCommands": {"GetConfiguration": False}},
    )
    async with booted(station, csms):
        with pytest.raises(OcppNotSupported):
            await csms.call(station.spec.station_id, call.GetConfiguration())
        await eventually(lambda: "GetConfiguration" in statistics.commands, 5)
        refused = statistics.commands["GetConfiguration"]
        assert (refused.requests, refused.responses, refused.errors) == (1, 0, 1)
