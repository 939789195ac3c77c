"""The UI's "send this message" procedures on OCPP 2.0.1 stations (issue 15: the UI protocol
for 2.0.1 stations), and what a mixed fleet answers: each request goes the real way from the
UI payload model (simulator/procedure_table.py) through the worker host to the station's
version's command (simulator/station/ocpp201/commands.py), on fake stations standing in for
the 2.0.1 station until it is built. Every message a fake sends, and every answer it gets, is
checked against the OCPP 2.0.1 schemas.
"""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import pytest
import pytest_asyncio

from simulator.procedure_payloads import InvalidPayload, parse
from simulator.procedure_table import PROCEDURES
from simulator.station.core.model import ConnectorState
from simulator.station.host import StationHost
from simulator.station.ocpp16.schemas import SCHEMAS16
from simulator.station.schemas import Schemas
from simulator.template_model import StationTemplate
from tests.virtual_clock import VirtualClock

# Until ocpp201/schemas.py (SCHEMAS201) lands: the same schema set, from the ocpp package.
SCHEMAS201 = Schemas("ocpp.v201")
NOW = "2026-01-01T00:00:00.000Z"  # the virtual clock's start, as iso_timestamp writes it
# Two EVSEs: EVSE 1 with connector 1, EVSE 2 with connectors 2 and 3 (station-wide ids).
LAYOUT = {1: (1,), 2: (2, 3)}
ANSWERS: Mapping[str, dict[str, Any]] = {
    "Authorize": {"idTokenInfo": {"status": "Accepted"}},
    "BootNotification": {"currentTime": NOW, "interval": 60, "status": "Accepted"},
    "DataTransfer": {"status": "Accepted"},
    "Heartbeat": {"currentTime": NOW},
}
ANSWERS16: Mapping[str, dict[str, Any]] = {
    "Authorize": {"idTagInfo": {"status": "Accepted"}},
    "DiagnosticsStatusNotification": {},
}


@dataclass
class Spec:
    hash_id: str
    evses: Mapping[int, tuple[int, ...]]


@dataclass
class FakeStation:
    """What the host and the commands use of a station: its sends recorded, each checked
    against its version's schemas, the CSMS's answers canned (`answers` over ANSWERS)."""

    hash_id: str
    ocpp_version: str = "2.0.1"
    answers: dict[str, dict[str, Any]] = field(default_factory=dict)
    sent: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    statuses_sent: list[tuple[int, bool]] = field(default_factory=list)
    transaction_events: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    boots: list[dict[str, Any]] = field(default_factory=list)
    clock: VirtualClock = field(default_factory=VirtualClock)
    connectors: dict[int, ConnectorState] = field(
        default_factory=lambda: {i: ConnectorState(i) for i in range(4)}
    )
    statistics: None = None
    ws_state: int = 1
    booted: bool = True

    def __post_init__(self) -> None:
        self.template = StationTemplate.model_validate(
            {"chargePointVendor": "evsim", "chargePointModel": "fake"}
        ).model_copy(update={"ocpp_version": self.ocpp_version})
        self.spec = Spec(self.hash_id, LAYOUT if self.ocpp_version != "1.6" else {})

    def _schemas(self) -> tuple[Schemas, str, Mapping[str, dict[str, Any]]]:
        if self.ocpp_version == "1.6":
            return SCHEMAS16, "", ANSWERS16
        return SCHEMAS201, "Request", ANSWERS

    async def call(self, action: str, payload: dict[str, Any]) -> dict[str, Any]:
        schemas, request, answers = self._schemas()
        assert f"{action}{request}" in schemas.schema_names(), action
        # A copy: the compiled validators write the schemas' defaults into what they check.
        schemas.validate(f"{action}{request}", copy.deepcopy(payload))
        self.sent.append((action, payload))
        answer = self.answers.get(action, answers.get(action, {}))
        schemas.validate(f"{action}Response", copy.deepcopy(answer))
        return answer

    async def boot_notification(self, overrides: dict[str, Any]) -> dict[str, Any]:
        self.boots.append(overrides)
        payload = {
            "chargingStation": {"model": "fake", "vendorName": "evsim"},
            "reason": "Triggered",
        }
        return await self.call("BootNotification", {**payload, **overrides})

    async def heartbeat(self) -> dict[str, Any]:
        return await self.call("Heartbeat", {})

    async def send_status(self, connector_id: int, *, report: bool = False) -> None:
        self.statuses_sent.append((connector_id, report))

    def set_connector_status(
        self, connector_id: int, status: str | None, error_code: str | None
    ) -> None:
        if status is not None:
            self.connectors[connector_id].status = status

    def set_connector_locked(self, connector_id: int, locked: bool) -> None:
        self.connectors[connector_id].locked = locked

    async def send_transaction_event(self, connector_id: int, fields: dict[str, Any]) -> None:
        self.transaction_events.append((connector_id, fields))

    async def stop(self) -> None:
        pass


