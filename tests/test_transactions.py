"""Local transactions and their meter values, on a virtual clock against an in-memory CSMS."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from simulator.station.core.errors import TransactionError
from tests.offline_station import make_station, shutdown
from tests.virtual_clock import VirtualClock

ENERGY = "Energy.Active.Import.Register"


def config_keys(**keys: str) -> dict[str, Any]:
    return {
        "configurationKey": [
            {"key": key, "readonly": False, "value": value} for key, value in keys.items()
        ]
    }


def energy_of(meter_value: dict[str, Any]) -> float:
    sample = next(s for s in meter_value["sampledValue"] if s["measurand"] == ENERGY)
    return float(sample["value"]) * (1000 if sample.get("unit") == "kWh" else 1)


async def test_start_sends_meter_start_and_sets_the_connector_charging(tmp_path: Path) -> None:
    """OCPP 1.6 section 4.8: StartTransaction with connectorId, idTag, meterStart, timestamp;
    the connector reports Charging (section 4.9)."""
    station = make_station(tmp_path)
    response = await station.transactions.start(1, "TAG-A")
    try:
        start = station.csms.of("StartTransaction")[0]
        assert start["connectorId"] == 1 and start["idTag"] == "TAG-A"
        assert start["meterStart"] == 0  # meteringPerTransaction: the transaction's register
        connector = station.connectors[1]
        assert connector.transaction_started and connector.transaction_id == 1
        assert response["transactionId"] == 1
        status = station.csms.of("StatusNotification")[-1]
        assert (status["connectorId"], status["status"]) == (1, "Charging")
        data = station.data()["connectors"][1]["connectorStatus"]
        assert data["transactionStarted"] is True
        assert data["transactionId"] == 1 and data["transactionIdTag"] == "TAG-A"
    finally:
        await shutdown(station)


async def test_a_connector_runs_one_transaction_at_a_time(tmp_path: Path) -> None:
    station = make_station(tmp_path)
    await station.transactions.start(1, "TAG-A")
    try:
        with pytest.raises(TransactionError):
            await station.transactions.start(1, "TAG-B")
    finally:
        await shutdown(station)


async def test_meter_values_are_sampled_every_sample_interval(tmp_path: Path) -> None:
    """Section 4.7 and 9.1.16: MeterValueSampleInterval seconds apart, MeterValuesSampledData
    measurands, context Sample.Periodic, with the transaction's id."""
    clock = VirtualClock()
    station = make_station(
        tmp_path,
        clock=clock,
        Configuration=config_keys(
            MeterValueSampleInterval="30",
            MeterValuesSampledData="Energy.Active.Import.Register,Power.Active.Import",
        ),
        Connectors={
            "1": {
                "MeterValues": [
                    {"measurand": ENERGY, "unit": "Wh"},
                    {"measurand": "Power.Active.Import", "unit": "W"},
                ]
            }
        },
    )
    await station.transactions.start(1, "TAG-A")
    try:
        await clock.run_for(95)
        sent = [s for s in station.csms.sent if s.action == "MeterValues"]
        assert [s.at for s in sent] == [30, 60, 90]
        for s in sent:
            assert s.payload["transactionId"] == 1
            sampled = s.payload["meterValue"][0]["sampledValue"]
            assert {v["measurand"] for v in sampled} == {ENERGY, "Power.Active.Import"}
            assert {v["context"] for v in sampled} == {"Sample.Periodic"}
        energies = [energy_of(s.payload["meterValue"][0]) for s in sent]
        assert energies == sorted(energies) and energies[0] > 0
    finally:
        await shutdown(station)


