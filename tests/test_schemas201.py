"""OCPP 2.0.1 payload validation against the `ocpp` package's v201 schemas (issue 15: all 128
compile with fastjsonschema), asked for by the session's names as 1.6's are (OCPP-J 2.0.1
4.1.6: a CALL's action is the message name without "Request")."""

from __future__ import annotations

from importlib import resources
from typing import Any

import pytest

from simulator.station.frames import ErrorCode, OcppError
from simulator.station.ocpp16.schemas import SCHEMAS16
from simulator.station.ocpp201.schemas import SCHEMAS201
from simulator.station.schemas import Schemas
from tests.ocpp201_schemas import assert_valid_201

FILES = sorted(
    entry.name.removesuffix(".json")
    for entry in resources.files("ocpp.v201").joinpath("schemas").iterdir()
    if entry.name.endswith(".json")
)
ACTIONS = sorted(name.removesuffix("Request") for name in FILES if name.endswith("Request"))

BOOT = {
    "reason": "PowerUp",
    "chargingStation": {"model": "SingleSocketCharger", "vendorName": "VendorX"},
}


def violation(name: str, payload: dict[str, Any]) -> ErrorCode:
    with pytest.raises(OcppError) as caught:
        SCHEMAS201.validate(name, payload)
    return caught.value.code


def test_the_ocpp_package_ships_128_schemas_of_64_actions() -> None:
    assert (len(FILES), len(ACTIONS)) == (128, 64)


@pytest.mark.parametrize("file", FILES)
def test_every_shipped_schema_compiles_with_fastjsonschema(file: str) -> None:
    name = file.removesuffix("Request")
    assert SCHEMAS201.compiled(name) is SCHEMAS201.validator(name)


def test_the_schema_names_are_the_actions_and_their_responses() -> None:
    assert SCHEMAS201.schema_names() == {*ACTIONS, *(f"{a}Response" for a in ACTIONS)}


@pytest.mark.parametrize("action", ["TransactionEvent", "RequestStartTransaction", "GetVariables"])
def test_an_action_is_known_by_its_name_without_request(action: str) -> None:
    assert SCHEMAS201.is_known_action(action)


@pytest.mark.parametrize(
    "name",
    ["TransactionEventRequest", "TransactionEventResponse", "StartTransaction", "", "../v16/Reset"],
)
def test_file_names_responses_and_1_6_actions_are_no_2_0_1_actions(name: str) -> None:
    assert not SCHEMAS201.is_known_action(name)


@pytest.mark.parametrize(
    "name", ["ResetRequest", "../schemas/ResetRequest", "RemoteStartTransaction"]
)
def test_a_name_without_a_2_0_1_schema_has_no_validator(name: str) -> None:
    assert SCHEMAS201.validator(name) is None


def test_a_boot_notification_of_part_4_passes() -> None:
    """OCPP-J 2.0.1 4.2.1, the BootNotificationRequest example."""
    SCHEMAS201.validate("BootNotification", BOOT)


def test_the_response_is_checked_by_action_response() -> None:
    """OCPP-J 2.0.1 4.2.2, the BootNotification response example."""
    SCHEMAS201.validate(
        "BootNotificationResponse",
        {"currentTime": "2013-02-01T20:53:32.486Z", "interval": 300, "status": "Accepted"},
    )
    assert violation("BootNotificationResponse", {"status": "Accepted"}) == (
        ErrorCode.OCCURENCE_CONSTRAINT_VIOLATION
    )


def test_a_1_6_payload_fails_the_2_0_1_schema_of_the_same_action() -> None:
    """1.6's BootNotification.req is no 2.0.1 BootNotificationRequest: each version validates
    with its own schemas."""
    payload = {"chargePointVendor": "VendorX", "chargePointModel": "SingleSocketCharger"}
    SCHEMAS16.validate("BootNotification", payload)
    assert violation("BootNotification", payload) == ErrorCode.OCCURENCE_CONSTRAINT_VIOLATION


def test_an_unknown_field_is_a_format_violation_code() -> None:
    """additionalProperties false: FormationViolation, spelled FormatViolation on a 2.0.1
    connection (ocpp201/errors.py)."""
    assert violation("Heartbeat", {"extra": 1}) == ErrorCode.FORMATION_VIOLATION


def test_a_wrong_type_is_a_type_constraint_violation() -> None:
    assert violation("Reset", {"type": 1}) == ErrorCode.TYPE_CONSTRAINT_VIOLATION


def test_a_value_outside_its_enum_is_a_property_constraint_violation() -> None:
    assert violation("Reset", {"type": "Hard"}) == ErrorCode.PROPERTY_CONSTRAINT_VIOLATION


def test_chosen_validators_compile_ahead_by_their_session_names() -> None:
    """A preload may compile a 2.0.1 station's daily messages ahead (precompile(names))."""
    schemas = Schemas("ocpp.v201", request_suffix="Request")
    schemas.precompile(["TransactionEvent", "TransactionEventResponse"])
    assert set(schemas._compiled) == {"TransactionEvent", "TransactionEventResponse"}


def test_the_test_helper_takes_the_request_file_name_too() -> None:
    assert_valid_201("BootNotificationRequest", BOOT)
    assert_valid_201("BootNotification", BOOT)
    with pytest.raises(AssertionError, match=r"^OccurrenceConstraintViolation: "):
        assert_valid_201("BootNotificationRequest", {"reason": "PowerUp"})
    with pytest.raises(AssertionError, match=r"no OCPP 2\.0\.1 schema"):
        assert_valid_201("StartTransaction", {})
