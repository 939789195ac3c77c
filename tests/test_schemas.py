"""OCPP 1.6 payload validation against the `ocpp` package's JSON schemas (OCPP-J errata 3.8)."""

from __future__ import annotations

from importlib import resources
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from simulator.station.core.metering import MeterModel, Reading
from simulator.station.core.sample_lists import SampledValues, SampleFormat
from simulator.station.frames import ErrorCode, OcppError
from simulator.station.ocpp16 import schemas
from simulator.station.ocpp16.sample_format import SAMPLE_FORMAT_16
from simulator.template_model import ConnectorTemplate, StationTemplate
from tests.core.harness import PlainFormat

SHIPPED = sorted(
    entry.name.removesuffix(".json")
    for entry in resources.files("ocpp.v16").joinpath("schemas").iterdir()
    if entry.name.endswith(".json")
)
ACTIONS = [name for name in SHIPPED if not name.endswith("Response")]

BOOT_NOTIFICATION = {"chargePointVendor": "VendorX", "chargePointModel": "SingleSocketCharger"}


def violation(name: str, payload: dict[str, Any]) -> ErrorCode:
    with pytest.raises(OcppError) as caught:
        schemas.validate(name, payload)
    return caught.value.code


def test_the_ocpp_package_ships_the_core_schemas() -> None:
    assert {"BootNotification", "Heartbeat", "ChangeConfiguration", "MeterValues"} <= set(ACTIONS)


@pytest.mark.parametrize("name", SHIPPED)
def test_every_shipped_schema_compiles_to_a_validator(name: str) -> None:
    assert schemas.validator(name) is not None


@pytest.mark.parametrize("action", ACTIONS)
def test_every_action_has_a_response_schema(action: str) -> None:
    assert schemas.validator(f"{action}Response") is not None


@pytest.mark.parametrize("action", ACTIONS)
def test_every_shipped_action_is_known(action: str) -> None:
    assert schemas.is_known_action(action)


@pytest.mark.parametrize(
    "name", ["BootNotificationResponse", "FlyToTheMoon", "bootnotification", "", "../v201/Reset"]
)
def test_response_schemas_and_other_names_are_not_known_actions(name: str) -> None:
    assert not schemas.is_known_action(name)


@pytest.mark.parametrize("name", ["FlyToTheMoon", "../schemas/BootNotification", "v16/Reset"])
def test_a_name_without_a_shipped_schema_has_no_validator(name: str) -> None:
    """Names come off the wire; only shipped schema names reach the file system."""
    assert schemas.validator(name) is None


def test_a_payload_without_a_schema_is_not_checked() -> None:
    schemas.validate("FlyToTheMoon", {"anything": ["at", "all"]})


def test_a_valid_boot_notification_passes() -> None:
    """OCPP-J 4.2.1, the BootNotification example."""
    schemas.validate("BootNotification", BOOT_NOTIFICATION)


def test_a_valid_boot_notification_response_passes() -> None:
    """OCPP 1.6 section 6.4; OCPP-J errata 2.4: interval is an integer."""
    schemas.validate(
        "BootNotificationResponse",
        {"status": "Accepted", "currentTime": "2013-02-01T20:53:32.486Z", "interval": 300},
    )


def test_an_empty_heartbeat_passes() -> None:
    schemas.validate("Heartbeat", {})


def test_a_missing_required_field_is_an_occurence_constraint_violation() -> None:
    """OCPP-J 4.2.3: "at least one of the fields violates occurence constraints"."""
    assert violation("BootNotification", {"chargePointVendor": "VendorX"}) is (
        ErrorCode.OCCURENCE_CONSTRAINT_VIOLATION
    )


def test_too_few_items_is_an_occurence_constraint_violation() -> None:
    """OCPP 1.6 section 6.31: MeterValues.req carries 1..* meterValue."""
    assert violation("MeterValues", {"connectorId": 1, "meterValue": []}) is (
        ErrorCode.OCCURENCE_CONSTRAINT_VIOLATION
    )


