"""A 2.0.1 station's transactions as TransactionEventRequests (ocpp201/transaction_events.py
over the real core): the fields Part 2 E puts in each event. Every request is checked against
the v201 schema by the harness's CSMS."""

from __future__ import annotations

import pytest

from simulator.station.core.tokens import TokenStatus
from simulator.station.ocpp201.queue_codec import QueueCodec201, new_transaction_id
from tests.ocpp201.tx_harness import make_tx201, triggers

pytestmark = pytest.mark.timeout(10)


async def test_the_started_event_has_seq_no_0_the_evse_the_token_and_charging_E01_FR_16() -> None:
    tx = make_tx201()
    await tx.transactions.begin(1, "TAG-A")
    [started] = tx.station.events()
    assert (started["eventType"], started["seqNo"], started["triggerReason"]) == (
        "Started",
        0,
        "Authorized",
    )
    assert started["evse"] == {"id": 1, "connectorId": 1}
    assert started["idToken"] == {"idToken": "TAG-A", "type": "ISO14443"}
    assert started["transactionInfo"] == {"transactionId": "tx-1", "chargingState": "Charging"}
    await tx.close()


async def test_seq_no_rises_by_one_per_event_of_the_transaction_E01_FR_07() -> None:
    tx = make_tx201()
    await tx.transactions.begin(1, "TAG-A")
    await tx.settle(185)
    await tx.transactions.stop(1)
    assert [event["seqNo"] for event in tx.station.events()] == [0, 1, 2, 3, 4]
    await tx.close()


async def test_each_transaction_numbers_its_events_from_0_E01_FR_07() -> None:
    tx = make_tx201()
    for _ in range(2):
        await tx.transactions.begin(1, "TAG-A")
        await tx.transactions.stop(1)
    events = tx.station.events()
    assert [(e["transactionInfo"]["transactionId"], e["seqNo"]) for e in events] == [
        ("tx-1", 0),
        ("tx-1", 1),
        ("tx-2", 0),
        ("tx-2", 1),
    ]
    await tx.close()


def test_station_made_transaction_ids_never_repeat_E01_FR_08() -> None:
    """UUID4s from the system's randomness: not the seeded generator a restart replays."""
    ids = {new_transaction_id() for _ in range(10_000)}
    assert len(ids) == 10_000


def test_a_restored_codec_numbers_on_where_the_last_run_stopped_E01_FR_07() -> None:
    first = QueueCodec201(lambda: 1, lambda: "tx-9")
    first.next_event(5, "Charging", last=False)
    first.next_event(5, None, last=False)
    second = QueueCodec201(lambda: 1, lambda: "never")
    second.restore(first.as_data())
    assert second.next_event(5, "Charging", last=True) == ("tx-9", 2, None)


async def test_only_the_first_event_carries_the_evse_E01_FR_16() -> None:
    tx = make_tx201()
    await tx.transactions.begin(1, "TAG-A")
    await tx.settle(65)
    await tx.transactions.stop(1)
    assert ["evse" in event for event in tx.station.events()] == [True, False, False]
    await tx.close()


async def test_periodic_updates_are_meter_value_periodic_with_numbers_E02_FR_10() -> None:
    tx = make_tx201()
    await tx.transactions.begin(1, "TAG-A")
    await tx.settle(65)
    updated = tx.station.events()[1]
    assert (updated["eventType"], updated["triggerReason"]) == ("Updated", "MeterValuePeriodic")
    [sampled] = updated["meterValue"][0]["sampledValue"]
    assert sampled["context"] == "Sample.Periodic"
    assert sampled["unitOfMeasure"] == {"unit": "Wh"}
    assert isinstance(sampled["value"], int) and sampled["value"] > 0
    await tx.close()


async def test_an_empty_tx_updated_measurands_sends_no_meter_values_E02_FR_10() -> None:
    tx = make_tx201()
    tx.variables.values["SampledDataCtrlr.TxUpdatedMeasurands"] = ""
    await tx.transactions.begin(1, "TAG-A")
    await tx.settle(130)
    assert triggers(tx.station.events()) == [("Started", "Authorized")]
    await tx.close()


async def test_the_charging_state_is_given_only_when_it_changed_E02_FR_13() -> None:
    tx = make_tx201()
    await tx.transactions.begin(1, "TAG-A")
    await tx.settle(65)
    await tx.transactions.stop(1)
    states = [event["transactionInfo"].get("chargingState") for event in tx.station.events()]
    assert states == ["Charging", None, "EVConnected"]
    await tx.close()