@pytest_asyncio.fixture
async def host() -> AsyncIterator[StationHost]:
    station_host = StationHost(
        lambda event: None, {"configure_logging": False, "statistics_interval": 0}
    )
    yield station_host
    await station_host.stop()


def add(host: StationHost, station: FakeStation) -> FakeStation:
    host.stations[station.hash_id] = station  # type: ignore[assignment]
    return station


async def run(host: StationHost, procedure: str, **payload: Any) -> dict[str, Any]:
    """A UI request as the UI server forwards it: validated by its row's model, its
    arguments to the host."""
    row = PROCEDURES[procedure]
    request = parse(row.payload, payload)
    result: dict[str, Any] = await host.request(
        request.hash_ids, {"procedure": row.name, **request.arguments()}
    )
    return result


async def sent_by(host: StationHost, procedure: str, **payload: Any) -> dict[str, Any]:
    """Run `procedure` on one fresh 2.0.1 station, expect success, return what it sent."""
    station = add(host, FakeStation("cs-201"))
    result = await run(host, procedure, **payload)
    assert result == {"succeeded": ["cs-201"], "failed": []}, result
    ((_, request),) = station.sent
    return request


async def failure_of(
    host: StationHost, station: FakeStation, procedure: str, **payload: Any
) -> str:
    add(host, station)
    result = await run(host, procedure, **payload)
    assert result["succeeded"] == [], result
    ((failed,),) = [result["failed"]]
    assert failed["hashId"] == station.hash_id
    return str(failed["error"])


def meter(station: FakeStation, connector_id: int, register_wh: float) -> None:
    connector = station.connectors[connector_id]
    connector.meter = replace(connector.meter, register_wh=register_wh)


# -- a mixed fleet ----------------------------------------------------------------------------


async def test_a_2_0_1_only_message_fails_on_a_16_station_alone_naming_the_versions(
    host: StationHost,
) -> None:
    v201, v16 = add(host, FakeStation("cs-201")), add(host, FakeStation("cs-16", "1.6"))
    result = await run(host, "securityEventNotification", type="FirmwareUpdated")
    assert result["succeeded"] == ["cs-201"]
    assert result["failed"] == [
        {
            "hashId": "cs-16",
            "error": "not a message of OCPP 1.6: a message of OCPP 2.0.1 only",
        }
    ]
    assert [action for action, _ in v201.sent] == ["SecurityEventNotification"]
    assert v16.sent == []


async def test_a_16_only_message_fails_on_a_2_0_1_station_alone(host: StationHost) -> None:
    v201 = add(host, FakeStation("cs-201"))
    add(host, FakeStation("cs-16", "1.6"))
    result = await run(host, "diagnosticsStatusNotification", status="Uploading")
    assert result["succeeded"] == ["cs-16"]
    assert result["failed"] == [
        {"hashId": "cs-201", "error": "not a message of OCPP 2.0.1: a message of OCPP 1.6 only"}
    ]
    assert v201.sent == []


async def test_a_message_of_both_versions_is_sent_by_each_station_in_its_version(
    host: StationHost,
) -> None:
    v201, v16 = add(host, FakeStation("cs-201")), add(host, FakeStation("cs-16", "1.6"))
    result = await run(host, "authorize", idTag="TAG-1")
    assert sorted(result["succeeded"]) == ["cs-16", "cs-201"]
    assert v16.sent == [("Authorize", {"idTag": "TAG-1"})]
    assert v201.sent == [("Authorize", {"idToken": {"idToken": "TAG-1", "type": "ISO14443"}})]


