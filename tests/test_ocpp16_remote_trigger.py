"""TriggerMessage (OCPP 1.6 section 5.17) between a station and the bundled CSMS."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from ocpp.v16 import call

from simulator.csms import CentralSystem
from simulator.station.ocpp16.remote_trigger import trigger_answer
from tests.test_station import booted, make_station

pytestmark = pytest.mark.integration

TIMEOUT = 10


@pytest.fixture
async def csms() -> AsyncIterator[CentralSystem]:
    async with CentralSystem(heartbeat_interval=60) as central:
        yield central


async def test_triggered_meter_values_of_one_connector_have_context_trigger(
    tmp_path: Path, csms: CentralSystem
) -> None:
    """Section 5.17 and errata 3.46: the current MeterValuesSampledData values of the
    requested connector, context Trigger."""
    station, _ = make_station(tmp_path, csms.url)
    async with booted(station, csms):
        sid = station.spec.station_id
        request = call.TriggerMessage(requested_message="MeterValues", connector_id=2)
        assert (await csms.call(sid, request)).status == "Accepted"
        sent = (await csms.wait_received(sid, "MeterValues", TIMEOUT))[0].payload
        assert sent["connectorId"] == 2 and "transactionId" not in sent
        sampled = sent["meterValue"][0]["sampledValue"]
        assert {v["measurand"] for v in sampled} == {"Energy.Active.Import.Register"}
        assert {v["context"] for v in sampled} == {"Trigger"}


async def test_triggered_meter_values_without_connector_cover_every_connector(
    tmp_path: Path, csms: CentralSystem
) -> None:
    station, _ = make_station(tmp_path, csms.url)
    async with booted(station, csms):
        sid = station.spec.station_id
        await csms.call(sid, call.TriggerMessage(requested_message="MeterValues"))
        sent = await csms.wait_received(sid, "MeterValues", TIMEOUT, 2)
        assert sorted(m.payload["connectorId"] for m in sent) == [1, 2]


async def test_triggered_meter_values_carry_the_running_transaction(
    tmp_path: Path, csms: CentralSystem
) -> None:
    station, _ = make_station(tmp_path, csms.url)
    async with booted(station, csms):
        sid = station.spec.station_id
        await station.wait_accepted()
        response = await station.transactions.start(1, "TAG")
        request = call.TriggerMessage(requested_message="MeterValues", connector_id=1)
        await csms.call(sid, request)
        sent = (await csms.wait_received(sid, "MeterValues", TIMEOUT))[-1].payload
        assert sent["transactionId"] == response["transactionId"]


async def test_triggered_status_notification_of_one_connector(
    tmp_path: Path, csms: CentralSystem
) -> None:
    station, _ = make_station(tmp_path, csms.url)
    async with booted(station, csms):
        sid = station.spec.station_id
        await csms.wait_received(sid, "StatusNotification", TIMEOUT, 3)
        request = call.TriggerMessage(requested_message="StatusNotification", connector_id=2)
        assert (await csms.call(sid, request)).status == "Accepted"
        sent = await csms.wait_received(sid, "StatusNotification", TIMEOUT, 4)
        assert sent[-1].payload["connectorId"] == 2
        assert sent[-1].payload["status"] == "Available"


async def test_triggered_status_notification_without_connector_reports_all(
    tmp_path: Path, csms: CentralSystem
) -> None:
    station, _ = make_station(tmp_path, csms.url)
    async with booted(station, csms):
        sid = station.spec.station_id
        await csms.wait_received(sid, "StatusNotification", TIMEOUT, 3)
        await csms.call(sid, call.TriggerMessage(requested_message="StatusNotification"))
        sent = await csms.wait_received(sid, "StatusNotification", TIMEOUT, 6)
        assert sorted(m.payload["connectorId"] for m in sent[3:]) == [0, 1, 2]


@pytest.mark.parametrize("message", ["DiagnosticsStatusNotification", "FirmwareStatusNotification"])
async def test_triggered_notification_reports_idle_when_nothing_runs(
    tmp_path: Path, csms: CentralSystem, message: str
) -> None:
    """Section 5.17, errata 3.31 / 3.47: no upload or update in progress -> Idle."""
    station, _ = make_station(tmp_path, csms.url)
    async with booted(station, csms):
        sid = station.spec.station_id
        answer = await csms.call(sid, call.TriggerMessage(requested_message=message))
        assert answer.status == "Accepted"
        sent = await csms.wait_received(sid, message, TIMEOUT)
        assert sent[0].payload == {"status": "Idle"}


async def test_triggered_boot_notification_boots_again(tmp_path: Path, csms: CentralSystem) -> None:
    station, _ = make_station(tmp_path, csms.url)
    async with booted(station, csms):
        sid = station.spec.station_id
        await csms.call(sid, call.TriggerMessage(requested_message="BootNotification"))
        await csms.wait_received(sid, "BootNotification", TIMEOUT, 2)


async def test_trigger_for_a_connector_the_station_lacks_is_rejected(
    tmp_path: Path, csms: CentralSystem
) -> None:
    station, _ = make_station(tmp_path, csms.url)
    async with booted(station, csms):
        request = call.TriggerMessage(requested_message="MeterValues", connector_id=5)
        assert (await csms.call(station.spec.station_id, request)).status == "Rejected"


@pytest.mark.key("commandsSupport.outgoingCommands")
async def test_a_disabled_triggered_message_is_not_sent(
    tmp_path: Path, csms: CentralSystem
) -> None:
    """commandsSupport.outgoingCommands MeterValues false: the trigger sends nothing."""
    outgoing = {"BootNotification": True, "StatusNotification": True, "MeterValues": False}
    station, _ = make_station(tmp_path, csms.url, commandsSupport={"outgoingCommands": outgoing})
    async with booted(station, csms):
        sid = station.spec.station_id
        await csms.call(sid, call.TriggerMessage(requested_message="MeterValues"))
        await csms.call(sid, call.TriggerMessage(requested_message="StatusNotification"))
        await csms.wait_received(sid, "StatusNotification", TIMEOUT, 6)
        assert not csms.received(sid, "MeterValues")


def test_an_unknown_requested_message_is_not_implemented() -> None:
    """Section 5.17: a message the station cannot trigger -> NotImplemented (the library's
    schema check keeps the CSMS from sending one, so this is the pure decision)."""
    assert trigger_answer("SecurityEventNotification", None, frozenset({0, 1})) == (
        "NotImplemented"
    )
    assert trigger_answer("MeterValues", 3, frozenset({0, 1})) == "Rejected"
    assert trigger_answer("MeterValues", 1, frozenset({0, 1})) == "Accepted"
