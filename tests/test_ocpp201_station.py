"""A 2.0.1 station against the bundled CSMS (written on the `ocpp` library's v201 classes, an
independent implementation), in one process: real sockets on 127.0.0.1. Every message either
side sends is validated against the v201 schemas (the CSMS's library validates what it
receives and what the station answers: a violation fails the test, tests/conftest.py)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from ocpp.v201 import call

from simulator.config_loading import load_settings
from simulator.csms import CentralSystem
from simulator.plan import plan_stations
from simulator.station.clock import SystemClock
from simulator.station.intents import stop_transaction
from simulator.station.station import ChargingStation
from tests.fleet import REPO, write_fleet
from tests.fleet201 import specs_201
from tests.transports import EACH
from tests.waiting import eventually

pytestmark = [pytest.mark.integration, EACH]

WAIT = 10.0


@pytest.fixture
async def csms() -> AsyncIterator[CentralSystem]:
    async with CentralSystem(heartbeat_interval=60) as central:
        yield central


def make_station(tmp_path: Path, url: str, **template: Any) -> ChargingStation:
    [spec] = specs_201(tmp_path, url, 1, **template)
    return ChargingStation(spec, clock=SystemClock(), on_change=lambda s, d: None)


@asynccontextmanager
async def booted(station: ChargingStation, csms: CentralSystem) -> AsyncIterator[str]:
    await station.start()
    try:
        await csms.wait_booted(1, WAIT)
        yield station.spec.station_id
    finally:
        await station.stop()


async def test_a_201_station_connects_with_the_ocpp201_subprotocol_and_boots_b01_fr_01(
    tmp_path: Path, csms: CentralSystem
) -> None:
    station = make_station(tmp_path, csms.url)
    async with booted(station, csms) as station_id:
        assert csms.ocpp_version(station_id) == "2.0.1"
        [boot] = csms.received(station_id, "BootNotification")
        assert boot.payload["reason"] == "PowerUp"
        assert boot.payload["chargingStation"]["model"] == "Test AC 2.0.1"


async def test_after_an_accepted_boot_each_connector_reports_its_status_b01_fr_05(
    tmp_path: Path, csms: CentralSystem
) -> None:
    station = make_station(tmp_path, csms.url)
    async with booted(station, csms) as station_id:
        await eventually(
            lambda: len(csms.received(station_id, "StatusNotification")) >= 2, WAIT, "statuses"
        )
        reported = {
            (m.payload["evseId"], m.payload["connectorId"], m.payload["connectorStatus"])
            for m in csms.received(station_id, "StatusNotification")
        }
    assert reported == {(1, 1, "Available"), (2, 1, "Available")}


async def test_get_variables_answers_the_heartbeat_interval_b06_fr_01(
    tmp_path: Path, csms: CentralSystem
) -> None:
    station = make_station(tmp_path, csms.url)
    async with booted(station, csms) as station_id:
        result = await csms.call(
            station_id,
            call.GetVariables(
                get_variable_data=[
                    {
                        "component": {"name": "OCPPCommCtrlr"},
                        "variable": {"name": "HeartbeatInterval"},
                    }
                ]
            ),
        )
    [answer] = result.get_variable_result
    assert (answer["attribute_status"], answer["attribute_value"]) == ("Accepted", "60")


async def test_set_variables_changes_the_heartbeat_interval_at_once_b05_fr_01(
    tmp_path: Path, csms: CentralSystem
) -> None:
    station = make_station(tmp_path, csms.url)
    async with booted(station, csms) as station_id:
        result = await csms.call(
            station_id,
            call.SetVariables(
                set_variable_data=[
                    {
                        "component": {"name": "OCPPCommCtrlr"},
                        "variable": {"name": "HeartbeatInterval"},
                        "attribute_value": "120",
                    }
                ]
            ),
        )
        read = station.variables.integer("OCPPCommCtrlr", "HeartbeatInterval", 0)
    assert result.set_variable_result[0]["attribute_status"] == "Accepted"
    assert read == 120


async def test_get_base_report_is_accepted_then_notify_reports_follow_b07_fr_01(
    tmp_path: Path, csms: CentralSystem
) -> None:
    station = make_station(tmp_path, csms.url)
    async with booted(station, csms) as station_id:
        result = await csms.call(
            station_id, call.GetBaseReport(request_id=7, report_base="FullInventory")
        )
        await eventually(
            lambda: any(
                not m.payload.get("tbc", False) for m in csms.received(station_id, "NotifyReport")
            ),
            WAIT,
            "the last NotifyReport",
        )
        parts = csms.received(station_id, "NotifyReport")
    assert result.status == "Accepted"
    assert [p.payload["seqNo"] for p in parts] == list(range(len(parts)))
    assert {p.payload["requestId"] for p in parts} == {7}


async def test_a_triggered_heartbeat_is_sent_f06_fr_05(tmp_path: Path, csms: CentralSystem) -> None:
    station = make_station(tmp_path, csms.url)
    async with booted(station, csms) as station_id:
        result = await csms.call(station_id, call.TriggerMessage(requested_message="Heartbeat"))
        await eventually(lambda: bool(csms.received(station_id, "Heartbeat")), WAIT, "heartbeat")
    assert result.status == "Accepted"


async def test_a_remote_start_then_a_remote_stop_run_one_transaction_f01_f03(
    tmp_path: Path, csms: CentralSystem
) -> None:
    station = make_station(tmp_path, csms.url)
    async with booted(station, csms) as station_id:
        started = await csms.call(
            station_id,
            call.RequestStartTransaction(
                id_token={"id_token": "TAG-1", "type": "ISO14443"}, remote_start_id=42, evse_id=1
            ),
        )

        def events() -> list[dict[str, Any]]:
            return [m.payload for m in csms.received(station_id, "TransactionEvent")]

        await eventually(
            lambda: any(e["eventType"] == "Started" for e in events()), WAIT, "Started"
        )
        [first] = [e for e in events() if e["eventType"] == "Started"]
        transaction_id = first["transactionInfo"]["transactionId"]
        stopped = await csms.call(
            station_id, call.RequestStopTransaction(transaction_id=transaction_id)
        )
        await eventually(lambda: any(e["eventType"] == "Ended" for e in events()), WAIT, "Ended")
        [ended] = [e for e in events() if e["eventType"] == "Ended"]
    assert (started.status, stopped.status) == ("Accepted", "Accepted")
    assert first["transactionInfo"]["remoteStartId"] == 42 and first["seqNo"] == 0
    assert first["evse"] == {"id": 1, "connectorId": 1}
    assert ended["transactionInfo"]["transactionId"] == transaction_id
    assert ended["transactionInfo"]["stoppedReason"] == "Remote"
    assert ended["triggerReason"] == "RemoteStop"


async def test_change_availability_of_an_evse_makes_its_connector_unavailable_g03_fr_01(
    tmp_path: Path, csms: CentralSystem
) -> None:
    station = make_station(tmp_path, csms.url)
    async with booted(station, csms) as station_id:
        result = await csms.call(
            station_id,
            call.ChangeAvailability(operational_status="Inoperative", evse={"id": 2}),
        )
        await eventually(
            lambda: any(
                m.payload["connectorStatus"] == "Unavailable"
                for m in csms.received(station_id, "StatusNotification")
            ),
            WAIT,
            "Unavailable",
        )
        unavailable = [
            m.payload["evseId"]
            for m in csms.received(station_id, "StatusNotification")
            if m.payload["connectorStatus"] == "Unavailable"
        ]
    assert result.status == "Accepted"
    assert unavailable == [2]


async def test_a_reset_on_idle_of_an_idle_station_reboots_it_with_reason_remote_reset_b11(
    tmp_path: Path, csms: CentralSystem
) -> None:
    station = make_station(tmp_path, csms.url, resetTime=0)
    async with booted(station, csms) as station_id:
        result = await csms.call(station_id, call.Reset(type="OnIdle"))
        await eventually(
            lambda: len(csms.received(station_id, "BootNotification")) >= 2, WAIT * 2, "reboot"
        )
        again = csms.received(station_id, "BootNotification")[-1]
    assert result.status == "Accepted"
    assert again.payload["reason"] == "RemoteReset"


async def test_the_atg_runs_transactions_as_started_updated_ended_events_e01_fr_07(
    tmp_path: Path, csms: CentralSystem
) -> None:
    """The ATG's sessions on a 2.0.1 station: one Started, Updated events, one Ended, seqNo from
    0 rising by one (E01.FR.07), energy never going back; the CSMS's report (report201.py) finds
    no anomaly."""
    station = make_station(
        tmp_path,
        csms.url,
        AutomaticTransactionGenerator={
            "enable": True,
            "minDuration": 3,
            "maxDuration": 3,
            "minDelayBetweenTwoTransactions": 0,
            "maxDelayBetweenTwoTransactions": 1,
            "probabilityOfStart": 1,
            "stopAfterHours": 1,
            "requireAuthorize": False,
        },
        Configuration={
            "configurationKey": [
                {"key": "SampledDataCtrlr.TxUpdatedInterval", "value": "1"},
            ]
        },
    )
    async with booted(station, csms) as station_id:
        await eventually(
            lambda: (
                sum(
                    1
                    for m in csms.received(station_id, "TransactionEvent")
                    if m.payload["eventType"] == "Ended"
                )
                >= 2
            ),
            WAIT * 2,
            "two sessions ended",
        )
    # The station's stop ended the sessions still running, and their Ended left before it closed.
    events = [m.payload for m in csms.received(station_id, "TransactionEvent")]
    by_transaction: dict[str, list[dict[str, Any]]] = {}
    for event in events:
        by_transaction.setdefault(event["transactionInfo"]["transactionId"], []).append(event)
    assert len(by_transaction) >= 2
    for sequence in by_transaction.values():
        kinds = [e["eventType"] for e in sequence]
        assert kinds[0] == "Started" and kinds[-1] == "Ended"
        assert kinds.count("Started") == kinds.count("Ended") == 1
        assert [e["seqNo"] for e in sequence] == list(range(len(sequence)))
    assert any(e["eventType"] == "Updated" for e in events)
    assert csms.report.stations[station_id].anomalies == {}


async def test_a_triggered_transaction_event_is_an_updated_event_with_trigger_f06_fr_07(
    tmp_path: Path, csms: CentralSystem
) -> None:
    station = make_station(tmp_path, csms.url)
    async with booted(station, csms) as station_id:
        await csms.call(
            station_id,
            call.RequestStartTransaction(
                id_token={"id_token": "TAG-1", "type": "ISO14443"}, remote_start_id=1, evse_id=1
            ),
        )

        def events() -> list[dict[str, Any]]:
            return [m.payload for m in csms.received(station_id, "TransactionEvent")]

        await eventually(lambda: bool(events()), WAIT, "Started")
        result = await csms.call(
            station_id,
            call.TriggerMessage(requested_message="TransactionEvent", evse={"id": 1}),
        )
        await eventually(
            lambda: any(e["triggerReason"] == "Trigger" for e in events()), WAIT, "the event"
        )
        [triggered] = [e for e in events() if e["triggerReason"] == "Trigger"]
    assert result.status == "Accepted"
    assert triggered["eventType"] == "Updated"
    assert triggered["seqNo"] == 1
    assert triggered["meterValue"][0]["sampledValue"][0]["context"] == "Trigger"


async def test_the_ui_stops_a_201_transaction_by_the_stations_own_id(
    tmp_path: Path, csms: CentralSystem
) -> None:
    """The UI's stopTransaction names a 2.0.1 transaction by its station-made id (a string)."""
    station = make_station(tmp_path, csms.url)
    async with booted(station, csms) as station_id:
        await csms.call(
            station_id,
            call.RequestStartTransaction(
                id_token={"id_token": "TAG-1", "type": "ISO14443"}, remote_start_id=1, evse_id=1
            ),
        )
        await eventually(lambda: bool(station.connectors[1].transaction_id), WAIT, "started")
        transaction_id = station.connectors[1].transaction_id
        await stop_transaction(station, {"transactionId": transaction_id})
        ended = [
            m.payload
            for m in csms.received(station_id, "TransactionEvent")
            if m.payload["eventType"] == "Ended"
        ]
    assert isinstance(transaction_id, str)
    assert [e["transactionInfo"]["transactionId"] for e in ended] == [transaction_id]
    assert ended[0]["transactionInfo"]["stoppedReason"] == "Local"


