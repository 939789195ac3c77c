"""AlignedDataCtrlr.SendDuringIdle (OCPP 2.0.1 J01.FR.19/20): with it set, the station sends
clock-aligned meter values only while no transaction runs."""

from __future__ import annotations

from tests.ocpp201.tx_harness import make_tx201


async def test_with_send_during_idle_no_aligned_values_while_a_transaction_runs_j01_fr_20() -> None:
    tx = make_tx201()
    tx.variables.values["SampledDataCtrlr.TxUpdatedInterval"] = "0"
    tx.variables.values["AlignedDataCtrlr.Interval"] = "900"
    tx.variables.values["AlignedDataCtrlr.SendDuringIdle"] = "true"
    await tx.transactions.begin(1, "TAG-A")
    sampler = tx.station.spawn(tx.transactions.sample_clock_aligned())
    await tx.settle(1800)

    assert [p["triggerReason"] for p in tx.station.events()] == ["Authorized"]
    assert [action for action, _ in tx.station.sent if action == "MeterValues"] == []
    sampler.cancel()
    await tx.close()


async def test_with_send_during_idle_an_idle_station_sends_its_aligned_values_j01_fr_14() -> None:
    tx = make_tx201()
    tx.variables.values["AlignedDataCtrlr.Interval"] = "900"
    tx.variables.values["AlignedDataCtrlr.SendDuringIdle"] = "true"
    sampler = tx.station.spawn(tx.transactions.sample_clock_aligned())
    await tx.settle(900)

    assert [action for action, _ in tx.station.sent] == ["MeterValues"]
    sampler.cancel()
    await tx.close()
