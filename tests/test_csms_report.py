"""The CSMS's records and report file, driven without sockets."""

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path

from simulator.csms import Report
from simulator.csms.report import ReportWriter, energy_register_wh, write_json_atomic

FIXED = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def sample(value: str, **fields: str) -> dict[str, str]:
    return {"value": value, **fields}


def test_energy_defaults_to_the_register_measurand_in_wh() -> None:
    assert energy_register_wh([{"sampled_value": [sample("1200")]}]) == 1200.0


def test_energy_takes_the_last_register_reading_and_converts_kwh() -> None:
    meter_values = [
        {"sampled_value": [sample("1", measurand="Energy.Active.Import.Register")]},
        {
            "sampled_value": [
                sample("2.5", measurand="Energy.Active.Import.Register", unit="kWh"),
                sample("7000", measurand="Power.Active.Import", unit="W"),
            ]
        },
    ]
    assert energy_register_wh(meter_values) == 2500.0


def test_energy_ignores_phases_other_measurands_and_signed_data() -> None:
    meter_values = [
        {
            "sampled_value": [
                sample("10", phase="L1"),
                sample("16", measurand="Current.Import"),
                sample("opaque-signature", format="SignedData"),
            ]
        }
    ]
    assert energy_register_wh(meter_values) is None


def start(report: Report, station: str = "CS-1", timestamp: str = "2024-05-01T12:00:00Z") -> int:
    return report.start_transaction(
        station,
        connector_id=1,
        id_tag="TAG",
        id_tag_status="Accepted",
        meter_start=0,
        timestamp=timestamp,
    ).id


def test_transaction_ids_increase_across_stations() -> None:
    report = Report()
    later = "2024-05-01T12:30:00Z"
    assert [start(report, "A"), start(report, "B"), start(report, "A", later)] == [1, 2, 3]


def test_a_start_received_again_gets_the_id_it_got_the_first_time() -> None:
    """OCPP 1.6 section 3.7: a station whose answer was lost sends the same start again; one
    transaction, counted as a retransmission, not a second transaction."""
    report = Report()
    assert [start(report), start(report)] == [1, 1]
    assert len(report.transactions) == 1
    assert report.stations["CS-1"].retransmissions == {"StartTransaction": 1}
    assert report.stations["CS-1"].anomalies == {}


def stop(report: Report, tx: int, meter_stop: int, timestamp: str = "2024-05-01T13:00:00Z") -> None:
    report.stop_transaction(
        "CS-1", tx, meter_stop=meter_stop, timestamp=timestamp, reason=None, energy_wh=meter_stop
    )


def test_stop_pairs_with_its_start_and_the_same_stop_again_is_a_retransmission() -> None:
    report = Report()
    tx = start(report)
    report.add_meter_values("CS-1", tx, 500.0)
    report.add_meter_values("CS-1", tx, None)
    stop(report, tx, 900)
    stop(report, tx, 900)
    record = report.transactions[tx]
    assert (record.meter_values, record.last_energy_wh) == (2, 900)
    assert (record.meter_stop, record.stop_reason) == (900, "Local")
    assert report.stations["CS-1"].retransmissions == {"StopTransaction": 1}
    assert report.stations["CS-1"].anomalies == {}


def test_a_second_different_stop_of_a_transaction_is_an_anomaly() -> None:
    report = Report()
    tx = start(report)
    stop(report, tx, 900)
    stop(report, tx, 950, "2024-05-01T13:05:00Z")
    assert report.transactions[tx].meter_stop == 900  # the first one is the truth
    assert report.stations["CS-1"].anomalies == {"StopTransaction.alreadyStopped": 1}


def test_an_energy_reading_below_the_last_one_is_an_anomaly() -> None:
    """An energy register never decreases: a lower reading means one was lost or invented."""
    report = Report()
    tx = start(report)
    report.add_meter_values("CS-1", tx, 500.0)
    report.add_meter_values("CS-1", tx, 400.0)
    assert report.stations["CS-1"].anomalies == {"MeterValues.energyDecreased": 1}


def test_messages_for_unknown_or_foreign_transactions_are_anomalies() -> None:
    report = Report()
    tx = start(report, "A")
    report.add_meter_values("B", tx, 1.0)
    report.stop_transaction(
        "A", 99, meter_stop=1, timestamp="2024-05-01T13:00:00Z", reason="Local", energy_wh=None
    )
    assert report.transactions[tx].meter_values == 0
    assert report.stations["B"].anomalies == {"MeterValues.unknownTransaction": 1}
    assert report.stations["A"].anomalies == {"StopTransaction.unknownTransaction": 1}


def test_report_snapshot_reflects_changes_after_it_was_taken() -> None:
    report = Report(clock=lambda: FIXED)
    tx = start(report)
    before = report.to_json()
    report.add_meter_values("CS-1", tx, 42.0)
    after = report.to_json()
    assert before["transactions"][0]["meterValues"] == 0
    assert after["transactions"][0]["meterValues"] == 1
    assert after["generatedAt"] == "2024-05-01T12:00:00.000Z"
    assert after["totals"]["openTransactions"] == 1


def test_atomic_write_leaves_only_the_complete_file(tmp_path: Path) -> None:
    path = tmp_path / "report.json"
    write_json_atomic(path, {"a": 1})
    write_json_atomic(path, {"a": 2})
    assert json.loads(path.read_text()) == {"a": 2}
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]


async def test_writer_rewrites_only_after_changes_and_on_stop(tmp_path: Path) -> None:
    path = tmp_path / "report.json"
    report = Report()
    writer = ReportWriter(report, path, interval=0.05)
    await writer.start()
    assert json.loads(path.read_text())["totals"]["transactions"] == 0
    first_write = path.stat().st_mtime_ns
    await asyncio.sleep(0.2)
    assert path.stat().st_mtime_ns == first_write  # nothing changed, nothing written

    start(report)
    for _ in range(250):  # polling a file: there is nothing to await
        await asyncio.sleep(0.02)
        if json.loads(path.read_text())["totals"]["transactions"] == 1:
            break
    else:
        raise AssertionError("the change was not written within 5 s")

    start(report, timestamp="2024-05-01T12:30:00Z")
    await writer.stop()
    assert json.loads(path.read_text())["totals"]["transactions"] == 2


def test_booted_counts_stations_whose_last_boot_was_accepted() -> None:
    report = Report()
    for station, status in [("A", "Pending"), ("A", "Accepted"), ("B", "Accepted")]:
        report.record_boot(station, status)
    assert report.booted == 2
    report.record_boot("B", "Rejected")
    assert report.booted == 1