async def test_the_started_event_carries_tx_started_measurands_at_begin_E01_FR_09() -> None:
    tx = make_tx201()
    tx.variables.values["SampledDataCtrlr.TxStartedMeasurands"] = "Energy.Active.Import.Register"
    await tx.transactions.begin(1, "TAG-A")
    [value] = tx.station.events()[0]["meterValue"]
    assert [s["context"] for s in value["sampledValue"]] == ["Transaction.Begin"]
    await tx.close()


async def test_no_tx_started_measurands_no_meter_value_in_the_started_event_E01_FR_09() -> None:
    tx = make_tx201()
    tx.variables.values["SampledDataCtrlr.TxStartedMeasurands"] = ""
    await tx.transactions.begin(1, "TAG-A")
    assert "meterValue" not in tx.station.events()[0]
    await tx.close()


async def test_with_tx_ended_interval_0_the_ended_has_the_begin_and_end_values_E06_FR_11() -> None:
    tx = make_tx201()
    await tx.transactions.begin(1, "TAG-A")
    await tx.settle(300)
    await tx.transactions.stop(1)
    ended = tx.station.events()[-1]
    contexts = [value["sampledValue"][0]["context"] for value in ended["meterValue"]]
    assert contexts == ["Transaction.Begin", "Transaction.End"]
    await tx.close()


async def test_the_ended_keeps_a_sample_every_tx_ended_interval_E06_FR_11() -> None:
    tx = make_tx201()
    tx.variables.values["SampledDataCtrlr.TxEndedInterval"] = "100"
    await tx.transactions.begin(1, "TAG-A")
    await tx.settle(250)
    await tx.transactions.stop(1)
    ended = tx.station.events()[-1]
    contexts = [value["sampledValue"][0]["context"] for value in ended["meterValue"]]
    assert contexts == [
        "Transaction.Begin",
        "Sample.Periodic",
        "Sample.Periodic",
        "Transaction.End",
    ]
    await tx.close()


async def test_no_tx_ended_measurands_no_meter_value_in_the_ended_event_E06_FR_11() -> None:
    tx = make_tx201()
    tx.variables.values["SampledDataCtrlr.TxEndedMeasurands"] = ""
    await tx.transactions.begin(1, "TAG-A")
    await tx.transactions.stop(1)
    assert "meterValue" not in tx.station.events()[-1]
    await tx.close()


async def test_a_local_stop_is_stop_authorized_with_the_token_and_reason_local_E07_FR_02() -> None:
    """stoppedReason Local is given though it may be omitted (E06.FR.09): E07.FR.05."""
    tx = make_tx201()
    await tx.transactions.begin(1, "TAG-A")
    await tx.transactions.stop(1, "Local")
    ended = tx.station.events()[-1]
    assert (ended["eventType"], ended["triggerReason"]) == ("Ended", "StopAuthorized")
    assert ended["transactionInfo"]["stoppedReason"] == "Local"
    assert ended["idToken"]["idToken"] == "TAG-A"
    await tx.close()


async def test_a_remote_stop_is_remote_stop_with_reason_remote_and_no_token_F03_FR_03() -> None:
    tx = make_tx201()
    await tx.transactions.begin(1, "TAG-A")
    await tx.transactions.stop(1, "Remote")
    ended = tx.station.events()[-1]
    assert (ended["triggerReason"], ended["transactionInfo"]["stoppedReason"]) == (
        "RemoteStop",
        "Remote",
    )
    assert "idToken" not in ended
    await tx.close()


@pytest.mark.parametrize(
    ("reason", "trigger", "stopped"),
    [
        ("HardReset", "ResetCommand", "ImmediateReset"),
        ("ImmediateReset", "ResetCommand", "ImmediateReset"),
        ("PowerLoss", "AbnormalCondition", "PowerLoss"),
        ("EmergencyStop", "AbnormalCondition", "EmergencyStop"),
        ("UnlockCommand", "UnlockCommand", "Other"),
        ("EVDisconnected", "EVCommunicationLost", "EVDisconnected"),
        ("EnergyLimitReached", "EnergyLimitReached", "EnergyLimitReached"),
    ],
)
async def test_a_stop_sets_trigger_and_stopped_reason_from_its_reason_E06_FR_15(
    reason: str, trigger: str, stopped: str
) -> None:
    """E06.FR.15/16: the triggerReason of what happened; 1.6's HardReset is ImmediateReset."""
    tx = make_tx201()
    await tx.transactions.begin(1, "TAG-A")
    await tx.transactions.stop(1, reason)
    ended = tx.station.events()[-1]
    assert (ended["triggerReason"], ended["transactionInfo"]["stoppedReason"]) == (
        trigger,
        stopped,
    )
    await tx.close()


async def test_a_remote_start_puts_its_id_and_trigger_in_the_first_event_F02_FR_01() -> None:
    tx = make_tx201()
    await tx.transactions.begin(1, "TAG-R", remote_start_id=77, token_type="Central")
    started = tx.station.events()[0]
    assert started["triggerReason"] == "RemoteStart"
    assert started["transactionInfo"]["remoteStartId"] == 77
    assert started["idToken"] == {"idToken": "TAG-R", "type": "Central"}
    await tx.close()


