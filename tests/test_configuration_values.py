"""Value checks of the standard configuration keys on ChangeConfiguration (OCPP 1.6 section 9)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from simulator.station.keystore import ChangeStatus
from simulator.station.ocpp16 import keys as keys16
from simulator.station.ocpp16.keys import MEASURANDS, valid_value

measurands = st.lists(st.sampled_from(sorted(MEASURANDS)), max_size=6)


@given(measurands, st.none() | st.integers(0, 6))
def test_a_measurand_list_is_valid_within_its_max_length(
    items: list[str], limit: int | None
) -> None:
    value = ",".join(items)
    expected = limit is None or len(items) <= limit
    assert valid_value("MeterValuesSampledData", value, limit) == expected
    assert valid_value("stoptxnaligneddata", value, limit) == expected  # keys are CiString


@given(measurands, st.text(alphabet="abcXYZ.", min_size=1, max_size=8))
def test_a_measurand_list_with_an_unknown_measurand_is_invalid(
    items: list[str], bogus: str
) -> None:
    assert not valid_value("MeterValuesAlignedData", ",".join([*items, bogus]))


def test_connector_phase_rotation_entries_name_a_connector_and_a_rotation() -> None:
    assert valid_value("ConnectorPhaseRotation", "0.RST, 1.RST, 2.RTS")
    assert valid_value("ConnectorPhaseRotation", "1.NotApplicable")
    assert not valid_value("ConnectorPhaseRotation", "1.XYZ")
    assert not valid_value("ConnectorPhaseRotation", "RST")
    assert not valid_value("ConnectorPhaseRotation", "0.RST,1.RST", max_items=1)


def test_integer_and_boolean_keys_are_type_checked() -> None:
    assert valid_value("MinimumStatusDuration", "5")
    assert not valid_value("MinimumStatusDuration", "-1")
    assert not valid_value("ResetRetries", "two")
    assert valid_value("StopTransactionOnInvalidId", "FALSE")
    assert not valid_value("StopTransactionOnInvalidId", "no")


def test_change_reads_the_max_length_key_of_a_list() -> None:
    configuration = keys16.from_template([], 2)
    configuration.set("MeterValuesSampledDataMaxLength", "1")
    assert configuration.change("MeterValuesSampledData", "Voltage") == ChangeStatus.ACCEPTED
    assert configuration.change("MeterValuesSampledData", "Voltage,SoC") == ChangeStatus.REJECTED
    assert configuration.get("MeterValuesSampledData") == "Voltage"
