"""The bundled CSMS over real sockets, driven by a bare OCPP-J client: raw JSON frames
`[2, id, action, payload]`, which is how the evsim station speaks to it."""

import asyncio
import base64
import itertools
import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from ocpp.exceptions import FormatViolationError
from ocpp.exceptions import NotImplementedError as OcppNotImplementedError
from ocpp.v16 import call
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.typing import Subprotocol

from simulator.csms import CentralSystem, StationDisconnected

WAIT = 5.0
OCPP16 = Subprotocol("ocpp1.6")
BOOT = {"chargePointVendor": "evsim", "chargePointModel": "raw"}
NOW = "2024-05-01T12:00:00Z"


class CallErrorFrame(Exception):
    pass


class RawStation:
    """The far side of the network: a bare OCPP-J client with bounded waits."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self._ids = itertools.count(1)

    async def request(self, action: str, payload: dict[str, Any]) -> Any:
        """Send a CALL and return the CALLRESULT payload (CALLERROR raises)."""
        unique_id = f"m{next(self._ids)}"
        await self.ws.send(json.dumps([2, unique_id, action, payload]))
        frame = await self.receive()
        assert frame[1] == unique_id
        if frame[0] == 4:
            raise CallErrorFrame(frame[2], frame[3])
        assert frame[0] == 3
        return frame[2]

    async def receive(self) -> list[Any]:
        async with asyncio.timeout(WAIT):
            frame: list[Any] = json.loads(await self.ws.recv())
        return frame

    async def answer_next_call(self, reply: dict[str, Any] | None = None) -> list[Any]:
        """Wait for the CSMS's CALL and answer it; `None` answers with a CALLERROR."""
        frame = await self.receive()
        assert frame[0] == 2
        if reply is None:
            answer = [4, frame[1], "NotImplemented", "not here", {}]
        else:
            answer = [3, frame[1], reply]
        await self.ws.send(json.dumps(answer))
        return frame

    async def boot(self) -> Any:
        return await self.request("BootNotification", BOOT)

    async def start_transaction(
        self, id_tag: str = "TAG", connector_id: int = 1, meter_start: int = 100
    ) -> Any:
        return await self.request(
            "StartTransaction",
            {
                "connectorId": connector_id,
                "idTag": id_tag,
                "meterStart": meter_start,
                "timestamp": NOW,
            },
        )


@asynccontextmanager
async def station(
    csms: CentralSystem, station_id: str, **options: Any
) -> AsyncIterator[RawStation]:
    async with connect(
        csms.station_url(station_id), subprotocols=[OCPP16], open_timeout=WAIT, **options
    ) as ws:
        yield RawStation(ws)


@pytest.fixture
async def csms() -> AsyncIterator[CentralSystem]:
    central = CentralSystem("127.0.0.1", 0, reject_id_tags=["STOLEN"])
    await central.start()
    try:
        yield central
    finally:
        await central.stop()


def energy(value: str, unit: str = "Wh") -> list[dict[str, Any]]:
    return [
        {
            "timestamp": NOW,
            "sampledValue": [
                {"value": value, "measurand": "Energy.Active.Import.Register", "unit": unit},
                {"value": "7400", "measurand": "Power.Active.Import", "unit": "W"},
            ],
        }
    ]


# -- connection ---------------------------------------------------------------------------


async def test_boot_is_accepted_with_the_heartbeat_interval(csms: CentralSystem) -> None:
    async with station(csms, "CS-1") as cs:
        answer = await cs.boot()
        await csms.wait_booted(1, WAIT)
    assert answer["status"] == "Accepted"
    assert answer["interval"] == 60
    assert csms.report.stations["CS-1"].boots == 1


async def test_pending_then_accepted_boot_sequence_repeats_its_last_status() -> None:
    async with CentralSystem(
        boot_status_sequence=["Pending", "Accepted"], boot_retry_interval=3, heartbeat_interval=20
    ) as csms:
        async with station(csms, "CS-1") as cs:
            answers = [await cs.boot() for _ in range(3)]
        async with station(csms, "CS-2") as other:
            first_of_other = await other.boot()
    assert [(a["status"], a["interval"]) for a in answers] == [
        ("Pending", 3),
        ("Accepted", 20),
        ("Accepted", 20),
    ]
    assert first_of_other["status"] == "Pending"  # the sequence is per station


