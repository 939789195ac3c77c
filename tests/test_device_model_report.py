"""GetBaseReport's NotifyReport payloads (OCPP 2.0.1 Part 2 B07): what each report base holds and
how it is cut by DeviceDataCtrlr.ItemsPerMessage/BytesPerMessage[GetReport]."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from simulator.station.ocpp201.device_model import StationValues, lay_out, var_key
from simulator.station.ocpp201.device_model_report import (
    FRAME_BYTES,
    REPORT_BASES,
    base_report,
    base_report_status,
    notify_reports,
    report_items,
)
from simulator.station.ocpp201.device_model_template import template_values
from tests.device_model_support import NOW, model, schema, two_attribute_catalogue


def names(items: list[dict[str, Any]]) -> list[tuple[str, int | None, str]]:
    return [
        (i["component"]["name"], i["component"].get("evse", {}).get("id"), i["variable"]["name"])
        for i in items
    ]


def frame_size(payload: dict[str, Any]) -> int:
    return len(orjson.dumps([2, "x" * 36, "NotifyReport", payload]))


@pytest.mark.parametrize("base", REPORT_BASES)
def test_b07_fr_03_every_notify_report_of_every_base_is_schema_valid(base: str) -> None:
    payloads = base_report(model(), StationValues(), base, 42, NOW)

    assert payloads
    for payload in payloads:
        schema("NotifyReportRequest")(payload)


def test_b07_fr_08_full_inventory_reports_every_component_variable_with_characteristics() -> None:
    items = report_items(model(), StationValues(), "FullInventory")

    assert len(items) == len(model().entries)
    assert all("variableCharacteristics" in i for i in items)
    assert ("EVSE", 2, "Power") in names(items)
    assert ("Connector", 2, "ConnectorType") in names(items)


def test_b07_fr_07_configuration_inventory_reports_what_the_operator_can_set() -> None:
    items = report_items(model(), StationValues(), "ConfigurationInventory")
    mutabilities = {a["mutability"] for i in items for a in i["variableAttribute"]}

    assert ("OCPPCommCtrlr", None, "HeartbeatInterval") in names(items)
    assert ("DeviceDataCtrlr", None, "ReportingValueSize") not in names(items)
    assert mutabilities <= {"ReadWrite", "WriteOnly"}
    assert all("variableCharacteristics" in i for i in items)


def test_a_variable_the_template_made_read_only_leaves_the_configuration_inventory() -> None:
    values = template_values(
        model(), [{"key": "OCPPCommCtrlr.HeartbeatInterval", "readonly": True}]
    ).values

    items = report_items(model(), values, "ConfigurationInventory")

    assert ("OCPPCommCtrlr", None, "HeartbeatInterval") not in names(items)


def test_b07_fr_09_summary_inventory_reports_availability_and_a_connector_only_if_it_differs() -> (
    None
):
    live = {
        var_key("EVSE", "AvailabilityState", evse_id=2): "Occupied",
        var_key("Connector", "AvailabilityState", evse_id=2, connector_id=1): "Occupied",
        var_key("Connector", "AvailabilityState", evse_id=2, connector_id=2): "Unavailable",
    }

    items = report_items(model(), StationValues(), "SummaryInventory", live)

    assert [(i["component"], i["variableAttribute"][0]["value"]) for i in items] == [
        ({"name": "ChargingStation"}, "Available"),
        ({"name": "Connector", "evse": {"id": 2, "connectorId": 2}}, "Unavailable"),
        ({"name": "EVSE", "evse": {"id": 1}}, "Available"),
        ({"name": "EVSE", "evse": {"id": 2}}, "Occupied"),
    ]


def test_b07_fr_11_an_attribute_type_without_a_value_is_reported_without_one() -> None:
    test_model = lay_out((), two_attribute_catalogue())

    [reported] = report_items(test_model, StationValues(), "FullInventory")

    assert reported["variableAttribute"][1] == {
        "type": "Target",
        "mutability": "ReadWrite",
        "persistent": True,
        "constant": False,
    }


def test_a_write_only_value_is_never_reported() -> None:
    values = StationValues()
    values.apply({(*var_key("SecurityCtrlr", "BasicAuthPassword"), "Actual"): "secretsecret1234"})

    items = report_items(model(), values, "FullInventory")
    [password] = [i for i in items if i["variable"]["name"] == "BasicAuthPassword"]

    assert "value" not in password["variableAttribute"][0]


def test_b07_fr_04_and_10_parts_share_the_request_id_and_count_seq_no_from_zero() -> None:
    values = template_values(
        model(), [{"key": "DeviceDataCtrlr.ItemsPerMessage.GetReport", "value": "7"}]
    ).values

    payloads = base_report(model(), values, "FullInventory", 9, NOW)

    assert len(payloads) == -(-len(model().entries) // 7)
    assert [p["seqNo"] for p in payloads] == list(range(len(payloads)))
    assert {p["requestId"] for p in payloads} == {9}
    assert [p.get("tbc", False) for p in payloads] == [True] * (len(payloads) - 1) + [False]
    assert all(len(p["reportData"]) <= 7 for p in payloads)


def test_bytes_per_message_get_report_bounds_each_notify_report_frame() -> None:
    values = template_values(
        model(), [{"key": "DeviceDataCtrlr.BytesPerMessage.GetReport", "value": "2000"}]
    ).values

    payloads = base_report(model(), values, "FullInventory", 1, NOW)

    assert len(payloads) > 1
    assert max(frame_size(p) for p in payloads) <= 2000


def test_b07_fr_02_and_05_an_unknown_base_is_not_supported_and_sends_nothing() -> None:
    assert base_report_status("EverythingInventory", []) == "NotSupported"
    assert base_report(model(), StationValues(), "EverythingInventory", 1, NOW) == []


def test_b07_fr_01_a_supported_base_with_items_is_accepted() -> None:
    items = report_items(model(), StationValues(), "SummaryInventory")

    assert base_report_status("SummaryInventory", items) == "Accepted"
    assert base_report_status("SummaryInventory", []) == "EmptyResultSet"


report_data = st.builds(
    lambda name, value: {
        "component": {"name": name},
        "variable": {"name": "V"},
        "variableAttribute": [{"type": "Actual", "value": value}],
    },
    st.text("abcXYZ", min_size=1, max_size=50),
    st.text(max_size=300),
)


@given(
    items=st.lists(report_data, min_size=1, max_size=60),
    per_message=st.integers(1, 20),
    bytes_per_message=st.integers(200, 4000),
    request_id=st.integers(0, 2**31 - 1),
)
def test_chunks_keep_every_item_once_in_order_within_both_limits(
    items: list[dict[str, Any]], per_message: int, bytes_per_message: int, request_id: int
) -> None:
    payloads = notify_reports(items, request_id, NOW, per_message, bytes_per_message)

    assert [i for p in payloads for i in p.get("reportData", [])] == items
    assert [p["seqNo"] for p in payloads] == list(range(len(payloads)))
    for payload in payloads:
        part = payload.get("reportData", [])
        assert len(part) <= per_message
        # Over the byte limit only when one item alone does not fit.
        assert frame_size(payload) <= bytes_per_message or len(part) == 1
        schema("NotifyReportRequest")(payload)


def test_frame_bytes_is_the_call_frame_around_a_payload() -> None:
    payload = {"requestId": 1}

    assert frame_size(payload) == FRAME_BYTES + len(orjson.dumps(payload))