async def test_a_refused_token_ends_the_transaction_deauthorized_E05_FR_10() -> None:
    tx = make_tx201()
    tx.station.token_status = "Blocked"
    verdict = await tx.transactions.begin(1, "TAG-X")
    assert verdict.status is TokenStatus.BLOCKED
    ended = tx.station.events()[-1]
    assert (ended["eventType"], ended["triggerReason"]) == ("Ended", "Deauthorized")
    assert ended["transactionInfo"]["stoppedReason"] == "DeAuthorized"
    await tx.close()


async def test_a_refused_token_kept_open_is_suspended_evse_charging_state_changed_E05_FR_02() -> (
    None
):
    tx = make_tx201()
    tx.variables.values["TxCtrlr.StopTxOnInvalidId"] = "false"
    tx.station.token_status = "Invalid"
    await tx.transactions.begin(1, "TAG-X")
    await tx.settle()
    updated = tx.station.events()[-1]
    assert (updated["eventType"], updated["triggerReason"]) == ("Updated", "ChargingStateChanged")
    assert updated["transactionInfo"]["chargingState"] == "SuspendedEVSE"
    await tx.close()


async def test_the_answer_to_an_authorization_feeds_the_authorization_cache() -> None:
    tx = make_tx201()
    tx.station.token_status = "Expired"
    tx.variables.values["TxCtrlr.StopTxOnInvalidId"] = "false"
    await tx.transactions.begin(1, "TAG-A")
    token, info = tx.station.authorization.remembered[0]
    assert (token, info.status) == ("TAG-A", TokenStatus.EXPIRED)
    await tx.close()


async def test_clock_aligned_values_in_a_transaction_are_meter_value_clock_updates() -> None:
    tx = make_tx201()
    tx.variables.values["SampledDataCtrlr.TxUpdatedInterval"] = "0"
    tx.variables.values["AlignedDataCtrlr.Interval"] = "900"
    await tx.transactions.begin(1, "TAG-A")
    sampler = tx.station.spawn(tx.transactions.sample_clock_aligned())
    await tx.settle(900)
    assert triggers(tx.station.events())[-1] == ("Updated", "MeterValueClock")
    sampler.cancel()
    await tx.close()


async def test_clock_aligned_values_of_an_idle_evse_are_a_meter_values_request_J01() -> None:
    tx = make_tx201()
    tx.variables.values["AlignedDataCtrlr.Interval"] = "900"
    sampler = tx.station.spawn(tx.transactions.sample_clock_aligned())
    await tx.settle(900)
    [(action, payload)] = tx.station.sent
    assert (action, payload["evseId"]) == ("MeterValues", 1)
    sampler.cancel()
    await tx.close()


async def test_the_transaction_id_is_known_from_the_start_even_offline_E01_FR_08() -> None:
    tx = make_tx201()
    tx.go_offline()
    await tx.transactions.begin(1, "TAG-A")
    assert tx.station.connectors[1].transaction_id == "tx-1"
    assert tx.transactions.transaction_connector("tx-1") == 1
    await tx.close()


class OneReservation:
    """Reservation 5 on connector 1 for TAG-R."""

    def __init__(self) -> None:
        self.used_ids: list[int] = []
        self.active = {5: self}
        self.id, self.connector_id = 5, 1

    def for_start(self, connector_id: int, id_tag: str) -> OneReservation | None:
        return self if (connector_id, id_tag) == (1, "TAG-R") else None

    def used(self, reservation: OneReservation) -> None:
        self.used_ids.append(reservation.id)


async def test_the_authorization_that_ends_a_reservation_carries_its_id_H01_FR_15() -> None:
    tx = make_tx201()
    tx.station.reservations = OneReservation()  # type: ignore[assignment]
    await tx.transactions.begin(1, "TAG-R")
    await tx.settle(65)
    assert ["reservationId" in event for event in tx.station.events()] == [True, False]
    assert tx.station.events()[0]["reservationId"] == 5
    await tx.close()


async def test_an_authorization_after_the_plug_carries_the_reservation_id_E03_FR_03() -> None:
    tx = make_tx201()
    tx.variables.values["TxCtrlr.TxStartPoint"] = "EVConnected"
    tx.station.reservations = OneReservation()  # type: ignore[assignment]
    await tx.plugs.plug(1)
    await tx.transactions.begin(1, "TAG-R")
    await tx.settle()
    started, authorized = tx.station.events()[:2]
    assert ("reservationId" in started, authorized.get("reservationId")) == (False, 5)
    await tx.close()
