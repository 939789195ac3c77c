"""Payload validators of one OCPP version, compiled once per process from the JSON schemas the
`ocpp` package ships for it. The version's adapter builds its `Schemas` (ocpp16/schemas.py,
ocpp201/schemas.py) and may give a shortcut per schema: a check that vouches for a payload
without the full validator (the 1.6 MeterValues shape cache, the hot path of a fleet).

Whatever the version names its files, a `Schemas` answers in the session's terms (OCPP-J
4.1.6): a CALL's payload is checked by its action ("BootNotification"), an answer's by
"<action>Response"."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from importlib import resources
from importlib.resources.abc import Traversable
from typing import Any

import fastjsonschema

from simulator.station.frames import ErrorCode, OcppError

Validator = Callable[[dict[str, Any]], Any]
# True when the payload certainly passes its schema; False sends it to the full validator,
# whose error then names the precise fault.
Shortcut = Callable[[dict[str, Any]], bool]

# fastjsonschema names the keyword that failed; OCPP-J 4.2.3 (2.0.1: 4.3) names the error class.
_ERROR_BY_RULE: dict[str, ErrorCode] = {
    "required": ErrorCode.OCCURENCE_CONSTRAINT_VIOLATION,
    "minItems": ErrorCode.OCCURENCE_CONSTRAINT_VIOLATION,
    "maxItems": ErrorCode.OCCURENCE_CONSTRAINT_VIOLATION,
    "type": ErrorCode.TYPE_CONSTRAINT_VIOLATION,
    "additionalProperties": ErrorCode.FORMATION_VIOLATION,
}

_RESPONSE_SUFFIX = "Response"
_JSON = ".json"
ValidationFailure = fastjsonschema.JsonSchemaValueException


class Schemas:
    """The schemas of one OCPP version: `package` holds them ("ocpp.v16"), in its "schemas"
    folder. A request's file is "<Action><request_suffix>.json" (1.6: "Reset.json", 2.0.1:
    "ResetRequest.json"), an answer's "<Action>Response.json"."""

    def __init__(
        self,
        package: str,
        shortcuts: Mapping[str, Shortcut] | None = None,
        *,
        request_suffix: str = "",
    ) -> None:
        self._package = package
        self._shortcuts = dict(shortcuts or {})
        self._request_suffix = request_suffix
        self._names: frozenset[str] | None = None
        self._compiled: dict[str, Validator] = {}

    def _directory(self) -> Traversable:
        # Found at first use: finding it imports the package (`ocpp.v201` loads its dataclasses,
        # ~130 ms), which a process whose stations never speak the version does not pay.
        return resources.files(self._package).joinpath("schemas")

    def schema_names(self) -> frozenset[str]:
        """Every schema shipped for the version, by the session's names: the actions and their
        "...Response"."""
        if self._names is None:
            self._names = frozenset(
                self._session_name(entry.name.removesuffix(_JSON))
                for entry in self._directory().iterdir()
                if entry.is_file() and entry.name.endswith(_JSON)
            )
        return self._names

    def _session_name(self, file_stem: str) -> str:
        if file_stem.endswith(_RESPONSE_SUFFIX):
            return file_stem
        return file_stem.removesuffix(self._request_suffix) if self._request_suffix else file_stem

    def _file_name(self, name: str) -> str:
        if name.endswith(_RESPONSE_SUFFIX):
            return name + _JSON
        return name + self._request_suffix + _JSON

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
            text = self._directory().joinpath(self._file_name(name)).read_text(encoding="utf-8")
            # Some schemas carry "format": "date-time" on free strings; draft-04 validators do
            # not assert formats in general (draft-06 leaves it optional), and the CSMS side's
            # stamps vary.
            # use_default False: a validated payload is sent as built, optional fields left out
            # (P4 4.1.5), not filled with the schema's defaults.
            compiled = fastjsonschema.compile(
                json.loads(text), formats={"date-time": r".*"}, use_default=False
            )
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

    def precompile(self, names: Iterable[str] | None = None) -> None:
        """Compile every validator now, or those of `names` (session names).

        Called where the worker stack is imported once and forked (the forkserver preload), so
        every worker starts with compiled validators instead of compiling on its first messages.
        Measured: all of 1.6 about 0.2 s; all of 2.0.1 0.7 to 1 s and 11 MiB
        (bench/schema_compile_cost.py).
        """
        for name in self.schema_names() if names is None else names:
            self.compiled(name)


__all__ = ["Schemas", "Shortcut", "ValidationFailure", "Validator"]