@pytest.mark.parametrize("value", [12, 1.5, True, None, ["VendorX"], {"name": "VendorX"}])
def test_a_field_of_the_wrong_type_is_a_type_constraint_violation(value: Any) -> None:
    """OCPP-J 4.2.3: TypeConstraintViolation, e.g. "somestring": 12."""
    payload = {**BOOT_NOTIFICATION, "chargePointVendor": value}
    assert violation("BootNotification", payload) is ErrorCode.TYPE_CONSTRAINT_VIOLATION


def test_an_integer_field_holding_a_fraction_is_a_type_constraint_violation() -> None:
    payload = {"connectorId": 1.5, "errorCode": "NoError", "status": "Available"}
    assert violation("StatusNotification", payload) is ErrorCode.TYPE_CONSTRAINT_VIOLATION


def test_a_value_outside_its_enumeration_is_a_property_constraint_violation() -> None:
    """OCPP-J 4.2.3: "at least one field contains an invalid value"."""
    assert violation("Reset", {"type": "Medium"}) is ErrorCode.PROPERTY_CONSTRAINT_VIOLATION


def test_a_string_over_its_maximum_length_is_a_property_constraint_violation() -> None:
    """OCPP 1.6 section 6.3: chargePointVendor is CiString20Type."""
    payload = {**BOOT_NOTIFICATION, "chargePointVendor": "V" * 21}
    assert violation("BootNotification", payload) is ErrorCode.PROPERTY_CONSTRAINT_VIOLATION


def test_an_unexpected_field_is_a_formation_violation() -> None:
    """OCPP-J 4.2.3: FormationViolation, "not conform the PDU structure"; OCPP-J errata 3.2:
    extra fields are not allowed."""
    payload = {**BOOT_NOTIFICATION, "colour": "green"}
    assert violation("BootNotification", payload) is ErrorCode.FORMATION_VIOLATION


def test_a_violation_names_the_schema_and_the_field() -> None:
    with pytest.raises(OcppError) as caught:
        schemas.validate("BootNotification", {"chargePointVendor": "VendorX"})
    assert caught.value.description.startswith("BootNotification:")
    assert "chargePointModel" in caught.value.description


def test_validation_leaves_the_payload_unchanged() -> None:
    payload = dict(BOOT_NOTIFICATION)
    schemas.validate("BootNotification", payload)
    assert payload == BOOT_NOTIFICATION


# --- MeterValues: shapes validated once -------------------------------------------------------

MEASURANDS = ["Energy.Active.Import.Register", "Voltage", "Bogus", None]
UNITS = ["Wh", "V", "Volts", None]
PHASES = ["L1", "L1-N", "L4", None]
CONTEXTS = ["Sample.Periodic", "Transaction.End", "Later", None]


def meter_values(*samples: dict[str, Any], **payload: Any) -> dict[str, Any]:
    return {
        "connectorId": 1,
        "meterValue": [{"timestamp": "2026-01-01T00:00:00Z", "sampledValue": list(samples)}],
        **payload,
    }


def full_validator_accepts(payload: dict[str, Any]) -> bool:
    validator = schemas.validator("MeterValues")
    assert validator is not None
    try:
        validator(payload)
    except Exception:
        return False
    return True


def test_meter_values_of_a_shape_seen_before_pass_without_the_full_validator() -> None:
    sample = {"value": "12.5", "measurand": "Voltage", "unit": "V", "phase": "L1-N"}
    schemas.validate("MeterValues", meter_values(sample))
    assert schemas._known_meter_values(meter_values({**sample, "value": "13.0"}))


@pytest.mark.parametrize(
    ("sample", "payload", "code"),
    [
        ({"value": "1", "measurand": "Bogus"}, {}, ErrorCode.PROPERTY_CONSTRAINT_VIOLATION),
        ({"value": "1", "colour": "red"}, {}, ErrorCode.FORMATION_VIOLATION),
        ({"value": 1}, {}, ErrorCode.TYPE_CONSTRAINT_VIOLATION),
        ({"value": "1"}, {"connectorId": True}, ErrorCode.TYPE_CONSTRAINT_VIOLATION),
        ({"value": "1"}, {"transactionId": "7"}, ErrorCode.TYPE_CONSTRAINT_VIOLATION),
        ({"value": "1", "unit": None}, {}, ErrorCode.TYPE_CONSTRAINT_VIOLATION),
    ],
)
def test_meter_values_the_schema_refuses_are_refused_after_valid_ones_were_seen(
    sample: dict[str, Any], payload: dict[str, Any], code: ErrorCode
) -> None:
    """The shape cache only ever lets through what the full validator accepted (OCPP-J 4.2.3
    codes as before)."""
    schemas.validate("MeterValues", meter_values({"value": "1"}))
    assert violation("MeterValues", meter_values(sample, **payload)) == code