async def test_get_variables_reports_availability_and_time_from_the_station_b06_g01(
    tmp_path: Path, csms: CentralSystem
) -> None:
    """AvailabilityState of a connector, of its EVSE and of the station, and ClockCtrlr.DateTime,
    as the station is when asked (after ChangeAvailability of EVSE 2: Unavailable there)."""
    station = make_station(tmp_path, csms.url)
    async with booted(station, csms) as station_id:
        await csms.call(
            station_id, call.ChangeAvailability(operational_status="Inoperative", evse={"id": 2})
        )
        result = await csms.call(
            station_id,
            call.GetVariables(
                get_variable_data=[
                    {
                        "component": {"name": "Connector", "evse": {"id": 1, "connector_id": 1}},
                        "variable": {"name": "AvailabilityState"},
                    },
                    {
                        "component": {"name": "EVSE", "evse": {"id": 2}},
                        "variable": {"name": "AvailabilityState"},
                    },
                    {
                        "component": {"name": "ChargingStation"},
                        "variable": {"name": "AvailabilityState"},
                    },
                    {"component": {"name": "ClockCtrlr"}, "variable": {"name": "DateTime"}},
                ]
            ),
        )
    values = [r.get("attribute_value") for r in result.get_variable_result]
    assert values[:3] == ["Available", "Unavailable", "Available"]
    assert values[3] is not None and values[3].endswith("Z")


