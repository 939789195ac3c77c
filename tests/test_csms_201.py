"""The bundled CSMS speaking OCPP 2.0.1 beside 1.6, driven by a bare 2.0.1 client written here
(raw JSON frames on `websockets`; evsim's stations do not speak 2.0.1 yet). Every answer is
checked against the `ocpp` package's v201 schemas. Requirement ids are OCPP 2.0.1 Part 2."""

import asyncio
import itertools
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from ocpp.charge_point import camel_to_snake_case
from ocpp.messages import Call, CallResult, validate_payload
from ocpp.v16 import call as v16_call
from ocpp.v201 import call, call_result
from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Subprotocol

from simulator.csms import CentralSystem
from tests.csms201_support import NOW, TOKEN, event

WAIT = 5.0
OCPP16 = Subprotocol("ocpp1.6")
OCPP201 = Subprotocol("ocpp2.0.1")
BOOT = {"chargingStation": {"model": "raw", "vendorName": "evsim"}, "reason": "PowerUp"}


class Station201:
    """A bare OCPP-J 2.0.1 client with bounded waits; every CALLRESULT is schema-checked."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self._ids = itertools.count(1)

    async def request(self, action: str, payload: dict[str, Any]) -> dict[str, Any]:
        unique_id = f"m{next(self._ids)}"
        await self.ws.send(json.dumps([2, unique_id, action, payload]))
        frame = await self.receive()
        assert frame[:2] == [3, unique_id], frame
        answer: dict[str, Any] = frame[2]
        await validate_payload(CallResult(unique_id, answer, action), "2.0.1")
        return answer

    async def refused(self, action: str, payload: dict[str, Any]) -> list[Any]:
        """Send a CALL the CSMS must refuse; returns its CALLERROR frame."""
        await self.ws.send(json.dumps([2, "bad", action, payload]))
        frame = await self.receive()
        assert frame[:2] == [4, "bad"], frame
        return frame

    async def receive(self) -> list[Any]:
        async with asyncio.timeout(WAIT):
            frame: list[Any] = json.loads(await self.ws.recv())
        return frame

    async def answer_next_call(self, reply: dict[str, Any]) -> list[Any]:
        frame = await self.receive()
        assert frame[0] == 2
        await self.ws.send(json.dumps([3, frame[1], reply]))
        return frame


@asynccontextmanager
async def station(
    csms: CentralSystem, station_id: str, offered: list[Subprotocol]
) -> AsyncIterator[ClientConnection]:
    async with connect(csms.station_url(station_id), subprotocols=offered, open_timeout=WAIT) as ws:
        yield ws


@asynccontextmanager
async def station201(csms: CentralSystem, station_id: str = "CS-201") -> AsyncIterator[Station201]:
    async with station(csms, station_id, [OCPP201]) as ws:
        yield Station201(ws)


@pytest.fixture
async def csms() -> AsyncIterator[CentralSystem]:
    central = CentralSystem("127.0.0.1", 0, reject_id_tags=["STOLEN"])
    await central.start()
    try:
        yield central
    finally:
        await central.stop()


# -- subprotocol negotiation ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("offered", "chosen"),
    [([OCPP201, OCPP16], OCPP201), ([OCPP16, OCPP201], OCPP16), ([OCPP201], OCPP201)],
)
async def test_the_station_s_first_offered_subprotocol_is_chosen(
    csms: CentralSystem, offered: list[Subprotocol], chosen: Subprotocol
) -> None:
    # P4 3.1.2: the station lists the versions it speaks in its order of preference.
    async with station(csms, "CS-1", offered) as ws:
        assert ws.subprotocol == chosen
        await csms.wait_connected(1, WAIT)
        assert csms.ocpp_version("CS-1") == chosen.removeprefix("ocpp")


async def test_16_and_201_stations_share_one_port_and_one_report(csms: CentralSystem) -> None:
    async with station(csms, "CS-16", [OCPP16]) as ws16, station201(csms) as cs201:
        await ws16.send(
            json.dumps(
                [2, "b1", "BootNotification", {"chargePointVendor": "v", "chargePointModel": "m"}]
            )
        )
        async with asyncio.timeout(WAIT):
            answer16 = json.loads(await ws16.recv())
        answer201 = await cs201.request("BootNotification", BOOT)
        await csms.wait_booted(2, WAIT)
    assert answer16[2]["status"] == answer201["status"] == "Accepted"
    stations = csms.report.to_json()["stations"]
    assert (stations["CS-16"]["ocppVersion"], stations["CS-201"]["ocppVersion"]) == ("1.6", "2.0.1")


# -- station-initiated actions ----------------------------------------------------------------

STATION_CALLS: list[tuple[str, dict[str, Any]]] = [
    ("BootNotification", BOOT),
    ("Heartbeat", {}),
    (
        "StatusNotification",
        {"timestamp": NOW, "connectorStatus": "Available", "evseId": 1, "connectorId": 1},
    ),
    ("Authorize", {"idToken": TOKEN}),
    ("TransactionEvent", event("Started", 0, idToken=TOKEN, evse={"id": 1, "connectorId": 1})),
    (
        "MeterValues",
        {"evseId": 1, "meterValue": [{"timestamp": NOW, "sampledValue": [{"value": 1.0}]}]},
    ),
    ("NotifyReport", {"requestId": 1, "generatedAt": NOW, "seqNo": 0}),
    ("DataTransfer", {"vendorId": "evsim", "messageId": "m", "data": "x"}),
    ("FirmwareStatusNotification", {"status": "Downloading", "requestId": 1}),
    ("LogStatusNotification", {"status": "Uploading", "requestId": 1}),
    ("SecurityEventNotification", {"type": "StartupOfTheDevice", "timestamp": NOW}),
    (
        "NotifyEvent",
        {
            "generatedAt": NOW,
            "seqNo": 0,
            "eventData": [
                {
                    "eventId": 1,
                    "timestamp": NOW,
                    "trigger": "Delta",
                    "actualValue": "Occupied",
                    "eventNotificationType": "HardWiredNotification",
                    "component": {"name": "Connector", "evse": {"id": 1, "connectorId": 1}},
                    "variable": {"name": "AvailabilityState"},
                }
            ],
        },
    ),
]


@pytest.mark.parametrize(("action", "payload"), STATION_CALLS, ids=[a for a, _ in STATION_CALLS])
async def test_each_station_initiated_action_is_answered_schema_valid(
    csms: CentralSystem, action: str, payload: dict[str, Any]
) -> None:
    async with station201(csms) as cs:
        await cs.request(action, payload)  # validated against the v201 response schema
    assert csms.report.stations["CS-201"].received == {action: 1}
    assert not [v for v in csms.schema_violations if v.station_id == "CS-201"]


async def test_boot_answers_follow_the_policy_sequence_with_retry_and_heartbeat_intervals() -> None:
    # B02.FR.01 (Pending), B01.FR.02 / B01.FR.04 (Accepted with the heartbeat interval).
    async with (
        CentralSystem(
            boot_status_sequence=["Pending", "Accepted"],
            boot_retry_interval=3,
            heartbeat_interval=20,
        ) as csms,
        station201(csms) as cs,
    ):
        answers = [await cs.request("BootNotification", BOOT) for _ in range(2)]
    assert [(a["status"], a["interval"]) for a in answers] == [("Pending", 3), ("Accepted", 20)]


async def test_rejected_boot_is_answered_rejected() -> None:
    # B03.FR.02: the station then stays silent for the retry interval.
    async with CentralSystem(boot_status_sequence=["Rejected"]) as csms, station201(csms) as cs:
        answer = await cs.request("BootNotification", BOOT)
    assert answer["status"] == "Rejected"
    assert csms.report.booted == 0


@pytest.mark.parametrize("boot_status", ["Pending", "Rejected"])
async def test_a_call_before_an_accepted_boot_gets_security_error(boot_status: str) -> None:
    # B02.FR.09 (Pending), B01.FR.10 / B03.FR.07 (Rejected): nothing but BootNotification.
    async with (
        CentralSystem(boot_status_sequence=[boot_status]) as csms,
        station201(csms) as cs,
    ):
        await cs.request("BootNotification", BOOT)
        frame = await cs.refused("Heartbeat", {})
        again = await cs.request("BootNotification", BOOT)
    assert (frame[2], again["status"]) == ("SecurityError", boot_status)
    assert csms.report.stations["CS-201"].anomalies == {"Heartbeat.SecurityError": 1}


async def test_a_pending_station_may_send_what_the_csms_triggered() -> None:
    # B02.FR.09: except messages triggered by TriggerMessage, GetBaseReport or GetReport; a
    # trigger allows one message.
    status = {"timestamp": NOW, "connectorStatus": "Available", "evseId": 1, "connectorId": 1}
    async with (
        CentralSystem(boot_status_sequence=["Pending"]) as csms,
        station201(csms) as cs,
    ):
        await cs.request("BootNotification", BOOT)
        trigger = call.TriggerMessage(requested_message="StatusNotification")
        await asyncio.gather(
            csms.call("CS-201", trigger, timeout=WAIT), cs.answer_next_call({"status": "Accepted"})
        )
        report = call.GetBaseReport(request_id=1, report_base="FullInventory")
        await asyncio.gather(
            csms.call("CS-201", report, timeout=WAIT), cs.answer_next_call({"status": "Accepted"})
        )
        await cs.request("StatusNotification", status)
        await cs.request(
            "NotifyReport", {"requestId": 1, "generatedAt": NOW, "seqNo": 0, "tbc": True}
        )
        await cs.request("NotifyReport", {"requestId": 1, "generatedAt": NOW, "seqNo": 1})
        refused = [
            (await cs.refused(a, p))[2]
            for a, p in [
                ("StatusNotification", status),
                ("NotifyReport", {"requestId": 1, "generatedAt": NOW, "seqNo": 2}),
            ]
        ]
    assert refused == ["SecurityError", "SecurityError"]


async def test_authorize_answers_the_tag_policy(csms: CentralSystem) -> None:
    # C01.FR.02: Authorize for a token the station does not know; the CSMS answers its status.
    async with station201(csms) as cs:
        good = await cs.request("Authorize", {"idToken": TOKEN})
        bad = await cs.request("Authorize", {"idToken": {**TOKEN, "idToken": "STOLEN"}})
    assert (good["idTokenInfo"]["status"], bad["idTokenInfo"]["status"]) == ("Accepted", "Invalid")


async def test_transaction_event_with_an_id_token_gets_its_status(csms: CentralSystem) -> None:
    # E02.FR.02: the response to an event that carries an idToken holds its authorization status.
    async with station201(csms) as cs:
        with_token = await cs.request("TransactionEvent", event("Started", 0, idToken=TOKEN))
        without = await cs.request("TransactionEvent", event("Updated", 1))
    assert with_token["idTokenInfo"]["status"] == "Accepted"
    assert "idTokenInfo" not in without


async def test_data_transfer_from_an_unknown_vendor_is_unknown_vendor_id(
    csms: CentralSystem,
) -> None:
    # P02: UnknownVendorId for a vendorId the CSMS does not know, without data.
    async with station201(csms) as cs:
        answer = await cs.request("DataTransfer", {"vendorId": "com.example", "data": "x"})
    assert answer == {"status": "UnknownVendorId"}


async def test_status_notification_is_recorded_per_evse_and_connector(csms: CentralSystem) -> None:
    # G01.FR.01: a connector status per EVSE connector.
    async with station201(csms) as cs:
        await cs.request(
            "StatusNotification",
            {"timestamp": NOW, "connectorStatus": "Occupied", "evseId": 2, "connectorId": 1},
        )
    assert csms.report.to_json()["stations"]["CS-201"]["evseConnectors"] == {"2/1": "Occupied"}


@pytest.mark.sends_invalid_messages
@pytest.mark.parametrize(
    ("action", "payload", "code"),
    [
        ("Authorize", {"idTag": "TAG"}, "FormatViolation"),
        ("StartTransaction", {}, "NotImplemented"),
        ("Reset", {"type": "Immediate"}, "NotSupported"),
    ],
)
async def test_refused_calls_get_the_ocpp201_error_codes(
    csms: CentralSystem, action: str, payload: dict[str, Any], code: str
) -> None:
    # P4 4.3: FormatViolation (1.6 spells it FormationViolation); NotImplemented for an action
    # the receiver does not know, NotSupported for one it knows but does not handle.
    async with station201(csms) as cs:
        frame = await cs.refused(action, payload)
        assert (await cs.request("Heartbeat", {}))["currentTime"]  # the connection survives
    assert frame[2] == code
    assert csms.report.stations["CS-201"].anomalies == {f"{action}.{code}": 1}


@pytest.mark.parametrize(
    ("recognise", "retransmissions", "found"),
    [(True, {"TransactionEvent": 1}, {}), (False, {}, {"TransactionEvent.duplicate": 1})],
    ids=["recognising", "not"],
)
async def test_an_answered_event_received_again_is_a_retransmission_or_a_duplicate(
    recognise: bool, retransmissions: dict[str, int], found: dict[str, int]
) -> None:
    async with CentralSystem(recognise_retransmissions=recognise) as csms, station201(csms) as cs:
        for payload in [
            event("Started", 0),
            event("Updated", 1),
            event("Updated", 1),
            event("Ended", 2),
        ]:
            await cs.request("TransactionEvent", payload)
    record = csms.report.stations["CS-201"]
    assert (record.retransmissions, record.anomalies) == (retransmissions, found)
    assert csms.report.to_json()["transactions201"][0]["events"] == 3


# -- CSMS-initiated calls ---------------------------------------------------------------------

HEARTBEAT_VARIABLE = {
    "component": {"name": "OCPPCommCtrlr"},
    "variable": {"name": "HeartbeatInterval"},
}
PROFILE = {
    "id": 1,
    "stackLevel": 0,
    "chargingProfilePurpose": "TxDefaultProfile",
    "chargingProfileKind": "Absolute",
    "chargingSchedule": [
        {
            "id": 1,
            "chargingRateUnit": "A",
            "startSchedule": NOW,
            "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 16.0}],
        }
    ],
}
# (the CALL the CSMS sends, the station's answer): the CSMS-initiated actions of Tier 1.
CSMS_CALLS: list[tuple[Any, dict[str, Any]]] = [
    (
        call.GetVariables(get_variable_data=[HEARTBEAT_VARIABLE]),
        {
            "getVariableResult": [
                {"attributeStatus": "Accepted", "attributeValue": "60", **HEARTBEAT_VARIABLE}
            ]
        },
    ),
    (
        call.SetVariables(set_variable_data=[{"attributeValue": "30", **HEARTBEAT_VARIABLE}]),
        {"setVariableResult": [{"attributeStatus": "Accepted", **HEARTBEAT_VARIABLE}]},
    ),
    (call.GetBaseReport(request_id=1, report_base="FullInventory"), {"status": "Accepted"}),
    (
        call.RequestStartTransaction(id_token=TOKEN, remote_start_id=7, evse_id=1),
        {"status": "Accepted"},
    ),
    (call.RequestStopTransaction(transaction_id="tx-1"), {"status": "Accepted"}),
    (call.Reset(type="OnIdle"), {"status": "Scheduled"}),
    (
        call.ChangeAvailability(operational_status="Inoperative", evse={"id": 1}),
        {"status": "Accepted"},
    ),
    (
        call.TriggerMessage(
            requested_message="StatusNotification", evse={"id": 1, "connectorId": 1}
        ),
        {"status": "Accepted"},
    ),
    (call.UnlockConnector(evse_id=1, connector_id=1), {"status": "Unlocked"}),
    (call.ClearCache(), {"status": "Accepted"}),
    (
        call.SendLocalList(
            version_number=2,
            update_type="Full",
            local_authorization_list=[{"idToken": TOKEN, "idTokenInfo": {"status": "Accepted"}}],
        ),
        {"status": "Accepted"},
    ),
    (call.GetLocalListVersion(), {"versionNumber": 3}),
    (call.SetChargingProfile(evse_id=0, charging_profile=PROFILE), {"status": "Accepted"}),
    (
        call.DataTransfer(vendor_id="com.example", message_id="ping", data="x"),
        {"status": "Accepted", "data": "pong"},
    ),
]


@pytest.mark.parametrize(
    ("request_", "reply"), CSMS_CALLS, ids=[type(c).__name__ for c, _ in CSMS_CALLS]
)
async def test_a_csms_call_to_a_201_station_round_trips_schema_valid(
    csms: CentralSystem, request_: Any, reply: dict[str, Any]
) -> None:
    action = type(request_).__name__
    async with station201(csms) as cs:
        await csms.wait_connected(1, WAIT)
        result, frame = await asyncio.gather(
            csms.call("CS-201", request_, timeout=WAIT), cs.answer_next_call(reply)
        )
    assert frame[2] == action
    await validate_payload(Call(frame[1], action, frame[3]), "2.0.1")  # the CALL as sent
    assert result == getattr(call_result, action)(**camel_to_snake_case(reply))
    assert csms.report.stations["CS-201"].sent == {action: 1}


async def test_a_16_call_to_a_201_station_is_refused_before_sending(csms: CentralSystem) -> None:
    async with station201(csms):
        await csms.wait_connected(1, WAIT)
        with pytest.raises(ValueError, match=r"speaks OCPP 2\.0\.1"):
            await csms.call("CS-201", v16_call.ClearCache(), timeout=WAIT)
    assert csms.report.stations["CS-201"].sent == {}
