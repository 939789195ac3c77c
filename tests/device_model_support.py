"""Shared by the device-model tests: the OCPP 2.0.1 schemas and request builders."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache
from importlib import resources
from typing import Any

import fastjsonschema

from simulator.station.ocpp201.device_model import (
    Catalogue,
    DeviceModel,
    EvseLayout,
    StationValues,
    catalogue_from,
    lay_out,
    var_key,
)
from simulator.station.ocpp201.device_model_variables import get_variables, set_variables

LAYOUT = (EvseLayout(1, (1,), 22000.0), EvseLayout(2, (1, 2), 11000.0))
NOW = "2026-12-02T04:30:00Z"


@cache
def schema(name: str) -> Callable[[Any], Any]:
    """The `ocpp` package's OCPP 2.0.1 schema `name` (e.g. NotifyReportRequest), compiled."""
    text = resources.files("ocpp.v201").joinpath("schemas", f"{name}.json").read_text("utf-8")
    validate: Callable[[Any], Any] = fastjsonschema.compile(json.loads(text))
    return validate


def model() -> DeviceModel:
    return lay_out(LAYOUT)


def item(
    component: str,
    variable: str,
    instance: str | None = None,
    *,
    evse: dict[str, int] | None = None,
    attribute_type: str | None = None,
    value: str | None = None,
) -> dict[str, Any]:
    """One GetVariableData (value None) or SetVariableData."""
    data: dict[str, Any] = {"component": {"name": component}, "variable": {"name": variable}}
    if instance is not None:
        data["variable"]["instance"] = instance
    if evse is not None:
        data["component"]["evse"] = evse
    if attribute_type is not None:
        data["attributeType"] = attribute_type
    if value is not None:
        data["attributeValue"] = value
    return data


def two_attribute_catalogue() -> Catalogue:
    """A device model of one variable with an Actual and a Target that has no value yet (the case
    of B06.FR.13 and B07.FR.11, which evsim's own data does not have)."""
    return catalogue_from(
        {
            "components": [
                {
                    "name": "TestCtrlr",
                    "scope": "station",
                    "variables": [
                        {
                            "name": "Limit",
                            "required": False,
                            "source": "config",
                            "characteristics": {"dataType": "integer", "maxLimit": 100},
                            "attributes": [
                                {
                                    "type": "Actual",
                                    "mutability": "ReadWrite",
                                    "persistent": True,
                                    "constant": False,
                                    "default": "5",
                                },
                                {
                                    "type": "Target",
                                    "mutability": "ReadWrite",
                                    "persistent": True,
                                    "constant": False,
                                },
                            ],
                        }
                    ],
                }
            ]
        }
    )


def get(values: StationValues, *data: dict[str, Any], **live: str) -> list[dict[str, Any]]:
    request = {"getVariableData": list(data)}
    schema("GetVariablesRequest")(request)
    response = get_variables(model(), values, request, {_key(k): v for k, v in live.items()})
    schema("GetVariablesResponse")(response)
    return list(response["getVariableResult"])


def set_(values: StationValues, *data: dict[str, Any]) -> list[dict[str, Any]]:
    """SetVariables, with the accepted changes stored as the station does."""
    request = {"setVariableData": list(data)}
    schema("SetVariablesRequest")(request)
    outcome = set_variables(model(), values, request)
    schema("SetVariablesResponse")(outcome.response)
    values.apply(outcome.changes)
    return list(outcome.response["setVariableResult"])


def _key(name: str) -> Any:
    component, variable = name.split("__")
    return var_key(component, variable)


def value_of(
    values: StationValues, component: str, variable: str, instance: str | None = None
) -> Any:
    return get(values, item(component, variable, instance))[0].get("attributeValue")