@pytest.mark.parametrize("subprotocols", [None, [Subprotocol("ocpp2.0")]])
async def test_handshake_without_the_ocpp16_subprotocol_is_refused(
    csms: CentralSystem, subprotocols: list[Subprotocol] | None
) -> None:
    with pytest.raises(InvalidStatus) as refused:
        async with connect(
            csms.station_url("CS-1"),
            subprotocols=subprotocols,
            open_timeout=WAIT,
        ):
            pass
    assert refused.value.response.status_code == 400
    assert csms.connected == frozenset()


async def test_station_id_is_the_last_path_segment(csms: CentralSystem) -> None:
    async with connect(
        f"{csms.url}/ocpp/v16/CS%2042?token=x", subprotocols=[OCPP16], open_timeout=WAIT
    ):
        await csms.wait_connected(1, WAIT)
        assert csms.connected == {"CS 42"}


async def test_a_url_without_station_id_is_refused(csms: CentralSystem) -> None:
    with pytest.raises(InvalidStatus) as refused:
        async with connect(f"{csms.url}/", subprotocols=[OCPP16], open_timeout=WAIT):
            pass
    assert refused.value.response.status_code == 404


async def test_basic_auth_refuses_wrong_credentials_and_accepts_right_ones() -> None:
    def authorization(user: str, password: str) -> dict[str, str]:
        token = base64.b64encode(f"{user}:{password}".encode()).decode()
        return {"Authorization": f"Basic {token}"}

    async with CentralSystem(auth=("cs", "secret")) as csms:
        for headers in ({}, authorization("cs", "wrong")):
            with pytest.raises(InvalidStatus) as refused:
                async with station(csms, "CS-1", additional_headers=headers):
                    pass
            assert refused.value.response.status_code == 401
        async with station(csms, "CS-1", additional_headers=authorization("cs", "secret")) as cs:
            assert (await cs.boot())["status"] == "Accepted"


async def test_a_newer_connection_replaces_the_older_one(csms: CentralSystem) -> None:
    async with station(csms, "CS-1") as old, station(csms, "CS-1") as new:
        with pytest.raises(ConnectionClosed):
            await old.receive()
        assert old.ws.close_code == 1000
        assert (await new.boot())["status"] == "Accepted"
        assert csms.connected == {"CS-1"}
    await csms.wait_until(lambda: not csms.connected, WAIT)
    assert csms.report.stations["CS-1"].connections == 2


# -- station-initiated messages ------------------------------------------------------------


async def test_authorize_rejects_a_listed_tag(csms: CentralSystem) -> None:
    async with station(csms, "CS-1") as cs:
        stolen = await cs.request("Authorize", {"idTag": "STOLEN"})
        mine = await cs.request("Authorize", {"idTag": "MINE"})
    assert stolen == {"idTagInfo": {"status": "Invalid"}}
    assert mine == {"idTagInfo": {"status": "Accepted"}}


async def test_transaction_ids_increase_and_the_report_pairs_start_with_stop(
    csms: CentralSystem,
) -> None:
    async with station(csms, "CS-1") as one, station(csms, "CS-2") as two:
        first = await one.start_transaction()
        second = await two.start_transaction(id_tag="STOLEN", connector_id=2)
        third = await one.start_transaction(connector_id=2)
        stopped = await two.request(
            "StopTransaction",
            {
                "transactionId": second["transactionId"],
                "meterStop": 250,
                "timestamp": "2024-05-01T13:00:00Z",
                "reason": "DeAuthorized",
                "idTag": "STOLEN",
            },
        )
        no_tag = await one.request(
            "StopTransaction",
            {"transactionId": first["transactionId"], "meterStop": 300, "timestamp": NOW},
        )

    assert [t["transactionId"] for t in (first, second, third)] == [1, 2, 3]
    assert second["idTagInfo"]["status"] == "Invalid"
    assert stopped == {"idTagInfo": {"status": "Invalid"}}
    assert no_tag == {}
    record = csms.report.transactions[2]
    assert (record.station_id, record.connector_id, record.id_tag) == ("CS-2", 2, "STOLEN")
    assert (record.meter_start, record.meter_stop) == (100, 250)
    assert (record.start_timestamp, record.stop_timestamp) == (NOW, "2024-05-01T13:00:00Z")
    assert record.stop_reason == "DeAuthorized"
    assert csms.report.transactions[1].stop_reason == "Local"  # the spec's default
    assert not csms.report.transactions[3].stopped


