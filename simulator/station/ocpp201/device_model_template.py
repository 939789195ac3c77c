"""A 2.0.1 template's `Configuration.configurationKey` entries as device-model values.

The TypeScript simulator's 2.0.1 templates name a variable `Component.Variable`, or
`Component.Variable.Instance` for an instance-qualified one (`OCPPCommCtrlr.MessageAttempts.
TransactionEvent`), with `value` and `readonly`: the Actual value of a station-wide component.
`readonly: true` makes a writable variable read-only for the station; `readonly: false` cannot make
a read-only one writable. A key or value evsim cannot use is one problem line, and skipped.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from simulator.station.ocpp201.device_model import (
    ACTUAL,
    DeviceModel,
    Entry,
    StationValues,
    ValueKey,
    VarKey,
)
from simulator.station.ocpp201.device_model_values import check_value


@dataclass(frozen=True, slots=True)
class TemplateValues:
    values: StationValues
    problems: tuple[str, ...]  # "key 'X.Y': reason", one per entry evsim skipped


def _entry(model: DeviceModel, key: str) -> Entry | str:
    parts = key.split(".", 2)
    if len(parts) < 2 or not all(parts):
        return "not Component.Variable[.Instance]"
    variable: dict[str, str] = {"name": parts[1]}
    if len(parts) == 3:
        variable["instance"] = parts[2]
    found = model.find({"name": parts[0]}, variable)
    if found == "UnknownComponent":
        return f"no station-wide component {parts[0]}"
    if found == "UnknownVariable":
        return f"{parts[0]} has no variable {'.'.join(parts[1:])}"
    return found


def template_values(
    model: DeviceModel, configuration_keys: Iterable[Mapping[str, Any]]
) -> TemplateValues:
    """The overrides and read-only marks of a template's configurationKey list."""
    overrides: dict[ValueKey, str] = {}
    readonly: set[VarKey] = set()
    problems: list[str] = []
    for item in configuration_keys:
        key = str(item.get("key", ""))
        found = _entry(model, key)
        if isinstance(found, str):
            problems.append(f"key {key!r}: {found}")
            continue
        v = found.variable
        value = item.get("value")
        if value is not None:
            text = str(value).lower() if isinstance(value, bool) else str(value)
            rejection = check_value(text, found.characteristics)
            if rejection is not None:
                problems.append(f"key {key!r}: value {text!r} {rejection.info}")
                continue
            if found.variable.attribute(ACTUAL) is not None:
                overrides[(found.component, v.name, v.instance, ACTUAL)] = text
        if item.get("readonly") is True:
            readonly.add((found.component, v.name, v.instance))
    return TemplateValues(StationValues(overrides, readonly), tuple(problems))