async def test_a_2_0_template_s_station_sends_the_2_0_1_message(host: StationHost) -> None:
    """A template's "2.0" is read as 2.0.1 (issue 15)."""
    station = add(host, FakeStation("cs-20", "2.0"))
    result = await run(host, "transactionEvent", connectorId=1, triggerReason="Trigger")
    assert result["failed"] == [
        {"hashId": "cs-20", "error": "no transaction on connector 1"}
    ]  # the 2.0.1 command ran: it found no transaction
    assert station.sent == []


async def test_a_version_neutral_procedure_runs_on_stations_of_both_versions(
    host: StationHost,
) -> None:
    v201, v16 = add(host, FakeStation("cs-201")), add(host, FakeStation("cs-16", "1.6"))
    result = await run(host, "lockConnector", connectorId=2)
    assert sorted(result["succeeded"]) == ["cs-16", "cs-201"]
    assert v201.connectors[2].locked and v16.connectors[2].locked


# -- messages both versions have --------------------------------------------------------------


async def test_authorize_sends_a_given_id_token_as_it_is(host: StationHost) -> None:
    token = {"idToken": "04A2B3C4D5E6F7", "type": "ISO15693"}
    assert await sent_by(host, "authorize", idToken=token) == {"idToken": token}


async def test_authorize_of_a_token_the_csms_refuses_fails_with_its_status(
    host: StationHost,
) -> None:
    station = FakeStation("cs-201", answers={"Authorize": {"idTokenInfo": {"status": "Blocked"}}})
    assert await failure_of(host, station, "authorize", idTag="TAG-1") == "Authorize: Blocked"


async def test_an_id_token_is_refused_by_a_16_station(host: StationHost) -> None:
    error = await failure_of(
        host,
        FakeStation("cs-16", "1.6"),
        "authorize",
        idToken={"idToken": "TAG-1", "type": "ISO14443"},
    )
    assert "not in OCPP 1.6" in error


async def test_boot_notification_sends_the_payload_s_fields_over_the_station_s(
    host: StationHost,
) -> None:
    request = await sent_by(host, "bootNotification", reason="RemoteReset")
    assert request["reason"] == "RemoteReset"
    assert request["chargingStation"] == {"model": "fake", "vendorName": "evsim"}


async def test_data_transfer_sends_json_data_to_the_template_s_vendor(host: StationHost) -> None:
    """P02: a 2.0.1 DataTransfer's data is any JSON."""
    request = await sent_by(host, "dataTransfer", messageId="m", data={"a": [1, 2]})
    assert request == {"vendorId": "evsim", "messageId": "m", "data": {"a": [1, 2]}}


async def test_data_transfer_the_csms_does_not_accept_fails(host: StationHost) -> None:
    station = FakeStation("cs-201", answers={"DataTransfer": {"status": "UnknownVendorId"}})
    error = await failure_of(host, station, "dataTransfer", vendorId="acme")
    assert error == "DataTransfer: UnknownVendorId"


async def test_json_data_is_refused_by_a_16_station(host: StationHost) -> None:
    error = await failure_of(host, FakeStation("cs-16", "1.6"), "dataTransfer", data={"a": 1})
    assert "not in OCPP 1.6" in error


async def test_firmware_status_notification_sends_a_2_0_1_status_and_request_id(
    host: StationHost,
) -> None:
    request = await sent_by(
        host, "firmwareStatusNotification", status="SignatureVerified", requestId=4
    )
    assert request == {"status": "SignatureVerified", "requestId": 4}


async def test_a_2_0_1_only_firmware_status_is_refused_by_a_16_station(host: StationHost) -> None:
    error = await failure_of(
        host, FakeStation("cs-16", "1.6"), "firmwareStatusNotification", status="InstallScheduled"
    )
    assert "not in OCPP 1.6" in error


async def test_heartbeat_sends_a_heartbeat(host: StationHost) -> None:
    assert await sent_by(host, "heartbeat") == {}