async def test_meter_values_count_to_their_transaction_with_the_last_energy_value(
    csms: CentralSystem,
) -> None:
    async with station(csms, "CS-1") as cs:
        tx = (await cs.start_transaction())["transactionId"]
        for value in ("1000", "2000"):
            await cs.request(
                "MeterValues", {"connectorId": 1, "transactionId": tx, "meterValue": energy(value)}
            )
        await cs.request("MeterValues", {"connectorId": 0, "meterValue": energy("99999")})
        after_meter_values = csms.report.transactions[tx].last_energy_wh
        await cs.request(
            "StopTransaction",
            {
                "transactionId": tx,
                "meterStop": 3100,
                "timestamp": NOW,
                "transactionData": energy("3.1", unit="kWh"),
            },
        )
    record = csms.report.transactions[tx]
    assert after_meter_values == 2000.0
    assert record.meter_values == 2  # the connector-level one is not the transaction's
    assert record.last_energy_wh == 3100.0
    assert csms.report.stations["CS-1"].received["MeterValues"] == 3


async def test_heartbeat_answers_the_current_utc_time(csms: CentralSystem) -> None:
    async with station(csms, "CS-1") as cs:
        answer = await cs.request("Heartbeat", {})
    assert answer["currentTime"].endswith("Z")
    assert datetime.fromisoformat(answer["currentTime"]).utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    ("action", "payload"),
    [
        ("StatusNotification", {"connectorId": 1, "errorCode": "NoError", "status": "Charging"}),
        ("DiagnosticsStatusNotification", {"status": "Uploaded"}),
        ("FirmwareStatusNotification", {"status": "Installed"}),
    ],
)
async def test_notifications_are_answered_with_an_empty_payload(
    csms: CentralSystem, action: str, payload: dict[str, Any]
) -> None:
    async with station(csms, "CS-1") as cs:
        assert await cs.request(action, payload) == {}
    assert csms.report.stations["CS-1"].received == {action: 1}


async def test_status_notifications_set_the_connector_status(csms: CentralSystem) -> None:
    async with station(csms, "CS-1") as cs:
        for status in ("Preparing", "Charging"):
            await cs.request(
                "StatusNotification", {"connectorId": 1, "errorCode": "NoError", "status": status}
            )
    assert csms.report.stations["CS-1"].connectors == {1: "Charging"}


async def test_data_transfer_is_accepted_only_from_known_vendors(csms: CentralSystem) -> None:
    async with station(csms, "CS-1") as cs:
        known = await cs.request("DataTransfer", {"vendorId": "evsim", "data": "ping"})
        unknown = await cs.request("DataTransfer", {"vendorId": "acme", "data": "ping"})
    assert known == {"status": "Accepted", "data": "ping"}
    assert unknown == {"status": "UnknownVendorId"}


@pytest.mark.sends_invalid_messages
async def test_a_payload_violating_the_schema_gets_a_callerror_and_is_counted(
    csms: CentralSystem,
) -> None:
    async with station(csms, "CS-1") as cs:
        with pytest.raises(CallErrorFrame):
            await cs.request("Authorize", {"tag": "no idTag"})
        assert (await cs.request("Heartbeat", {}))["currentTime"]  # the connection survives
    assert csms.report.stations["CS-1"].anomalies == {"Authorize.FormationViolation": 1}


