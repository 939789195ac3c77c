"""The bundled CSMS's checks of OCPP 2.0.1 TransactionEvents (report201.py), on the Report
alone: what a conformance-minded CSMS verifies before billing a transaction (P2 E 1.3.2)."""

from typing import Any

import pytest

from simulator.csms import Report
from simulator.csms.report201 import energy_register_wh
from tests.csms201_support import event


def booked(report: Report, events: list[dict[str, Any]], station_id: str = "CS-201") -> None:
    for payload in events:
        report.transaction_event_answered(report.transaction_event(station_id, payload), True)


def anomalies(report: Report, station_id: str = "CS-201") -> dict[str, int]:
    return report.station(station_id).anomalies


BOTH_MODES = pytest.mark.parametrize("recognise", [True, False], ids=["recognising", "not"])


@BOTH_MODES
def test_a_complete_transaction_has_no_anomaly(recognise: bool) -> None:
    # E01.FR.07 / E04.FR.04: seqNo 0 at Started, +1 per event, up to Ended.
    report = Report(recognise_retransmissions=recognise)
    booked(
        report,
        [
            event("Started", 0, energy_wh=0),
            event("Updated", 1, energy_wh=500),
            event("Ended", 2, energy_wh=900),
        ],
    )
    assert anomalies(report) == {}
    assert report.to_json()["totals"]["openTransactions201"] == 0


@BOTH_MODES
def test_a_seq_no_gap_is_an_anomaly(recognise: bool) -> None:
    report = Report(recognise_retransmissions=recognise)
    booked(report, [event("Started", 0), event("Updated", 3), event("Ended", 4)])
    assert anomalies(report) == {"TransactionEvent.seqNoGap": 1}
    assert report.to_json()["transactions201"][0]["missingSeqNos"] == 2


@BOTH_MODES
def test_a_gap_between_offline_events_is_counted_dropped_not_an_anomaly(recognise: bool) -> None:
    # E04.FR.07/08: a station low on memory may drop intermediate Updated events made offline;
    # E04.FR.03: those events carry offline = true.
    report = Report(recognise_retransmissions=recognise)
    booked(
        report,
        [
            event("Started", 0, offline=True),
            event("Updated", 2, offline=True),
            event("Ended", 3, offline=True),
        ],
    )
    record = report.to_json()["transactions201"][0]
    assert anomalies(report) == {}
    assert (record["droppedSeqNos"], record["offlineEvents"]) == (1, 3)
    assert report.to_json()["totals"]["offlineTransactionEvents"] == 3


@BOTH_MODES
def test_a_started_without_ended_stays_open(recognise: bool) -> None:
    report = Report(recognise_retransmissions=recognise)
    booked(
        report,
        [
            event("Started", 0),
            event("Updated", 1),
            event("Started", 0, "tx-2"),
            event("Ended", 1, "tx-2"),
        ],
    )
    assert report.to_json()["totals"]["openTransactions201"] == 1
    assert [t["ended"] for t in report.to_json()["transactions201"]] == [False, True]


@BOTH_MODES
def test_an_event_before_started_or_after_ended_is_an_anomaly(recognise: bool) -> None:
    report = Report(recognise_retransmissions=recognise)
    booked(
        report, [event("Updated", 0), event("Started", 1), event("Ended", 2), event("Updated", 3)]
    )
    assert anomalies(report) == {
        "TransactionEvent.withoutStarted": 1,
        "TransactionEvent.startedAfterOtherEvents": 1,
        "TransactionEvent.seqNoNotZeroAtStart": 1,
        "TransactionEvent.afterEnded": 1,
    }


@BOTH_MODES
def test_energy_going_back_is_an_anomaly(recognise: bool) -> None:
    report = Report(recognise_retransmissions=recognise)
    booked(
        report,
        [
            event("Started", 0, energy_wh=100),
            event("Updated", 1, energy_wh=900),
            event("Ended", 2, energy_wh=800),
        ],
    )
    assert anomalies(report) == {"TransactionEvent.energyDecreased": 1}


@BOTH_MODES
def test_an_event_whose_answer_was_lost_is_a_retransmission(recognise: bool) -> None:
    report = Report(recognise_retransmissions=recognise)
    report.transaction_event_answered(
        report.transaction_event("CS-201", event("Started", 0)), False
    )
    booked(report, [event("Started", 0)])
    assert report.station("CS-201").retransmissions == {"TransactionEvent": 1}
    assert anomalies(report) == {}


@BOTH_MODES
def test_a_seq_no_going_back_is_an_anomaly(recognise: bool) -> None:
    # P2 E 1.3.2.1: seqNo rises by one per event; an older one after a newer is out of order.
    report = Report(recognise_retransmissions=recognise)
    booked(report, [event("Started", 0), event("Updated", 2), event("Updated", 1)])
    assert anomalies(report) == {
        "TransactionEvent.seqNoGap": 1,
        "TransactionEvent.seqNoBackwards": 1,
    }


def test_a_second_started_is_an_anomaly() -> None:
    report = Report()
    booked(report, [event("Started", 0), event("Started", 1), event("Ended", 2)])
    assert anomalies(report) == {
        "TransactionEvent.startedTwice": 1,
        "TransactionEvent.seqNoNotZeroAtStart": 1,
    }


def test_the_same_transaction_id_on_two_stations_is_two_transactions() -> None:
    # transactionId is made by the station (E01.FR.08: unique per station).
    report = Report()
    booked(report, [event("Started", 0), event("Ended", 1)], station_id="CS-A")
    booked(report, [event("Started", 0), event("Ended", 1)], station_id="CS-B")
    assert report.to_json()["totals"]["transactions201"] == 2
    assert anomalies(report, "CS-A") == anomalies(report, "CS-B") == {}


@pytest.mark.parametrize(
    ("sample", "wh"),
    [
        ({"value": 1.5, "unitOfMeasure": {"unit": "kWh"}}, 1500.0),
        ({"value": 2.0, "unitOfMeasure": {"unit": "Wh", "multiplier": 3}}, 2000.0),
        ({"value": 700.0}, 700.0),
    ],
)
def test_the_energy_register_is_read_in_wh(sample: dict[str, Any], wh: float) -> None:
    # P2 UnitOfMeasureType: unit default Wh, value times 10^multiplier.
    meter_value = {
        "timestamp": "2024-05-01T12:00:00Z",
        "sampledValue": [
            sample,
            {"value": 9e9, "phase": "L1"},  # a phase reading, not the register total
            {"value": 7400, "measurand": "Power.Active.Import"},
        ],
    }
    assert energy_register_wh([meter_value]) == wh