async def test_meter_values_of_a_connector_sends_its_evse_s_energy_register_in_wh(
    host: StationHost,
) -> None:
    """J01: MeterValues by EVSE; Wh is the register's default unit (no unitOfMeasure)."""
    station = add(host, FakeStation("cs-201"))
    meter(station, 3, 1234.4)
    await run(host, "meterValues", connectorId=3)
    ((_, request),) = station.sent
    assert request == {
        "evseId": 2,
        "meterValue": [
            {
                "timestamp": NOW,
                "sampledValue": [
                    {
                        "value": 1234,
                        "measurand": "Energy.Active.Import.Register",
                        "context": "Other",
                    }
                ],
            }
        ],
    }


async def test_meter_values_of_evse_0_is_the_station_s_main_meter_every_connector(
    host: StationHost,
) -> None:
    station = add(host, FakeStation("cs-201"))
    for connector_id, energy in ((1, 100.0), (2, 20.0), (3, 3.0)):
        meter(station, connector_id, energy)
    await run(host, "meterValues", evseId=0)
    ((_, request),) = station.sent
    assert request["evseId"] == 0
    assert request["meterValue"][0]["sampledValue"][0]["value"] == 123


async def test_meter_values_sends_a_given_meter_value_as_it_is(host: StationHost) -> None:
    meter_value = [{"timestamp": NOW, "sampledValue": [{"value": 7.5, "measurand": "SoC"}]}]
    request = await sent_by(host, "meterValues", evseId=1, meterValue=meter_value)
    assert request == {"evseId": 1, "meterValue": meter_value}


async def test_meter_values_with_a_transaction_id_fails_on_a_2_0_1_station(
    host: StationHost,
) -> None:
    """2.0.1 meters a transaction in TransactionEvent, not MeterValues."""
    error = await failure_of(
        host, FakeStation("cs-201"), "meterValues", connectorId=1, transactionId=5
    )
    assert "use transactionEvent" in error


async def test_meter_values_of_an_unknown_evse_fails(host: StationHost) -> None:
    assert await failure_of(host, FakeStation("cs-201"), "meterValues", evseId=9) == "no EVSE 9"


async def test_meter_values_of_an_evse_is_refused_by_a_16_station(host: StationHost) -> None:
    error = await failure_of(host, FakeStation("cs-16", "1.6"), "meterValues", evseId=1)
    assert "not in OCPP 1.6" in error


async def test_status_notification_reports_the_connector_even_when_unchanged(
    host: StationHost,
) -> None:
    station = add(host, FakeStation("cs-201"))
    await run(host, "statusNotification", connectorId=2)
    assert station.statuses_sent == [(2, True)]


async def test_status_notification_occupied_keeps_a_charging_connector_charging(
    host: StationHost,
) -> None:
    station = add(host, FakeStation("cs-201"))
    station.connectors[1].status = "Charging"
    await run(host, "statusNotification", connectorId=1, status="Occupied")
    assert station.connectors[1].status == "Charging"
    assert station.statuses_sent == [(1, True)]


async def test_status_notification_occupied_makes_an_available_connector_preparing(
    host: StationHost,
) -> None:
    station = add(host, FakeStation("cs-201"))
    await run(host, "statusNotification", connectorId=1, status="Occupied")
    assert station.connectors[1].status == "Preparing"


async def test_status_notification_with_an_error_code_fails_on_a_2_0_1_station(
    host: StationHost,
) -> None:
    error = await failure_of(
        host, FakeStation("cs-201"), "statusNotification", connectorId=1, errorCode="OtherError"
    )
    assert error == "OCPP 2.0.1 StatusNotification has no errorCode"


async def test_status_notification_of_connector_0_fails_on_a_2_0_1_station(
    host: StationHost,
) -> None:
    error = await failure_of(host, FakeStation("cs-201"), "statusNotification", connectorId=0)
    assert "connector 0 is the station" in error


async def test_the_occupied_status_is_refused_by_a_16_station(host: StationHost) -> None:
    error = await failure_of(
        host, FakeStation("cs-16", "1.6"), "statusNotification", connectorId=1, status="Occupied"
    )
    assert "not in OCPP 1.6" in error


# -- OCPP 2.0.1 only --------------------------------------------------------------------------