@pytest.mark.sends_invalid_messages
@pytest.mark.parametrize(
    ("action", "code"),
    [("Teleport", "NotImplemented"), ("Reset", "NotSupported")],
)
async def test_unhandled_actions_get_the_ocpp16_error_codes(
    csms: CentralSystem, action: str, code: str
) -> None:
    async with station(csms, "CS-1") as cs:
        with pytest.raises(CallErrorFrame) as error:
            await cs.request(action, {})
    assert error.value.args[0] == code


@pytest.mark.sends_invalid_messages
async def test_schema_violations_are_recorded_for_the_suite_wide_check(
    csms: CentralSystem,
) -> None:
    """Issue 3's schema check (tests/conftest.py) reads CentralSystem.schema_violations: an
    invalid CALL and an invalid CALLRESULT both land there, with station, action and error."""
    async with station(csms, "CS-1") as cs:
        with pytest.raises(CallErrorFrame):
            await cs.request("Heartbeat", {"extra": 1})
        reset = asyncio.ensure_future(csms.call("CS-1", call.Reset(type="Hard"), timeout=WAIT))
        await cs.answer_next_call({"status": "Maybe"})
        with pytest.raises(FormatViolationError):  # the caller sees the invalid answer too
            await reset
    recorded = [(v.station_id, v.action, v.code) for v in CentralSystem.schema_violations[-2:]]
    assert recorded == [
        ("CS-1", "Heartbeat", "FormationViolation"),
        ("CS-1", "Reset.conf", "FormatViolation"),
    ]
    assert "Maybe" in CentralSystem.schema_violations[-1].details


async def test_every_received_call_is_logged_with_its_payload(csms: CentralSystem) -> None:
    async with station(csms, "CS-1") as cs:
        await cs.boot()
        await cs.request("Heartbeat", {})
    log = csms.received("CS-1")
    assert [(m.action, m.payload) for m in log] == [("BootNotification", BOOT), ("Heartbeat", {})]
    assert log[0].time <= log[1].time
    assert csms.received("CS-1", "Heartbeat") == log[1:]


# -- CSMS-initiated calls ------------------------------------------------------------------


async def test_call_reaches_a_connected_station_and_returns_its_callresult(
    csms: CentralSystem,
) -> None:
    async with station(csms, "CS-1") as cs:
        await csms.wait_connected(1, WAIT)
        pending = asyncio.create_task(
            csms.call("CS-1", call.RemoteStartTransaction(id_tag="TAG", connector_id=1))
        )
        frame = await cs.answer_next_call({"status": "Accepted"})
        result = await pending
    assert frame[2:] == ["RemoteStartTransaction", {"idTag": "TAG", "connectorId": 1}]
    assert result.status == "Accepted"
    assert csms.report.stations["CS-1"].sent == {"RemoteStartTransaction": 1}


async def test_a_callerror_surfaces_as_the_ocpp_library_exception(csms: CentralSystem) -> None:
    async with station(csms, "CS-1") as cs:
        await csms.wait_connected(1, WAIT)
        pending = asyncio.create_task(csms.call("CS-1", call.ClearCache()))
        await cs.answer_next_call(None)
        with pytest.raises(OcppNotImplementedError):
            await pending


async def test_call_fails_fast_for_an_absent_or_departing_station(csms: CentralSystem) -> None:
    with pytest.raises(StationDisconnected):
        await csms.call("nobody", call.ClearCache())
    async with station(csms, "CS-1") as cs:
        await csms.wait_connected(1, WAIT)
        pending = asyncio.create_task(csms.call("CS-1", call.ClearCache()))
        await cs.receive()
        await cs.ws.close()
    async with asyncio.timeout(WAIT):
        with pytest.raises(StationDisconnected):
            await pending


async def test_call_without_answer_times_out(csms: CentralSystem) -> None:
    async with station(csms, "CS-1"):
        await csms.wait_connected(1, WAIT)
        with pytest.raises(TimeoutError):
            await csms.call("CS-1", call.ClearCache(), timeout=0.1)