@given(
    samples=st.lists(
        st.fixed_dictionaries(
            {"value": st.one_of(st.text(max_size=3), st.integers())},
            optional={
                "measurand": st.sampled_from(MEASURANDS),
                "unit": st.sampled_from(UNITS),
                "phase": st.sampled_from(PHASES),
                "context": st.sampled_from(CONTEXTS),
                "extra": st.just("x"),
            },
        ),
        min_size=1,
        max_size=4,
    ),
    connector_id=st.one_of(st.integers(min_value=0, max_value=3), st.booleans(), st.just("1")),
)
def test_the_shape_cache_never_accepts_what_the_full_validator_refuses(
    samples: list[dict[str, Any]], connector_id: Any
) -> None:
    payload = meter_values(*samples, connectorId=connector_id)
    if schemas._known_meter_values(payload):
        assert full_validator_accepts(payload)


# --- MeterValues: a prepared sample list vouched for once (core/sample_lists.py) ---------------


class Meter:
    """One connector's meter (three phases: a total and three phase voltages) and its fillings
    of the one prepared list of "Voltage" in Sample.Clock."""

    def __init__(self, fmt: SampleFormat = SAMPLE_FORMAT_16) -> None:
        station = StationTemplate.model_validate({"numberOfPhases": 3})
        connector = ConnectorTemplate.model_validate(
            {"MeterValues": [{"measurand": "Voltage", "unit": "V"}]}
        )
        self.model = MeterModel(station, connector, fmt)

    def filled(self, voltage: float = 230.0) -> SampledValues:
        reading = Reading(0.0, 0.0, 0.0, voltage, 0.0, 0.0, 0.0, 50.0)
        return self.model.sampled_values("Voltage", reading, "Sample.Clock")


def sent(sampled: list[dict[str, Any]]) -> dict[str, Any]:
    """A MeterValues.req carrying `sampled` as it is (meter_values() copies it)."""
    return {
        "connectorId": 1,
        "meterValue": [{"timestamp": "2026-01-01T00:00:00.000Z", "sampledValue": sampled}],
    }


def test_a_prepared_list_is_vouched_for_without_reading_its_samples_once_one_filling_passed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    meter = Meter()
    schemas.validate("MeterValues", sent(meter.filled(230.0)))
    monkeypatch.setattr(schemas, "_known_samples", lambda samples: pytest.fail("samples read"))

    assert schemas._known_meter_values(sent(meter.filled(231.5)))


def test_a_plain_list_of_a_vouched_lists_samples_is_read_sample_by_sample() -> None:
    meter = Meter()
    schemas.validate("MeterValues", sent(meter.filled()))
    copied = list(meter.filled())
    copied[0] = {**copied[0], "unit": "Volts"}

    assert violation("MeterValues", sent(copied)) == ErrorCode.PROPERTY_CONSTRAINT_VIOLATION


def test_a_vouched_list_grown_after_it_was_filled_is_read_sample_by_sample() -> None:
    meter = Meter()
    schemas.validate("MeterValues", sent(meter.filled()))
    grown = meter.filled()
    grown.append({"value": "1", "colour": "red"})

    assert violation("MeterValues", sent(grown)) == ErrorCode.FORMATION_VIOLATION


def test_a_prepared_list_the_schema_refuses_is_refused_at_every_filling() -> None:
    """A spelling that is not 1.6's (no "value", other field names) never gets vouched for."""
    meter = Meter(PlainFormat())

    for voltage in (230.0, 231.0):
        assert violation("MeterValues", sent(meter.filled(voltage))) == (
            ErrorCode.OCCURENCE_CONSTRAINT_VIOLATION
        )
