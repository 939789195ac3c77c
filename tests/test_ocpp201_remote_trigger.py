"""TriggerMessage of an OCPP 2.0.1 station (F06), for each of the 11 MessageTriggerEnumType
values: the answer, then the message it announced, both checked against the v201 schemas
(tests/ocpp201_station_fake.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.device_model_support import schema
from tests.ocpp201_station_fake import Station201Fake, handle

# isort: split
# After the fake, which stands in for ocpp201/evses.py until it is merged.
from simulator.station.ocpp201.remote_trigger import TRIGGERABLE, send_triggered, trigger_message

ALL_VALUES = (
    "BootNotification",
    "LogStatusNotification",
    "FirmwareStatusNotification",
    "Heartbeat",
    "MeterValues",
    "SignChargingStationCertificate",
    "SignV2GCertificate",
    "StatusNotification",
    "TransactionEvent",
    "SignCombinedCertificate",
    "PublishFirmwareStatusNotification",
)


@pytest.fixture
async def station() -> AsyncIterator[Station201Fake]:
    fake = Station201Fake({1: (1,), 2: (2, 3)})
    yield fake
    await fake.close()
    assert fake.failures == []


async def trigger(station: Station201Fake, requested: str, **evse: int) -> str:
    """A TriggerMessage (evse: id=..., connectorId=...); its status, once what it announced
    was sent."""
    request: dict[str, Any] = {"requestedMessage": requested}
    if evse:
        request["evse"] = evse
    answer = await handle(trigger_message, station, "TriggerMessage", **request)
    await station.settled()
    return str(answer["status"])


def test_the_eleven_values_are_those_of_the_schema() -> None:
    validate = schema("TriggerMessageRequest")
    for value in ALL_VALUES:
        validate({"requestedMessage": value})
    assert set(ALL_VALUES) > TRIGGERABLE


@pytest.mark.parametrize(
    "requested",
    [
        "SignChargingStationCertificate",
        "SignV2GCertificate",
        "SignCombinedCertificate",
        "PublishFirmwareStatusNotification",
    ],
)
async def test_a_message_evsim_does_not_send_on_request_is_not_implemented(
    station: Station201Fake, requested: str
) -> None:
    """F06.FR.08: the certificate requests (security profile 3, ISO 15118) and the Local
    Controller's PublishFirmwareStatusNotification."""
    assert await trigger(station, requested) == "NotImplemented"
    assert station.calls == []


async def test_the_answer_goes_out_before_the_triggered_message(station: Station201Fake) -> None:
    """F06.FR.04: nothing is sent until the handler has answered."""
    answer = await handle(trigger_message, station, "TriggerMessage", requestedMessage="Heartbeat")

    assert answer == {"status": "Accepted"}
    assert station.calls == []
    await station.settled()
    assert [action for action, _ in station.calls] == ["Heartbeat"]


# -- BootNotification (F06.FR.17) --------------------------------------------------------------


async def test_a_boot_is_rejected_once_the_csms_accepted_one(station: Station201Fake) -> None:
    """F06.FR.17."""
    assert await trigger(station, "BootNotification") == "Rejected"
    assert station.calls == []


async def test_a_pending_station_boots_on_request_with_reason_triggered(
    station: Station201Fake,
) -> None:
    """B02.FR.04: a trigger may ask for the boot before the interval; its answer is the boot
    response."""
    station.boot_response = {"status": "Pending"}

    assert await trigger(station, "BootNotification") == "Accepted"

    (boot,) = station.sent("BootNotification")
    assert boot["reason"] == "Triggered"
    assert station.boot_response is not None
    assert station.boot_response["status"] == "Accepted"


# -- messages of the station: an evse is ignored (F06.FR.03) ------------------------------------


async def test_a_heartbeat_on_request_even_for_an_evse(station: Station201Fake) -> None:
    """F06.FR.03: the evse is not relevant to a heartbeat; it is sent all the same."""
    assert await trigger(station, "Heartbeat", id=1) == "Accepted"
    assert station.sent("Heartbeat") == [{}]


async def test_the_firmware_status_is_idle_when_no_update_runs(station: Station201Fake) -> None:
    """F06.FR.16."""
    assert await trigger(station, "FirmwareStatusNotification") == "Accepted"
    assert station.sent("FirmwareStatusNotification") == [{"status": "Idle"}]


