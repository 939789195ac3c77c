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
    catalogue_from,
    lay_out,
)

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