# -- report, restart, waits ----------------------------------------------------------------


async def test_the_report_file_is_written_as_json(tmp_path: Path) -> None:
    path = tmp_path / "out" / "report.json"
    path.parent.mkdir()
    async with CentralSystem(report_path=path) as csms:
        assert json.loads(path.read_text())["totals"]["stations"] == 0
        async with station(csms, "CS-1") as cs:
            await cs.boot()
            tx = (await cs.start_transaction())["transactionId"]
        for _ in range(100):  # rewritten within about a second; a file has nothing to await
            await asyncio.sleep(0.05)
            if json.loads(path.read_text())["transactions"]:
                break
        else:
            raise AssertionError("the transaction was not written within 5 s")
    report = json.loads(path.read_text())
    assert report["stations"]["CS-1"]["received"] == {"BootNotification": 1, "StartTransaction": 1}
    assert report["stations"]["CS-1"]["connected"] is False  # the final write, on stop
    assert report["transactions"][0]["id"] == tx
    assert report["transactions"][0]["idTag"] == "TAG"


async def test_a_report_path_that_cannot_be_written_fails_start(tmp_path: Path) -> None:
    csms = CentralSystem(report_path=tmp_path / "missing" / "report.json")
    with pytest.raises(OSError):
        await csms.start()
    assert not csms.running


async def test_stop_closes_stations_with_1001_and_a_restart_keeps_port_and_records(
    csms: CentralSystem,
) -> None:
    port = csms.port
    async with station(csms, "CS-1") as cs:
        await cs.boot()
        tx = (await cs.start_transaction())["transactionId"]
        await csms.stop()
        with pytest.raises(ConnectionClosed):
            await cs.receive()
        assert cs.ws.close_code == 1001
    assert csms.connected == frozenset()

    await csms.start()
    assert csms.port == port
    async with station(csms, "CS-1") as cs:
        await cs.request(
            "StopTransaction", {"transactionId": tx, "meterStop": 500, "timestamp": NOW}
        )
        assert (await cs.start_transaction(meter_start=500))["transactionId"] == tx + 1
        assert (await cs.boot())["status"] == "Accepted"
    record = csms.report.stations["CS-1"]
    assert (record.boots, record.connections) == (2, 2)
    assert csms.report.transactions[tx].meter_stop == 500
    assert len(csms.received("CS-1", "BootNotification")) == 2


async def test_waits_are_bounded(csms: CentralSystem) -> None:
    with pytest.raises(TimeoutError, match="1 stations booted"):
        await csms.wait_booted(1, 0.05)
    with pytest.raises(TimeoutError):
        await csms.wait_received("CS-1", "Heartbeat", 0.05)


async def test_wait_received_returns_once_the_message_arrived(csms: CentralSystem) -> None:
    async with station(csms, "CS-1") as cs:
        sending = asyncio.create_task(cs.request("Heartbeat", {}))
        messages = await csms.wait_received("CS-1", "Heartbeat", WAIT)
        await sending
    assert [m.action for m in messages] == ["Heartbeat"]


async def test_hundreds_of_stations_boot_concurrently(csms: CentralSystem) -> None:
    count = 300

    async def boot_and_idle(index: int, release: asyncio.Event) -> None:
        async with station(csms, f"LOAD-{index}", compression=None) as cs:
            await cs.boot()
            await release.wait()

    release = asyncio.Event()
    async with asyncio.TaskGroup() as group:
        for index in range(count):
            group.create_task(boot_and_idle(index, release))
        await csms.wait_booted(count, 60)
        assert len(csms.connected) == count
        release.set()


# -- a CSMS that does not recognise retransmissions -----------------------------------------


@pytest.fixture
async def unmatching_csms() -> AsyncIterator[CentralSystem]:
    async with CentralSystem("127.0.0.1", 0, recognise_retransmissions=False) as central:
        yield central