async def test_the_log_status_is_idle_when_no_upload_runs(station: Station201Fake) -> None:
    """F06.FR.15."""
    assert await trigger(station, "LogStatusNotification") == "Accepted"
    assert station.sent("LogStatusNotification") == [{"status": "Idle"}]


# -- StatusNotification (F06.FR.12/13) ---------------------------------------------------------


async def test_a_status_on_request_of_a_connector_of_an_evse(station: Station201Fake) -> None:
    """The second connector of EVSE 2, reported as it is though unchanged."""
    await station.send_status(3)

    assert await trigger(station, "StatusNotification", id=2, connectorId=2) == "Accepted"

    assert station.statuses() == [(2, 2, "Available"), (2, 2, "Available")]


@pytest.mark.parametrize("evse", [{}, {"id": 2}], ids=["no-evse", "no-connector"])
async def test_a_status_without_a_connector_is_rejected(
    station: Station201Fake, evse: dict[str, int]
) -> None:
    """F06.FR.12: StatusNotification is of a connector."""
    assert await trigger(station, "StatusNotification", **evse) == "Rejected"
    assert station.calls == []


async def test_a_status_of_a_connector_the_station_lacks_is_rejected(
    station: Station201Fake,
) -> None:
    assert await trigger(station, "StatusNotification", id=1, connectorId=2) == "Rejected"


# -- MeterValues (F06.FR.06) -------------------------------------------------------------------


async def test_meter_values_of_an_evse_carry_the_aligned_measurands_as_trigger(
    station: Station201Fake,
) -> None:
    """F06.FR.06: AlignedDataCtrlr.Measurands, context Trigger, one message per connector of
    the EVSE."""
    station.variables.values["AlignedDataCtrlr.Measurands"] = (
        "Energy.Active.Import.Register,Voltage"
    )

    assert await trigger(station, "MeterValues", id=2) == "Accepted"

    sent = station.sent("MeterValues")
    assert [m["evseId"] for m in sent] == [2, 2]
    sampled = sent[0]["meterValue"][0]["sampledValue"]
    assert {s["measurand"] for s in sampled} == {"Energy.Active.Import.Register", "Voltage"}
    assert {s["context"] for s in sampled} == {"Trigger"}


async def test_meter_values_without_evse_are_of_every_evse(station: Station201Fake) -> None:
    """F06.FR.11: absent evse, every EVSE."""
    assert await trigger(station, "MeterValues") == "Accepted"

    assert [m["evseId"] for m in station.sent("MeterValues")] == [1, 2, 2]


async def test_meter_values_of_an_evse_the_station_lacks_are_rejected(
    station: Station201Fake,
) -> None:
    assert await trigger(station, "MeterValues", id=5) == "Rejected"


# -- TransactionEvent (F06.FR.07) --------------------------------------------------------------


async def test_a_transaction_event_for_each_running_transaction(station: Station201Fake) -> None:
    """F06.FR.07: through the outbox (triggerReason Trigger), once per transaction."""
    await station.run_transaction(1)
    await station.run_transaction(3)

    assert await trigger(station, "TransactionEvent") == "Accepted"

    assert station.triggered_events == [1, 3]


async def test_a_transaction_event_of_an_evse_is_of_its_transaction(
    station: Station201Fake,
) -> None:
    await station.run_transaction(1)
    await station.run_transaction(3)

    assert await trigger(station, "TransactionEvent", id=2) == "Accepted"

    assert station.triggered_events == [3]


async def test_a_transaction_event_with_no_transaction_running_is_rejected(
    station: Station201Fake,
) -> None:
    """F06.FR.10: Accepted promises a message; there is none to send."""
    await station.run_transaction(1)

    assert await trigger(station, "TransactionEvent", id=2) == "Rejected"
    assert station.triggered_events == []


# -- the adapter's path ------------------------------------------------------------------------


async def test_send_triggered_without_connector_reports_every_connector(
    station: Station201Fake,
) -> None:
    await send_triggered(station, "StatusNotification", None)

    assert station.statuses() == [(1, 1, "Available"), (2, 1, "Available"), (2, 2, "Available")]


async def test_a_message_that_cannot_leave_is_logged_not_raised(station: Station201Fake) -> None:
    """The triggered message follows the answer: a lost connection there is the log's."""

    async def offline(action: str, payload: dict[str, Any]) -> dict[str, Any]:
        raise TimeoutError(action)

    station.call = offline  # type: ignore[method-assign]

    assert await trigger(station, "Heartbeat") == "Accepted"
    assert station.failures == []
