"""OCPP 1.6 payload validators, compiled once per process from the `ocpp` package's schemas."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache
from importlib import resources
from typing import Any

import fastjsonschema

from simulator.station.frames import ErrorCode, OcppError

Validator = Callable[[dict[str, Any]], Any]

# fastjsonschema names the keyword that failed; OCPP-J 4.2.3 names the error class.
_ERROR_BY_RULE: dict[str, ErrorCode] = {
    "required": ErrorCode.OCCURENCE_CONSTRAINT_VIOLATION,
    "minItems": ErrorCode.OCCURENCE_CONSTRAINT_VIOLATION,
    "maxItems": ErrorCode.OCCURENCE_CONSTRAINT_VIOLATION,
    "type": ErrorCode.TYPE_CONSTRAINT_VIOLATION,
    "additionalProperties": ErrorCode.FORMATION_VIOLATION,
}


@cache
def _schema_text(name: str) -> str | None:
    schema = resources.files("ocpp.v16").joinpath("schemas", f"{name}.json")
    return schema.read_text(encoding="utf-8") if schema.is_file() else None


@cache
def validator(name: str) -> Validator | None:
    """The compiled validator for a schema name ("BootNotification", "BootNotificationResponse").

    Compiling costs milliseconds, validating microseconds: cached for the life of the process.
    """
    text = _schema_text(name)
    if text is None:
        return None
    schema = json.loads(text)
    # The bundled schemas are draft-04 and some carry "format": "date-time" on free strings;
    # formats are not asserted by draft-04 validators in general, and the CSMS side's stamps vary.
    compiled: Validator = fastjsonschema.compile(schema, formats={"date-time": r".*"})
    return compiled


def is_known_action(action: str) -> bool:
    return _schema_text(action) is not None


def validate(name: str, payload: dict[str, Any]) -> None:
    """Raise OcppError with the OCPP-J error code for a payload that breaks its schema."""
    check = validator(name)
    if check is None:
        return
    try:
        check(payload)
    except fastjsonschema.JsonSchemaValueException as exc:
        code = _ERROR_BY_RULE.get(exc.rule or "", ErrorCode.PROPERTY_CONSTRAINT_VIOLATION)
        raise OcppError(code, f"{name}: {exc.message}") from None
