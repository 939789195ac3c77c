"""Every OCPP 2.0.1 message a test sends or receives is checked against the v201 schemas
(common brief): through this one helper, on the station's own validators (SCHEMAS201)."""

from __future__ import annotations

from typing import Any

from simulator.station.frames import OcppError
from simulator.station.ocpp201.errors import spell_error_201
from simulator.station.ocpp201.schemas import SCHEMAS201

_REQUEST = "Request"


def schema_name(name: str) -> str:
    """The session's name of a schema: "TransactionEventRequest" and "TransactionEvent" are the
    request's, "TransactionEventResponse" the answer's."""
    if name.endswith(_REQUEST) and SCHEMAS201.is_known_action(name.removesuffix(_REQUEST)):
        return name.removesuffix(_REQUEST)
    return name


def assert_valid_201(name: str, payload: dict[str, Any]) -> None:
    """Fail unless `payload` passes the 2.0.1 schema `name` (an action, "<Action>Request" or
    "<Action>Response"). A name without a schema fails too: nothing is checked against
    nothing."""
    session_name = schema_name(name)
    assert session_name in SCHEMAS201.schema_names(), f"no OCPP 2.0.1 schema named {name}"
    try:
        SCHEMAS201.validate(session_name, payload)
    except OcppError as exc:
        raise AssertionError(f"{spell_error_201(exc.code)}: {exc.description}") from None


__all__ = ["assert_valid_201", "schema_name"]
