"""GetVariables (B06) and SetVariables (B05) as pure functions of a device model and a station's
values: the response payload, and for SetVariables the changes to store (the caller applies them
with `StationValues.apply`, then acts on `reboot_required`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from simulator.station.ocpp201.device_model import (
    ACTUAL,
    STATION,
    DeviceModel,
    Entry,
    StationValues,
    ValueKey,
    VarKey,
    var_key,
)
from simulator.station.ocpp201.device_model_values import Rejection, check_value

REPORTING_VALUE_SIZE = var_key("DeviceDataCtrlr", "ReportingValueSize")
CONFIGURATION_VALUE_SIZE = var_key("DeviceDataCtrlr", "ConfigurationValueSize")
# The schemas' maxLength of GetVariableResult.attributeValue and SetVariableData.attributeValue.
SCHEMA_REPORTING_SIZE = 2500
SCHEMA_CONFIGURATION_SIZE = 1000


class ValueGuard(Protocol):
    """The station's rules over some station-wide variables' Actual values, after their
    characteristics: what depends on the station's state (B10.FR.02: NetworkConfigurationPriority
    may name configured slots only)."""

    def rejection(
        self, component: str, variable: str, instance: str | None, value: str
    ) -> Rejection | None:
        """Why `value` may not be set, or None (also for a variable the guard has no rule
        for)."""


def current_value(
    entry: Entry, attribute_type: str, values: StationValues, live: Mapping[VarKey, str]
) -> str | None:
    """An attribute's value now: the station's live value for the Actual of a variable it
    reports from its state, else the stored override, else the default."""
    attribute = entry.variable.attribute(attribute_type)
    if attribute is None:
        return None
    if entry.variable.source == STATION and attribute_type == ACTUAL:
        value = live.get((entry.component, entry.variable.name, entry.variable.instance))
        if value is not None:
            return value
    return values.value(entry, attribute)


def reporting_size(model: DeviceModel, values: StationValues) -> int:
    size = values.integer(model, REPORTING_VALUE_SIZE, SCHEMA_REPORTING_SIZE)
    return max(0, min(size, SCHEMA_REPORTING_SIZE))


def _get_one(
    model: DeviceModel,
    values: StationValues,
    data: Mapping[str, Any],
    live: Mapping[VarKey, str],
    size: int,
) -> dict[str, Any]:
    attribute_type = data.get("attributeType") or ACTUAL  # B06.FR.11
    # B06.FR.02/03: the same component, variable and attributeType as asked.
    result: dict[str, Any] = {
        "attributeType": attribute_type,
        "component": data["component"],
        "variable": data["variable"],
    }
    found = model.find(data["component"], data["variable"])
    if not isinstance(found, Entry):
        result["attributeStatus"] = found  # B06.FR.06/07/15, no attributeValue
        return result
    attribute = found.variable.attribute(attribute_type)
    if attribute is None:
        result["attributeStatus"] = "NotSupportedAttributeType"  # B06.FR.08
        return result
    if values.mutability(found, attribute) == "WriteOnly":
        result["attributeStatus"] = "Rejected"  # B06.FR.09
        result["attributeStatusInfo"] = Rejection("WriteOnly", "write-only").status_info()
        return result
    value = current_value(found, attribute_type, values, live)
    result["attributeStatus"] = "Accepted"  # B06.FR.10
    result["attributeValue"] = (value or "")[:size]  # B06.FR.13: unset is ""
    return result


def get_variables(
    model: DeviceModel,
    values: StationValues,
    request: Mapping[str, Any],
    live: Mapping[VarKey, str] | None = None,
) -> dict[str, Any]:
    """The GetVariablesResponse payload of a GetVariablesRequest payload: one result per
    GetVariableData, in order (B06.FR.01)."""
    size = reporting_size(model, values)
    return {
        "getVariableResult": [
            _get_one(model, values, data, live or {}, size) for data in request["getVariableData"]
        ]
    }


@dataclass(frozen=True, slots=True)
class SetOutcome:
    response: dict[str, Any]  # the SetVariablesResponse payload
    changes: dict[ValueKey, str]  # to store (StationValues.apply)
    reboot_required: frozenset[VarKey]  # accepted values that take effect after a reboot


def _set_one(
    model: DeviceModel,
    values: StationValues,
    data: Mapping[str, Any],
    value_size: int,
    guard: ValueGuard | None,
) -> tuple[dict[str, Any], Entry | None]:
    attribute_type = data.get("attributeType") or ACTUAL  # B05.FR.12
    result: dict[str, Any] = {
        "attributeType": attribute_type,  # B05.FR.03
        "component": data["component"],  # B05.FR.02
        "variable": data["variable"],
    }
    found = model.find(data["component"], data["variable"])
    if not isinstance(found, Entry):
        result["attributeStatus"] = found  # B05.FR.04/05
        return result, None
    attribute = found.variable.attribute(attribute_type)
    if attribute is None:
        result["attributeStatus"] = "NotSupportedAttributeType"  # B05.FR.06
        return result, None
    rejection = check_value(str(data["attributeValue"]), found.characteristics, value_size)
    if rejection is None and values.mutability(found, attribute) == "ReadOnly":
        rejection = Rejection("ReadOnly", "read-only")  # B05.FR.09
    # The guard's rules are of station-wide variables' Actual values.
    if (
        rejection is None
        and guard is not None
        and attribute_type == ACTUAL
        and found.component.evse_id is None
    ):
        v = found.variable
        value = str(data["attributeValue"])
        rejection = guard.rejection(found.component.name, v.name, v.instance, value)
    if rejection is not None:
        result["attributeStatus"] = "Rejected"  # B05.FR.07/08/09
        result["attributeStatusInfo"] = rejection.status_info()
        return result, None
    # B05.FR.10, or RebootRequired where the value takes effect after a reboot (B10.FR.01).
    result["attributeStatus"] = "RebootRequired" if found.variable.reboot_required else "Accepted"
    return result, found


def set_variables(
    model: DeviceModel,
    values: StationValues,
    request: Mapping[str, Any],
    guard: ValueGuard | None = None,
) -> SetOutcome:
    """The decision on a SetVariablesRequest payload: one result per SetVariableData, in order
    (B05.FR.01), and what to store. Within one request a later item sees no earlier change:
    the CSMS may not send one combination twice (B05.FR.13). `guard`: the station's rules
    over some variables' Actual values (a Rejection refuses the value, B05.FR.07)."""
    value_size = min(
        values.integer(model, CONFIGURATION_VALUE_SIZE, SCHEMA_CONFIGURATION_SIZE),
        SCHEMA_CONFIGURATION_SIZE,
    )
    results: list[dict[str, Any]] = []
    changes: dict[ValueKey, str] = {}
    reboot: set[VarKey] = set()
    for data in request["setVariableData"]:
        result, entry = _set_one(model, values, data, value_size, guard)
        results.append(result)
        if entry is not None:
            v = entry.variable
            changes[(entry.component, v.name, v.instance, result["attributeType"])] = str(
                data["attributeValue"]
            )
            if v.reboot_required:
                reboot.add((entry.component, v.name, v.instance))
    return SetOutcome({"setVariableResult": results}, changes, frozenset(reboot))


def request_limit_error(
    model: DeviceModel, values: StationValues, action: str, items: int, size: int
) -> str | None:
    """The CALLERROR code for a GetVariables/SetVariables request of `items` items and `size`
    bytes over the station's ItemsPerMessage/BytesPerMessage[action] (B06.FR.16/17; B05.FR.11
    forbids the CSMS to send them), else None."""
    if items > values.integer(model, var_key("DeviceDataCtrlr", "ItemsPerMessage", action), items):
        return "OccurrenceConstraintViolation"
    if size > values.integer(model, var_key("DeviceDataCtrlr", "BytesPerMessage", action), size):
        return "FormatViolation"
    return None