@pytest.mark.key("beginEndMeterValues")
async def test_stop_sends_the_meter_of_the_last_sample(tmp_path: Path) -> None:
    """Section 4.10: meterStop and reason; with beginEndMeterValues the Transaction.End sample
    goes before StopTransaction and carries the same energy; the connector is Available."""
    clock = VirtualClock()
    station = make_station(tmp_path, clock=clock, beginEndMeterValues=True)
    await station.transactions.start(1, "TAG-A")
    await clock.run_for(600)
    response = await station.transactions.stop(1, "Local")
    try:
        assert response == {"idTagInfo": {"status": "Accepted"}}
        actions = [s.action for s in station.csms.sent]
        end_index = max(
            i
            for i, s in enumerate(station.csms.sent)
            if s.action == "MeterValues"
            and s.payload["meterValue"][0]["sampledValue"][0]["context"] == "Transaction.End"
        )
        assert actions[end_index + 1] == "StopTransaction"
        stop = station.csms.of("StopTransaction")[0]
        end = station.csms.sent[end_index].payload["meterValue"][0]
        assert stop["meterStop"] == energy_of(end) > 0
        assert stop["reason"] == "Local" and stop["transactionId"] == 1
        assert station.connectors[1].status == "Available"
        assert not station.connectors[1].transaction_started
        assert station.csms.of("StatusNotification")[-1]["status"] == "Available"
    finally:
        await shutdown(station)


@pytest.mark.key("outOfOrderEndMeterValues")
async def test_out_of_order_end_meter_values_follow_the_stop(tmp_path: Path) -> None:
    """outOfOrderEndMeterValues: Transaction.End MeterValues after StopTransaction."""
    station = make_station(tmp_path, beginEndMeterValues=True, outOfOrderEndMeterValues=True)
    await station.transactions.start(1, "TAG-A")
    await station.transactions.stop(1)
    try:
        actions = [s.action for s in station.csms.sent]
        assert actions[-3:] == ["StopTransaction", "MeterValues", "StatusNotification"]
        begin = station.csms.of("MeterValues")[0]["meterValue"][0]["sampledValue"][0]
        assert begin["context"] == "Transaction.Begin"
    finally:
        await shutdown(station)


@pytest.mark.key("meteringPerTransaction")
async def test_the_register_never_goes_back_across_transactions(tmp_path: Path) -> None:
    """Without meteringPerTransaction, meterStart of a transaction is the meterStop of the
    previous one on the same connector."""
    clock = VirtualClock()
    station = make_station(tmp_path, clock=clock, meteringPerTransaction=False)
    try:
        for tag in ("TAG-A", "TAG-B", "TAG-C"):
            await station.transactions.start(1, tag)
            await clock.run_for(300)
            await station.transactions.stop(1)
            await clock.run_for(60)
        starts = [p["meterStart"] for p in station.csms.of("StartTransaction")]
        stops = [p["meterStop"] for p in station.csms.of("StopTransaction")]
        assert starts[0] == 0
        assert starts[1:] == stops[:-1]
        assert all(stop > start for start, stop in zip(starts, stops, strict=True))
    finally:
        await shutdown(station)


async def test_an_id_tag_refused_at_start_stops_the_transaction(tmp_path: Path) -> None:
    """Section 4.8: a StartTransaction.conf whose idTagInfo is not Accepted ends the
    transaction (StopTransactionOnInvalidId): StopTransaction with reason DeAuthorized."""
    station = make_station(tmp_path, reject_id_tags=("TAG-X",))
    try:
        await station.transactions.start(2, "TAG-X")
        stop = station.csms.of("StopTransaction")[0]
        assert stop["reason"] == "DeAuthorized" and stop["meterStop"] == 0
        assert not station.connectors[2].transaction_started
        assert "Charging" not in [p["status"] for p in station.csms.of("StatusNotification")]
    finally:
        await shutdown(station)


@pytest.mark.key("transactionDataMeterValues")
async def test_transaction_data_carries_the_stop_txn_samples(tmp_path: Path) -> None:
    """transactionDataMeterValues: StopTransaction.transactionData has Transaction.Begin, every
    StopTxnSampledData sample (section 9.1.30) and Transaction.End."""
    clock = VirtualClock()
    station = make_station(
        tmp_path,
        clock=clock,
        transactionDataMeterValues=True,
        Configuration=config_keys(
            MeterValueSampleInterval="60", StopTxnSampledData="Energy.Active.Import.Register"
        ),
    )
    await station.transactions.start(1, "TAG-A")
    await clock.run_for(200)
    await station.transactions.stop(1)
    try:
        data = station.csms.of("StopTransaction")[0]["transactionData"]
        contexts = [v["sampledValue"][0]["context"] for v in data]
        assert contexts == ["Transaction.Begin", *["Sample.Periodic"] * 3, "Transaction.End"]
        assert energy_of(data[-1]) == station.csms.of("StopTransaction")[0]["meterStop"]
    finally:
        await shutdown(station)


