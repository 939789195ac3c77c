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

_SCHEMAS = resources.files("ocpp.v16").joinpath("schemas")
_RESPONSE_SUFFIX = "Response"


@cache
def schema_names() -> frozenset[str]:
    """Every schema the `ocpp` package ships for OCPP 1.6: actions and their "...Response"."""
    return frozenset(
        entry.name.removesuffix(".json")
        for entry in _SCHEMAS.iterdir()
        if entry.is_file() and entry.name.endswith(".json")
    )


def validator(name: str) -> Validator | None:
    """The compiled validator for a schema name ("BootNotification", "BootNotificationResponse").

    Compiling costs milliseconds, validating microseconds: cached for the life of the process.
    Names come off the wire: only names of shipped schemas reach the file system (no "../") and
    the cache, which so holds at most one entry per shipped schema.
    """
    return _compiled(name) if name in schema_names() else None


@cache
def _compiled(name: str) -> Validator:
    schema = json.loads(_SCHEMAS.joinpath(f"{name}.json").read_text(encoding="utf-8"))
    # The bundled schemas are draft-04 and some carry "format": "date-time" on free strings;
    # formats are not asserted by draft-04 validators in general, and the CSMS side's stamps vary.
    compiled: Validator = fastjsonschema.compile(schema, formats={"date-time": r".*"})
    return compiled


def is_known_action(action: str) -> bool:
    """An OCPP 1.6 action ("Reset"), as opposed to a response schema ("ResetResponse")."""
    return not action.endswith(_RESPONSE_SUFFIX) and action in schema_names()


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


def precompile() -> None:
    """Compile every validator now (about 0.2 s).

    Called where the worker stack is imported once and forked (the forkserver preload), so every
    worker starts with compiled validators instead of compiling on its first messages.
    """
    for name in schema_names():
        _compiled(name)
