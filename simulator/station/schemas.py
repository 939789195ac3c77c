"""Payload validators of one OCPP version, compiled once per process from the JSON schemas the
`ocpp` package ships for it. The version's adapter builds its `Schemas` (ocpp16/schemas.py)
and may give a shortcut per schema: a check that vouches for a payload without the full
validator (the 1.6 MeterValues shape cache, the hot path of a fleet)."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from importlib import resources
from typing import Any

import fastjsonschema

from simulator.station.frames import ErrorCode, OcppError

Validator = Callable[[dict[str, Any]], Any]
# True when the payload certainly passes its schema; False sends it to the full validator,
# whose error then names the precise fault.
Shortcut = Callable[[dict[str, Any]], bool]

# fastjsonschema names the keyword that failed; OCPP-J 4.2.3 names the error class.
_ERROR_BY_RULE: dict[str, ErrorCode] = {
    "required": ErrorCode.OCCURENCE_CONSTRAINT_VIOLATION,
    "minItems": ErrorCode.OCCURENCE_CONSTRAINT_VIOLATION,
    "maxItems": ErrorCode.OCCURENCE_CONSTRAINT_VIOLATION,
    "type": ErrorCode.TYPE_CONSTRAINT_VIOLATION,
    "additionalProperties": ErrorCode.FORMATION_VIOLATION,
}

_RESPONSE_SUFFIX = "Response"
ValidationFailure = fastjsonschema.JsonSchemaValueException


class Schemas:
    """The schemas of one OCPP version: `package` holds them ("ocpp.v16"), as "<Name>.json"."""

    def __init__(self, package: str, shortcuts: Mapping[str, Shortcut] | None = None) -> None:
        self._directory = resources.files(package).joinpath("schemas")
        self._shortcuts = dict(shortcuts or {})
        self._names: frozenset[str] | None = None
        self._compiled: dict[str, Validator] = {}

    def schema_names(self) -> frozenset[str]:
        """Every schema shipped for the version: actions and their "...Response"."""
        if self._names is None:
            self._names = frozenset(
                entry.name.removesuffix(".json")
                for entry in self._directory.iterdir()
                if entry.is_file() and entry.name.endswith(".json")
            )
        return self._names

    def validator(self, name: str) -> Validator | None:
        """The compiled validator of a schema name (an action, or "<action>Response").

        Compiling costs milliseconds, validating microseconds: kept for the life of the process.
        Names come off the wire: only names of shipped schemas reach the file system (no "../")
        and the cache, which so holds at most one entry per shipped schema.
        """
        compiled = self._compiled.get(name)
        if compiled is None and name in self.schema_names():
            compiled = self.compiled(name)
        return compiled

    def compiled(self, name: str) -> Validator:
        """The validator of a schema known to be shipped."""
        compiled = self._compiled.get(name)
        if compiled is None:
            text = self._directory.joinpath(f"{name}.json").read_text(encoding="utf-8")
            # The bundled schemas are draft-04 and some carry "format": "date-time" on free
            # strings; draft-04 validators do not assert formats in general, and the CSMS
            # side's stamps vary.
            compiled = fastjsonschema.compile(json.loads(text), formats={"date-time": r".*"})
            self._compiled[name] = compiled
        return compiled

    def is_known_action(self, action: str) -> bool:
        """An action of the version, as opposed to a response schema (`...Response`)."""
        return not action.endswith(_RESPONSE_SUFFIX) and action in self.schema_names()

    def validate(self, name: str, payload: dict[str, Any]) -> None:
        """Raise OcppError with the OCPP-J error code for a payload that breaks its schema."""
        shortcut = self._shortcuts.get(name)
        if shortcut is not None and shortcut(payload):
            return
        check = self.validator(name)
        if check is None:
            return
        try:
            check(payload)
        except fastjsonschema.JsonSchemaValueException as exc:
            code = _ERROR_BY_RULE.get(exc.rule or "", ErrorCode.PROPERTY_CONSTRAINT_VIOLATION)
            raise OcppError(code, f"{name}: {exc.message}") from None

    def precompile(self) -> None:
        """Compile every validator now (about 0.2 s for 1.6).

        Called where the worker stack is imported once and forked (the forkserver preload), so
        every worker starts with compiled validators instead of compiling on its first messages.
        """
        for name in self.schema_names():
            self.compiled(name)


__all__ = ["Schemas", "Shortcut", "ValidationFailure", "Validator"]