async def test_clock_aligned_values_fall_on_the_interval_boundaries(tmp_path: Path) -> None:
    """Section 9.1.5: ClockAlignedDataInterval counted from midnight, MeterValuesAlignedData,
    context Sample.Clock, for every connector."""
    clock = VirtualClock()  # starts at midnight
    station = make_station(
        tmp_path,
        clock=clock,
        Configuration=config_keys(
            ClockAlignedDataInterval="900",
            MeterValuesAlignedData="Energy.Active.Import.Register",
            MeterValueSampleInterval="0",
        ),
    )
    await clock.run_for(100)
    task = station.spawn(station.transactions.sample_clock_aligned())
    try:
        await clock.run_for(1000)
        sent = [s for s in station.csms.sent if s.action == "MeterValues"]
        assert [(s.at, s.payload["connectorId"]) for s in sent] == [(900, 1), (900, 2)]
        assert sent[0].payload["meterValue"][0]["sampledValue"][0]["context"] == "Sample.Clock"
    finally:
        task.cancel()
        await shutdown(station)


@pytest.mark.key("powerSharedByConnectors")
async def test_shared_power_halves_when_a_second_connector_charges(tmp_path: Path) -> None:
    """powerSharedByConnectors: the station's power divided by the connectors charging."""
    station = make_station(tmp_path, power=22000, powerSharedByConnectors=True)
    try:
        await station.transactions.start(1, "TAG-A")
        alone = station.transactions.limit_w(1)
        await station.transactions.start(2, "TAG-B")
        assert alone == 22000
        assert station.transactions.limit_w(1) == station.transactions.limit_w(2) == 11000
    finally:
        await shutdown(station)


@pytest.mark.key("amperageLimitationOcppKey")
async def test_the_amperage_limit_key_caps_the_power(tmp_path: Path) -> None:
    """amperageLimitationOcppKey in amperageLimitationUnit, read at each sample."""
    station = make_station(
        tmp_path,
        power=22000,
        amperageLimitationOcppKey="MaxCurrent",
        amperageLimitationUnit="A",
    )
    try:
        assert station.transactions.limit_w(1) == 11000  # 22 kW over 2 connectors
        station.configuration.set("MaxCurrent", "10")
        assert station.transactions.limit_w(1) == 230 * 10 * 3
    finally:
        await shutdown(station)


async def test_transaction_data_carries_the_stop_txn_aligned_samples(tmp_path: Path) -> None:
    """StopTxnAlignedData (section 9.1.29): the clock-aligned samples of the transaction go
    into StopTransaction.transactionData, context Sample.Clock."""
    clock = VirtualClock()
    station = make_station(
        tmp_path,
        clock=clock,
        transactionDataMeterValues=True,
        Configuration=config_keys(
            ClockAlignedDataInterval="60",
            StopTxnAlignedData="Energy.Active.Import.Register",
            MeterValueSampleInterval="0",
        ),
    )
    task = station.spawn(station.transactions.sample_clock_aligned())
    await clock.run_for(30)
    await station.transactions.start(1, "TAG-A")
    await clock.run_for(150)  # boundaries at 60, 120 and 180 s
    await station.transactions.stop(1)
    try:
        data = station.csms.of("StopTransaction")[0]["transactionData"]
        contexts = [v["sampledValue"][0]["context"] for v in data]
        assert contexts == ["Transaction.Begin", *["Sample.Clock"] * 3, "Transaction.End"]
        assert station.csms.of("MeterValues") == []  # MeterValuesAlignedData is empty
    finally:
        task.cancel()
        await shutdown(station)
