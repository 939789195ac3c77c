"""GetVariables (Part 2 B06), SetVariables (B05) and GetBaseReport (B07) of an OCPP 2.0.1
station: the handlers, over the station's `Variables` and the pure functions of
device_model_variables.py and device_model_report.py.

A Get/SetVariables request larger than the station's DeviceDataCtrlr.ItemsPerMessage or
BytesPerMessage[GetVariables|SetVariables] is refused whole with a CALLERROR, as B06.FR.16/17 let
a station do (B05.FR.11 forbids the CSMS to send one; the station answers it as B06 says):
answering a part would look like a complete answer. The request's size is its payload's compact
JSON, without the frame around it: a message that fits is never refused.

GetBaseReport takes its report when asked (the values of that moment, generatedAt that moment),
answers, and sends the NotifyReports afterwards in a task of the station: Part 2 section 3,
generic requirement FR.05, wants the GetBaseReportResponse before the messages it announces.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Sequence
from typing import TYPE_CHECKING, Any, Protocol

import orjson

from simulator.station.clock import Clock, iso_timestamp
from simulator.station.frames import ErrorCode, OcppError
from simulator.station.ocpp201.device_model_report import (
    base_report_status,
    notify_reports,
    report_items,
)
from simulator.station.ocpp201.device_model_variables import request_limit_error
from simulator.station.ocpp201.variables import Variables
from simulator.station.rpc import CallFailed, ConnectionLost

if TYPE_CHECKING:
    from loguru import Logger

Payload = dict[str, Any]
DEFAULT_ITEMS_PER_REPORT = 100
DEFAULT_BYTES_PER_REPORT = 65000
# request_limit_error's codes (OCPP-J 2.0.1 spelling) as the session's ErrorCode members, which
# the 2.0.1 session spells back.
_ERRORS = {
    "OccurrenceConstraintViolation": ErrorCode.OCCURENCE_CONSTRAINT_VIOLATION,
    "FormatViolation": ErrorCode.FORMATION_VIOLATION,
}
_CHANGED = ("Accepted", "RebootRequired")


class ProvisioningStation(Protocol):
    """What these handlers use of their station."""

    @property
    def variables(self) -> Variables: ...

    @property
    def clock(self) -> Clock: ...

    @property
    def log(self) -> Logger: ...

    def spawn(self, coroutine: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]: ...

    async def call(self, action: str, payload: Payload) -> Payload: ...

    def configuration_changed(self, key: str) -> None:
        """A key's value changed: the UI hears of it and the station's state is persisted."""


def _check_size(
    variables: Variables, action: str, items: Sequence[object], payload: Payload
) -> None:
    error = request_limit_error(
        variables.model, variables.values, action, len(items), len(orjson.dumps(payload))
    )
    if error is not None:
        limit = "ItemsPerMessage" if error == "OccurrenceConstraintViolation" else "BytesPerMessage"
        allowed = variables.value("DeviceDataCtrlr", limit, action)
        raise OcppError(
            _ERRORS[error],
            f"{action} of {len(items)} items: over DeviceDataCtrlr.{limit}.{action} {allowed}",
        )


async def get_variables(station: ProvisioningStation, payload: Payload) -> Payload:
    """B06: one result per GetVariableData, in order, live values as they are now."""
    _check_size(station.variables, "GetVariables", payload["getVariableData"], payload)
    return station.variables.get_variables(payload)


async def set_variables(station: ProvisioningStation, payload: Payload) -> Payload:
    """B05: one result per SetVariableData, in order; an accepted value acts at once, one that
    needs a reboot (RebootRequired) from the next start. One UI update and one write of the
    station's state per request that changed something."""
    variables = station.variables
    _check_size(variables, "SetVariables", payload["setVariableData"], payload)
    response = variables.set_variables(payload)
    changed = [r for r in response["setVariableResult"] if r["attributeStatus"] in _CHANGED]
    if changed:
        station.configuration_changed(_key(changed[0]))
    return response


def _key(result: Payload) -> str:
    variable = result["variable"]
    instance = variable.get("instance")
    name = f"{result['component']['name']}.{variable['name']}"
    return f"{name}.{instance}" if instance else name


async def get_base_report(station: ProvisioningStation, payload: Payload) -> Payload:
    """B07: Accepted for each of the three bases with something to report (B07.FR.01/12),
    EmptyResultSet for one with nothing, NotSupported for another base and then no report
    (B07.FR.02/05); the NotifyReports follow the answer (section 3 FR.05)."""
    variables = station.variables
    report_base, request_id = payload["reportBase"], payload["requestId"]
    items = report_items(variables.model, variables.values, report_base, variables.live)
    status = base_report_status(report_base, items)
    if status == "Accepted":
        parts = notify_reports(
            items,
            request_id,
            iso_timestamp(station.clock.now()),
            variables.integer(
                "DeviceDataCtrlr", "ItemsPerMessage", DEFAULT_ITEMS_PER_REPORT, "GetReport"
            ),
            variables.integer(
                "DeviceDataCtrlr", "BytesPerMessage", DEFAULT_BYTES_PER_REPORT, "GetReport"
            ),
        )
        station.spawn(send_report(station, report_base, parts))
    return {"status": status}


async def send_report(
    station: ProvisioningStation, report_base: str, parts: Sequence[Payload]
) -> None:
    """The NotifyReports of one report, in seqNo order (B07.FR.10), each once its predecessor
    is answered. A refused, unanswered or cut-off part ends the report: the CSMS has the parts
    before it, and tbc says it was not the last."""
    for sent, part in enumerate(parts):
        try:
            await station.call("NotifyReport", part)
        except (CallFailed, TimeoutError, ConnectionLost) as exc:
            station.log.warning(
                "{} report {}: stopped after {} of {} NotifyReports ({})",
                report_base,
                part["requestId"],
                sent,
                len(parts),
                type(exc).__name__,
            )
            return
    station.log.debug(
        "{} report {}: {} NotifyReports sent", report_base, parts[0]["requestId"], len(parts)
    )


__all__ = [
    "ProvisioningStation",
    "get_base_report",
    "get_variables",
    "send_report",
    "set_variables",
]