async def test_transaction_event_goes_to_the_connector_s_running_transaction(
    host: StationHost,
) -> None:
    station = add(host, FakeStation("cs-201"))
    station.connectors[2].transaction_started = True
    token = {"idToken": "TAG-2", "type": "ISO14443"}
    result = await run(
        host,
        "transactionEvent",
        connectorId=2,
        triggerReason="ChargingStateChanged",
        chargingState="SuspendedEV",
        idToken=token,
    )
    assert result["succeeded"] == ["cs-201"]
    assert station.transaction_events == [
        (
            2,
            {
                "triggerReason": "ChargingStateChanged",
                "idToken": token,
                "transactionInfo": {"chargingState": "SuspendedEV"},
            },
        )
    ]


async def test_transaction_event_leaves_out_the_fields_not_given(host: StationHost) -> None:
    station = add(host, FakeStation("cs-201"))
    station.connectors[1].transaction_started = True
    await run(host, "transactionEvent", connectorId=1, triggerReason="MeterValuePeriodic")
    assert station.transaction_events == [(1, {"triggerReason": "MeterValuePeriodic"})]


async def test_transaction_event_on_a_connector_without_a_transaction_fails(
    host: StationHost,
) -> None:
    error = await failure_of(
        host, FakeStation("cs-201"), "transactionEvent", connectorId=3, triggerReason="Trigger"
    )
    assert error == "no transaction on connector 3"


def test_transaction_event_of_an_event_type_the_station_sends_itself_is_refused() -> None:
    """Started and Ended are the station's, from startTransaction and stopTransaction: one sent
    from the UI would end the transaction at the CSMS and not at the station."""
    with pytest.raises(InvalidPayload, match="eventType"):
        parse(
            PROCEDURES["transactionEvent"].payload,
            {"connectorId": 1, "eventType": "Ended", "triggerReason": "StopAuthorized"},
        )


async def test_notify_report_is_generated_now_request_0_part_0_unless_given(
    host: StationHost,
) -> None:
    assert await sent_by(host, "notifyReport") == {
        "requestId": 0,
        "generatedAt": NOW,
        "seqNo": 0,
    }


async def test_notify_report_sends_the_given_report_data(host: StationHost) -> None:
    report = [
        {
            "component": {"name": "OCPPCommCtrlr"},
            "variable": {"name": "HeartbeatInterval"},
            "variableAttribute": [{"type": "Actual", "value": "60"}],
        }
    ]
    request = await sent_by(
        host,
        "notifyReport",
        requestId=7,
        seqNo=1,
        tbc=True,
        generatedAt="2026-02-01T10:00:00+01:00",
        reportData=report,
    )
    assert request == {
        "requestId": 7,
        "generatedAt": "2026-02-01T10:00:00+01:00",
        "seqNo": 1,
        "tbc": True,
        "reportData": report,
    }


def test_a_date_time_without_its_offset_is_refused() -> None:
    with pytest.raises(InvalidPayload, match="generatedAt"):
        parse(PROCEDURES["notifyReport"].payload, {"generatedAt": "2026-02-01T10:00:00"})


async def test_security_event_notification_is_stamped_now_unless_given(host: StationHost) -> None:
    """A04: the event's type and when it happened."""
    request = await sent_by(
        host, "securityEventNotification", type="SettingSystemTime", techInfo="ntp"
    )
    assert request == {"type": "SettingSystemTime", "timestamp": NOW, "techInfo": "ntp"}


async def test_log_status_notification_sends_the_status_and_request_id(host: StationHost) -> None:
    request = await sent_by(host, "logStatusNotification", status="Uploading", requestId=3)
    assert request == {"status": "Uploading", "requestId": 3}


async def test_notify_customer_information_sends_the_data_generated_now(
    host: StationHost,
) -> None:
    """N10: the customer data a CustomerInformationRequest asked for."""
    request = await sent_by(host, "notifyCustomerInformation", data="no data", requestId=2)
    assert request == {"data": "no data", "seqNo": 0, "generatedAt": NOW, "requestId": 2}


# -- the payload models -----------------------------------------------------------------------


def test_authorize_needs_an_id_tag_or_an_id_token() -> None:
    with pytest.raises(InvalidPayload, match="give idTag or idToken"):
        parse(PROCEDURES["authorize"].payload, {})


def test_meter_values_needs_a_connector_or_an_evse() -> None:
    with pytest.raises(InvalidPayload, match="give connectorId or evseId"):
        parse(PROCEDURES["meterValues"].payload, {})