def test_the_ui_does_not_show_the_write_only_basic_auth_password(tmp_path: Path) -> None:
    """SecurityCtrlr.BasicAuthPassword is WriteOnly: the station's data for the UI leaves its
    value out (the persisted state keeps it)."""
    station = make_station(
        tmp_path,
        "ws://127.0.0.1:1",
        Configuration={
            "configurationKey": [
                {"key": "SecurityCtrlr.BasicAuthPassword", "value": "a-secret-of-16-chars"}
            ]
        },
    )
    listed = station.data()["ocppConfiguration"]["configurationKey"]
    [entry] = [e for e in listed if e["key"] == "SecurityCtrlr.BasicAuthPassword"]
    persisted = {e["key"]: e["value"] for e in station.configuration.as_list()}

    assert entry["value"] == ""
    assert persisted["SecurityCtrlr.BasicAuthPassword"] == "a-secret-of-16-chars"


async def test_the_shipped_201_example_template_boots_its_two_evses(
    tmp_path: Path, csms: CentralSystem
) -> None:
    """templates/ac-22kw-ocpp201.json, the TypeScript simulator's 2.0.1 format."""
    template = json.loads((REPO / "templates" / "ac-22kw-ocpp201.json").read_text())
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "idtags.json").write_text('["TAG-1"]')
    template["AutomaticTransactionGenerator"]["enable"] = False
    [spec] = plan_stations(
        load_settings(
            write_fleet(tmp_path, csms.url, {"ac-22kw-ocpp201.json": (template, 1)}), environ={}
        )
    )
    station = ChargingStation(spec, clock=SystemClock(), on_change=lambda s, d: None)
    async with booted(station, csms) as station_id:
        await eventually(
            lambda: len(csms.received(station_id, "StatusNotification")) >= 2, WAIT, "statuses"
        )
        evses = {m.payload["evseId"] for m in csms.received(station_id, "StatusNotification")}
    assert evses == {1, 2}
