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
    if name == _METER_VALUES and _known_meter_values(payload):
        return
    check = validator(name)
    if check is None:
        return
    try:
        check(payload)
    except fastjsonschema.JsonSchemaValueException as exc:
        code = _ERROR_BY_RULE.get(exc.rule or "", ErrorCode.PROPERTY_CONSTRAINT_VIOLATION)
        raise OcppError(code, f"{name}: {exc.message}") from None


_METER_VALUES = "MeterValues"
_METER_VALUE_KEYS = frozenset({"timestamp", "sampledValue"})
_PAYLOAD_KEYS = frozenset({"connectorId", "transactionId", "meterValue"})
_SAMPLE_FIELDS = ("context", "format", "measurand", "phase", "location", "unit")
# Shapes of sampledValue (its fields but the value) the full validator has accepted. A station
# sends the same few shapes all day; bounded all the same, against a peer sending many.
_VALID_SHAPES: set[tuple[Any, ...]] = set()
_MAX_SHAPES = 4096


def _known_meter_values(payload: dict[str, Any]) -> bool:
    """True when the MeterValues.req certainly passes its schema: its structure checked here
    and each sampledValue of a shape the compiled validator accepted before, so that only the
    values (strings) are new. Anything else returns False and gets the full validation (and
    its precise error). Measured: the full validator costs about 30 us for 10 sampled values,
    as much as the rest of the round trip; this check about a fifth of it."""
    if not _PAYLOAD_KEYS.issuperset(payload):
        return False
    connector_id = payload.get("connectorId")
    transaction_id = payload.get("transactionId", 0)
    meter_value = payload.get("meterValue")
    if type(connector_id) is not int or type(transaction_id) is not int:
        return False
    if type(meter_value) is not list or not meter_value:
        return False
    for item in meter_value:
        if type(item) is not dict or item.keys() != _METER_VALUE_KEYS:
            return False
        samples = item["sampledValue"]
        if type(item["timestamp"]) is not str or type(samples) is not list or not samples:
            return False
        for sample in samples:
            if type(sample) is not dict or type(sample.get("value")) is not str:
                return False
            get = sample.get  # spelled out: a generator here costs more than the lookups
            shape = (
                len(sample),
                get("context"),
                get("format"),
                get("measurand"),
                get("phase"),
                get("location"),
                get("unit"),
            )
            if shape not in _VALID_SHAPES and not _learn_shape(shape, sample):
                return False
    return True


def _learn_shape(shape: tuple[Any, ...], sample: dict[str, Any]) -> bool:
    # len(sample) in the shape: a field outside the six (or a None among them) makes the
    # count differ from the fields named, and the full validator has the last word.
    named = sum(1 for field in _SAMPLE_FIELDS if sample.get(field) is not None)
    if len(sample) != named + 1 or len(_VALID_SHAPES) >= _MAX_SHAPES:
        return False
    probe = {"connectorId": 0, "meterValue": [{"timestamp": "", "sampledValue": [sample]}]}
    try:
        _compiled(_METER_VALUES)(probe)
    except fastjsonschema.JsonSchemaValueException:
        return False
    _VALID_SHAPES.add(shape)
    return True


def precompile() -> None:
    """Compile every validator now (about 0.2 s).

    Called where the worker stack is imported once and forked (the forkserver preload), so every
    worker starts with compiled validators instead of compiling on its first messages.
    """
    for name in schema_names():
        _compiled(name)