async def test_without_recognising_retransmissions_a_start_sent_again_is_a_second_transaction(
    unmatching_csms: CentralSystem,
) -> None:
    """Issue 18: what a station that re-sends an answered StartTransaction leaves on a CSMS
    that does not match it to the first: two transactions, the first never stopped."""
    async with station(unmatching_csms, "CS-1") as one:
        first = await one.start_transaction()
        second = await one.start_transaction()
    assert (first["transactionId"], second["transactionId"]) == (1, 2)
    record = unmatching_csms.report.stations["CS-1"]
    assert record.anomalies == {"StartTransaction.duplicate": 1}
    assert record.retransmissions == {}


async def test_without_recognising_retransmissions_an_answered_stop_sent_again_is_a_duplicate(
    unmatching_csms: CentralSystem,
) -> None:
    stop = {"transactionId": 1, "meterStop": 300, "timestamp": NOW}
    async with station(unmatching_csms, "CS-1") as one:
        await one.start_transaction()
        await one.request("StopTransaction", stop)
        await one.request("StopTransaction", stop)
    assert unmatching_csms.report.stations["CS-1"].anomalies == {"StopTransaction.duplicate": 1}


async def test_without_recognising_retransmissions_answered_meter_values_sent_again_are_a_duplicate(
    unmatching_csms: CentralSystem,
) -> None:
    values = {"connectorId": 1, "transactionId": 1, "meterValue": energy("150")}
    async with station(unmatching_csms, "CS-1") as one:
        await one.start_transaction()
        await one.request("MeterValues", values)
        await one.request("MeterValues", values)
        await one.request("MeterValues", {**values, "meterValue": energy("160")})
    assert unmatching_csms.report.stations["CS-1"].anomalies == {"MeterValues.duplicate": 1}


async def test_a_start_whose_answer_could_not_leave_is_withdrawn_and_its_resend_counted(
    unmatching_csms: CentralSystem,
) -> None:
    """The station never learnt the id of a start answered into a closed connection: it sends
    the start again, a retransmission (section 3.7), and only that one stays."""
    async with unmatching_csms.answers_held():
        async with station(unmatching_csms, "CS-1") as one:
            await one.ws.send(json.dumps([2, "m1", "StartTransaction", start_payload()]))
        await until(lambda: unmatching_csms.connection_closed("CS-1"))
    await unmatching_csms.wait_until(lambda: not unmatching_csms.connected, WAIT)
    async with station(unmatching_csms, "CS-1") as again:
        answer = await again.start_transaction()
    report = unmatching_csms.report
    assert list(report.transactions) == [answer["transactionId"]]
    assert report.stations["CS-1"].retransmissions == {"StartTransaction": 1}
    assert report.stations["CS-1"].anomalies == {}


async def test_calls_received_while_answers_are_held_are_answered_once_released(
    csms: CentralSystem,
) -> None:
    async with station(csms, "CS-1") as one:
        async with csms.answers_held():
            await one.ws.send(json.dumps([2, "m1", "Heartbeat", {}]))
            with pytest.raises(TimeoutError):
                async with asyncio.timeout(0.3):
                    await one.ws.recv()
            assert csms.report.messages == 0
        frame = await one.receive()
    assert frame[:2] == [3, "m1"]
    assert csms.report.messages == 1


def start_payload() -> dict[str, Any]:
    return {"connectorId": 1, "idTag": "TAG", "meterStart": 100, "timestamp": NOW}


async def until(predicate: Callable[[], bool]) -> None:
    """Poll (what no message announces) up to WAIT seconds."""
    for _ in range(int(WAIT / 0.01)):
        if predicate():
            return
        await asyncio.sleep(0.01)
    raise TimeoutError("condition not met")


async def test_without_recognising_retransmissions_two_stations_may_send_the_same_start(
    unmatching_csms: CentralSystem,
) -> None:
    async with station(unmatching_csms, "CS-1") as one, station(unmatching_csms, "CS-2") as two:
        await one.start_transaction()
        await two.start_transaction()
    assert {sid: r.anomalies for sid, r in unmatching_csms.report.stations.items()} == {
        "CS-1": {},
        "CS-2": {},
    }
