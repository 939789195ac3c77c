"""What a 2.0.1 station's transactions read of its device model (ocpp201/tx_settings.py),
and the behaviour each variable has."""

from __future__ import annotations

import pytest

from simulator.station.ocpp201.tx_settings import Settings201, retry_policy
from tests.ocpp201.tx_harness import DictVariables, make_tx201, triggers

pytestmark = pytest.mark.timeout(10)


def test_the_retry_policy_is_message_attempts_and_interval_of_transaction_event_E13_FR_01() -> None:
    variables = DictVariables()
    variables.values["OCPPCommCtrlr.MessageAttempts.TransactionEvent"] = "5"
    variables.values["OCPPCommCtrlr.MessageAttemptInterval.TransactionEvent"] = "7"
    assert retry_policy(variables) == (5, 7)


def test_without_the_variables_the_retry_policy_is_the_spec_example_E13() -> None:
    assert retry_policy(DictVariables({})) == (3, 60)


def test_sampled_data_disabled_turns_off_updates_and_kept_samples_J02() -> None:
    variables = DictVariables()
    variables.values["SampledDataCtrlr.Enabled"] = "false"
    settings = Settings201(variables)
    assert (settings.sample_interval(), settings.ended_measurands()) == (0, "")
    assert (settings.started_measurands(), settings.ended_interval()) == ("", 0)


def test_aligned_data_disabled_turns_off_clock_aligned_values_J01() -> None:
    variables = DictVariables()
    variables.values["AlignedDataCtrlr.Enabled"] = "false"
    variables.values["AlignedDataCtrlr.Interval"] = "900"
    settings = Settings201(variables)
    assert (settings.aligned_interval(), settings.ended_aligned_measurands()) == (0, "")


def test_an_empty_measurand_list_means_none_not_the_default_E02_FR_10() -> None:
    variables = DictVariables()
    variables.values["SampledDataCtrlr.TxUpdatedMeasurands"] = ""
    assert Settings201(variables).sampled_measurands() == ""


def test_the_invalid_id_settings_are_tx_ctrlr_variables_E05() -> None:
    variables = DictVariables()
    variables.values["TxCtrlr.StopTxOnInvalidId"] = "false"
    variables.values["TxCtrlr.MaxEnergyOnInvalidId"] = "500"
    settings = Settings201(variables)
    assert (settings.stop_on_invalid_id(), settings.max_energy_on_invalid_id()) == (False, 500)
    assert settings.amperage_limit() is None


async def test_a_changed_tx_updated_interval_applies_from_the_next_sample_E02_FR_10() -> None:
    tx = make_tx201()
    tx.variables.values["SampledDataCtrlr.TxUpdatedInterval"] = "10"
    await tx.transactions.begin(1, "TAG-A")
    await tx.settle(25)
    tx.variables.values["SampledDataCtrlr.TxUpdatedInterval"] = "100"
    await tx.settle(100)
    periodic = [t for t in triggers(tx.station.events()) if t[1] == "MeterValuePeriodic"]
    assert len(periodic) == 3  # at 10, 20, then 30 + 100 is past the end
    await tx.close()


async def test_aligned_samples_are_kept_for_the_end_at_their_tx_ended_interval_E06_FR_11() -> None:
    tx = make_tx201()
    tx.variables.values["SampledDataCtrlr.TxUpdatedInterval"] = "0"
    tx.variables.values["AlignedDataCtrlr.TxEndedInterval"] = "900"
    await tx.transactions.begin(1, "TAG-A")
    await tx.settle(1900)
    await tx.transactions.stop(1)
    ended = tx.station.events()[-1]
    contexts = [value["sampledValue"][0]["context"] for value in ended["meterValue"]]
    assert contexts == ["Transaction.Begin", "Sample.Clock", "Sample.Clock", "Transaction.End"]
    await tx.close()
