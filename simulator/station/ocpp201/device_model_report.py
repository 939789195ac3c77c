"""GetBaseReport (B07) as pure functions: the ReportData of a report base, and the NotifyReport
payloads that carry it, cut by DeviceDataCtrlr.ItemsPerMessage/BytesPerMessage[GetReport]."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

import orjson

from simulator.station.ocpp201.device_model import (
    DeviceModel,
    Entry,
    StationValues,
    VarKey,
    var_key,
)
from simulator.station.ocpp201.device_model_variables import current_value, reporting_size

REPORT_BASES = ("ConfigurationInventory", "FullInventory", "SummaryInventory")
ITEMS_PER_MESSAGE = var_key("DeviceDataCtrlr", "ItemsPerMessage", "GetReport")
BYTES_PER_MESSAGE = var_key("DeviceDataCtrlr", "BytesPerMessage", "GetReport")
# The CALL frame around a payload: [2,"<message id, at most 36 characters>","NotifyReport",{...}]
FRAME_BYTES = len(orjson.dumps([2, "x" * 36, "NotifyReport", {}])) - 2


def base_report_status(report_base: str, items: Sequence[object]) -> str:
    """GetBaseReportResponse.status: every base is supported (B07.FR.01/12); one with nothing
    to report is an EmptyResultSet."""
    if report_base not in REPORT_BASES:
        return "NotSupported"  # B07.FR.02
    return "Accepted" if items else "EmptyResultSet"


def _writable(entry: Entry, values: StationValues) -> bool:
    return any(
        values.mutability(entry, a) in ("ReadWrite", "WriteOnly") for a in entry.variable.attributes
    )


def _report_data(
    entry: Entry,
    values: StationValues,
    live: Mapping[VarKey, str],
    size: int,
    characteristics: bool,
) -> dict[str, Any]:
    attributes: list[dict[str, Any]] = []
    # B07.FR.11: every attribute type the variable has, even one without a value.
    for attribute in entry.variable.attributes:
        mutability = values.mutability(entry, attribute)
        item: dict[str, Any] = {"type": attribute.type}
        value = current_value(entry, attribute.type, values, live)
        if value is not None and mutability != "WriteOnly":
            item["value"] = value[:size]
        item.update(
            mutability=mutability, persistent=attribute.persistent, constant=attribute.constant
        )
        attributes.append(item)
    data: dict[str, Any] = {
        "component": entry.component.to_json(),
        "variable": entry.variable_json(),
        "variableAttribute": attributes,
    }
    if characteristics:
        data["variableCharacteristics"] = entry.characteristics.to_json()
    return data


def _summary_entries(
    model: DeviceModel, values: StationValues, live: Mapping[VarKey, str]
) -> Iterator[Entry]:
    """B07.FR.09: the AvailabilityState of the station and of each EVSE, and of a connector
    where it differs from its EVSE's (no other component has an AvailabilityState)."""
    states = [
        (entry, current_value(entry, "Actual", values, live))
        for entry in model.entries
        if entry.variable.name == "AvailabilityState"
    ]
    evse_state = {e.component.evse_id: state for e, state in states if e.component.name == "EVSE"}
    for entry, state in states:
        if entry.component.name == "Connector" and evse_state.get(entry.component.evse_id) == state:
            continue
        yield entry


def report_items(
    model: DeviceModel,
    values: StationValues,
    report_base: str,
    live: Mapping[VarKey, str] | None = None,
) -> list[dict[str, Any]]:
    """The ReportData of `report_base`, in the model's order: FullInventory all (B07.FR.08),
    ConfigurationInventory what the operator can set (B07.FR.07), both with their
    characteristics; SummaryInventory the availability (B07.FR.09)."""
    live = live or {}
    size = reporting_size(model, values)
    if report_base == "SummaryInventory":
        return [
            _report_data(e, values, live, size, False)
            for e in _summary_entries(model, values, live)
        ]
    if report_base == "ConfigurationInventory":
        chosen: Iterable[Entry] = (e for e in model.entries if _writable(e, values))
    elif report_base == "FullInventory":
        chosen = model.entries
    else:
        return []
    return [_report_data(e, values, live, size, True) for e in chosen]


def _size(item: Any) -> int:
    return len(orjson.dumps(item))


def notify_reports(
    items: Sequence[Mapping[str, Any]],
    request_id: int,
    generated_at: str,
    items_per_message: int,
    bytes_per_message: int,
) -> list[dict[str, Any]]:
    """The NotifyReportRequest payloads that carry `items` in order, each with at most
    `items_per_message` items and at most `bytes_per_message` bytes as a CALL frame (with a
    36-character message id), unless one item alone is larger. seqNo counts from 0 (B07.FR.10),
    tbc is true on all but the last, every one has the request's requestId (B07.FR.04)."""
    per_message = max(1, items_per_message)
    chunks: list[list[Mapping[str, Any]]] = []
    chunk: list[Mapping[str, Any]] = []
    # Frame and payload fields other than the items, at their longest (seqNo of the last part).
    fixed = FRAME_BYTES + _size(
        {
            "requestId": request_id,
            "generatedAt": generated_at,
            "tbc": False,
            "seqNo": len(items),
            "reportData": [],
        }
    )
    used = fixed
    for item in items:
        size = _size(item) + (1 if chunk else 0)  # the comma before it
        if chunk and (len(chunk) == per_message or used + size > bytes_per_message):
            chunks.append(chunk)
            chunk, used, size = [], fixed, size - 1
        chunk.append(item)
        used += size
    if chunk:
        chunks.append(chunk)
    payloads: list[dict[str, Any]] = []
    for seq_no, part in enumerate(chunks):
        payload: dict[str, Any] = {
            "requestId": request_id,
            "generatedAt": generated_at,
            "seqNo": seq_no,
            "reportData": list(part),
        }
        if seq_no < len(chunks) - 1:
            payload["tbc"] = True  # tbc false is the default: omitted on the last part
        payloads.append(payload)
    return payloads or [{"requestId": request_id, "generatedAt": generated_at, "seqNo": 0}]


def base_report(
    model: DeviceModel,
    values: StationValues,
    report_base: str,
    request_id: int,
    generated_at: str,
    *,
    live: Mapping[VarKey, str] | None = None,
) -> list[dict[str, Any]]:
    """The NotifyReport payloads of a GetBaseReportRequest, sized by the station's
    DeviceDataCtrlr.ItemsPerMessage/BytesPerMessage[GetReport]; none when the base is not
    supported or empty (B07.FR.05)."""
    items = report_items(model, values, report_base, live)
    if base_report_status(report_base, items) != "Accepted":
        return []
    return notify_reports(
        items,
        request_id,
        generated_at,
        values.integer(model, ITEMS_PER_MESSAGE, 100),
        values.integer(model, BYTES_PER_MESSAGE, 65000),
    )
