"""The OCPP 2.0.1 device model (issue 15): the data file and its generator, GetVariables (Part 2
B06), SetVariables (B05), a station's stored values and the template's configurationKey entries.
NotifyReport (B07) is in test_device_model_report.py."""

from __future__ import annotations

import csv
import json
from importlib import resources
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from simulator.station.ocpp201 import device_model_seed
from simulator.station.ocpp201.device_model import (
    DATA_PATH,
    StationValues,
    lay_out,
    load_catalogue,
    var_key,
)
from simulator.station.ocpp201.device_model_template import template_values
from simulator.station.ocpp201.device_model_values import check_value
from simulator.station.ocpp201.device_model_variables import (
    get_variables,
    request_limit_error,
    set_variables,
)
from tests.device_model_support import (
    LAYOUT,
    get,
    item,
    model,
    set_,
    two_attribute_catalogue,
    value_of,
)

# -- the data and its generator ------------------------------------------------------------------


def test_data_file_is_what_the_generator_makes_from_the_spec_csv() -> None:
    csv_text = device_model_seed.CSV_PATH.read_text(encoding="utf-8")

    expected = device_model_seed.render(device_model_seed.generate(csv_text))

    assert DATA_PATH.read_text(encoding="utf-8") == expected


def test_generator_stops_on_a_csv_row_of_a_chosen_component_without_a_choice() -> None:
    csv_text = device_model_seed.CSV_PATH.read_text(encoding="utf-8")
    extra = csv_text + "TxCtrlr;NewVariable;;no;integer;;A variable of a later CSV\n"

    with pytest.raises(ValueError, match=r"TxCtrlr\.NewVariable"):
        device_model_seed.generate(extra)


def test_b07_fr_08_every_required_variable_of_the_chosen_controllers_is_in_the_model() -> None:
    rows = csv.DictReader(
        device_model_seed.CSV_PATH.read_text(encoding="utf-8").splitlines(), delimiter=";"
    )
    chosen = {c.name for c in load_catalogue().components}
    required = {
        ".".join(p for p in (r["Specific Component"], r["Variable"], r["Instance"]) if p)
        for r in rows
        if r["Specific Component"] in chosen and r["Required?"] == "yes"
    }
    present = {f"{c.name}.{v.key}" for c in load_catalogue().components for v in c.variables}

    assert sorted(required - present) == []


def test_every_default_is_a_valid_value_of_its_own_variable() -> None:
    bad = [
        (f"{e.component.name}.{e.variable.key}", a.default)
        for e in model().entries
        for a in e.variable.attributes
        if a.default is not None and check_value(a.default, e.characteristics) is not None
    ]

    assert bad == []


def test_measurand_value_lists_hold_only_measurands_of_the_2_0_1_schema() -> None:
    text = json.dumps(schema_definitions("MeterValuesRequest")["MeasurandEnumType"]["enum"])
    measurands = set(json.loads(text))
    lists = [
        set(e.characteristics.values_list or ())
        for e in model().entries
        if e.variable.name.endswith("Measurands")
    ]

    assert len(lists) == 5  # AlignedDataCtrlr: 2, SampledDataCtrlr: 3
    assert all(values and values <= measurands for values in lists)


def schema_definitions(name: str) -> dict[str, Any]:
    path = resources.files("ocpp.v201").joinpath("schemas", f"{name}.json")
    definitions: dict[str, Any] = json.loads(path.read_text("utf-8"))["definitions"]
    return definitions


def test_data_types_are_those_of_the_schemas_data_enum_type() -> None:
    allowed = set(schema_definitions("NotifyReportRequest")["DataEnumType"]["enum"])

    assert {e.characteristics.data_type for e in model().entries} <= allowed


def test_stations_of_one_layout_share_one_model_loaded_once() -> None:
    assert load_catalogue() is load_catalogue()
    assert lay_out(tuple(LAYOUT)) is lay_out(LAYOUT)


def test_a_station_without_template_keys_or_set_variables_stores_nothing() -> None:
    values = StationValues()
    get(values, item("OCPPCommCtrlr", "HeartbeatInterval"))

    assert values.overrides() == {}


# -- GetVariables (B06) ---------------------------------------------------------------------------


def test_b06_fr_01_one_result_per_get_variable_data_in_its_order() -> None:
    asked = [item("TxCtrlr", "TxStartPoint"), item("Nope", "X"), item("AuthCtrlr", "Enabled")]

    results = get(StationValues(), *asked)

    assert [(r["component"], r["variable"]) for r in results] == [
        (a["component"], a["variable"]) for a in asked
    ]


def test_b06_fr_10_a_known_variable_is_accepted_with_its_value() -> None:
    [result] = get(StationValues(), item("TxCtrlr", "TxStopPoint"))

    assert (result["attributeStatus"], result["attributeValue"]) == (
        "Accepted",
        "EVConnected,Authorized",
    )


def test_b06_fr_11_without_attribute_type_the_result_says_actual() -> None:
    [result] = get(StationValues(), item("TxCtrlr", "TxStopPoint"))

    assert result["attributeType"] == "Actual"


def test_b06_fr_06_an_unknown_component_has_no_attribute_value() -> None:
    [result] = get(StationValues(), item("WarpDriveCtrlr", "Enabled"))

    assert result["attributeStatus"] == "UnknownComponent"
    assert "attributeValue" not in result


def test_b06_fr_07_an_unknown_variable_of_a_known_component() -> None:
    [result] = get(StationValues(), item("TxCtrlr", "WarpFactor"))

    assert result["attributeStatus"] == "UnknownVariable"
    assert "attributeValue" not in result


def test_b06_fr_08_an_attribute_type_the_variable_lacks_is_not_supported() -> None:
    [result] = get(StationValues(), item("TxCtrlr", "TxStopPoint", attribute_type="Target"))

    assert (result["attributeStatus"], result["attributeType"]) == (
        "NotSupportedAttributeType",
        "Target",
    )
    assert "attributeValue" not in result


def test_b06_fr_09_a_write_only_variable_is_rejected() -> None:
    [result] = get(StationValues(), item("SecurityCtrlr", "BasicAuthPassword"))

    assert result["attributeStatus"] == "Rejected"
    assert result["attributeStatusInfo"]["reasonCode"] == "WriteOnly"
    assert "attributeValue" not in result


def test_b06_fr_13_a_supported_attribute_without_a_value_reads_as_empty_string() -> None:
    test_model = lay_out((), two_attribute_catalogue())
    request = {"getVariableData": [item("TestCtrlr", "Limit", attribute_type="Target")]}

    [result] = get_variables(test_model, StationValues(), request)["getVariableResult"]

    assert (result["attributeStatus"], result["attributeValue"]) == ("Accepted", "")


def test_b06_fr_14_an_instance_names_that_instance() -> None:
    [result] = get(StationValues(), item("OCPPCommCtrlr", "MessageAttempts", "TransactionEvent"))

    assert (result["attributeStatus"], result["attributeValue"]) == ("Accepted", "3")


def test_b06_fr_15_no_instance_where_only_instances_exist_is_an_unknown_variable() -> None:
    [without, empty] = get(
        StationValues(),
        item("OCPPCommCtrlr", "MessageAttempts"),
        item("OCPPCommCtrlr", "MessageAttempts", ""),
    )

    assert without["attributeStatus"] == empty["attributeStatus"] == "UnknownVariable"


def test_evse_and_connector_components_exist_per_evse_and_connector_of_the_layout() -> None:
    results = get(
        StationValues(),
        item("EVSE", "Power", evse={"id": 1}),
        item("Connector", "ConnectorType", evse={"id": 2, "connectorId": 2}),
        item("EVSE", "Power", evse={"id": 3}),
        item("Connector", "ConnectorType", evse={"id": 1, "connectorId": 2}),
        item("EVSE", "Power"),
        item("OCPPCommCtrlr", "HeartbeatInterval", evse={"id": 1}),
    )

    assert [r["attributeStatus"] for r in results] == ["Accepted"] * 2 + ["UnknownComponent"] * 4


def test_component_and_variable_names_match_case_insensitively() -> None:
    [result] = get(StationValues(), item("sampleddatactrlr", "TXUPDATEDINTERVAL"))

    assert (result["attributeStatus"], result["attributeValue"]) == ("Accepted", "60")


def test_a_variable_the_station_reports_from_its_state_reads_the_live_value() -> None:
    values = StationValues()

    [result] = get(
        values,
        item("ChargingStation", "AvailabilityState"),
        ChargingStation__AvailabilityState="Unavailable",
    )

    assert result["attributeValue"] == "Unavailable"


def test_the_part_2_text_names_of_two_auth_variables_read_the_csv_named_ones() -> None:
    values = StationValues()
    set_(values, item("AuthCtrlr", "LocalAuthorizeOffline", value="false"))

    assert value_of(values, "AuthCtrlr", "LocalAuthorizationOffline") == "false"
    assert value_of(values, "AuthCtrlr", "LocalPreAuthorization") == "false"


def test_values_are_cut_to_reporting_value_size() -> None:
    values = template_values(
        model(), [{"key": "DeviceDataCtrlr.ReportingValueSize", "value": "5"}]
    ).values

    assert value_of(values, "TxCtrlr", "TxStopPoint") == "EVCon"


# -- SetVariables (B05) ---------------------------------------------------------------------------


def test_b05_fr_10_an_accepted_value_is_stored_and_read_back() -> None:
    values = StationValues()

    [result] = set_(values, item("OCPPCommCtrlr", "HeartbeatInterval", value="120"))

    assert result["attributeStatus"] == "Accepted"
    assert value_of(values, "OCPPCommCtrlr", "HeartbeatInterval") == "120"


def test_b05_fr_01_one_result_per_set_variable_data_in_its_order() -> None:
    asked = [
        item("TxCtrlr", "StopTxOnInvalidId", value="false"),
        item("Nope", "X", value="1"),
        item("AuthCtrlr", "Enabled", value="true"),
    ]

    results = set_(StationValues(), *asked)

    assert [(r["component"], r["variable"]) for r in results] == [
        (a["component"], a["variable"]) for a in asked
    ]


def test_b05_fr_03_and_12_the_attribute_type_is_echoed_or_actual() -> None:
    [given, omitted] = set_(
        StationValues(),
        item("TxCtrlr", "StopTxOnInvalidId", attribute_type="Actual", value="false"),
        item("TxCtrlr", "StopTxOnInvalidId", value="false"),
    )

    assert given["attributeType"] == omitted["attributeType"] == "Actual"


def test_b05_fr_04_and_05_unknown_component_and_unknown_variable() -> None:
    results = set_(
        StationValues(),
        item("WarpDriveCtrlr", "Enabled", value="true"),
        item("TxCtrlr", "Warp", value="1"),
    )

    assert [r["attributeStatus"] for r in results] == ["UnknownComponent", "UnknownVariable"]


def test_b05_fr_06_an_attribute_type_the_variable_lacks_is_not_supported() -> None:
    [result] = set_(
        StationValues(), item("TxCtrlr", "StopTxOnInvalidId", attribute_type="MaxSet", value="true")
    )

    assert result["attributeStatus"] == "NotSupportedAttributeType"


@pytest.mark.parametrize(
    ("component", "variable", "value", "reason"),
    [
        ("OCPPCommCtrlr", "HeartbeatInterval", "often", "InvalidValue"),  # B05.FR.07
        ("OCPPCommCtrlr", "HeartbeatInterval", "1.5", "InvalidValue"),
        ("TxCtrlr", "StopTxOnInvalidId", "yes", "InvalidValue"),
        ("SmartChargingCtrlr", "LimitChangeSignificance", "ten", "InvalidValue"),
        ("TxCtrlr", "TxStartPoint", "EVConnected,Teleported", "InvalidValue"),
        ("TxCtrlr", "TxStartPoint", "EVConnected,EVConnected", "InvalidValue"),
        ("AuthCacheCtrlr", "Policy", "LRU,LFU", "InvalidValue"),
        ("OCPPCommCtrlr", "HeartbeatInterval", "0", "ValueOutOfRange"),  # B05.FR.08
        ("SmartChargingCtrlr", "LimitChangeSignificance", "-1", "ValueOutOfRange"),
        ("AuthCtrlr", "MasterPassGroupId", "x" * 37, "ValueOutOfRange"),
        ("DeviceDataCtrlr", "ReportingValueSize", "100", "ReadOnly"),  # B05.FR.09
        ("ChargingStation", "AvailabilityState", "Unavailable", "ReadOnly"),
    ],
)
def test_b05_fr_07_to_09_a_wrong_value_or_a_read_only_variable_is_rejected(
    component: str, variable: str, value: str, reason: str
) -> None:
    values = StationValues()

    [result] = set_(values, item(component, variable, value=value))

    assert result["attributeStatus"] == "Rejected"
    assert result["attributeStatusInfo"]["reasonCode"] == reason
    assert values.overrides() == {}


def test_b05_a_value_longer_than_configuration_value_size_is_rejected() -> None:
    values = template_values(
        model(), [{"key": "DeviceDataCtrlr.ConfigurationValueSize", "value": "10"}]
    ).values

    [result] = set_(values, item("SecurityCtrlr", "OrganizationName", value="a" * 11))

    assert result["attributeStatus"] == "Rejected"


def test_b10_fr_01_network_configuration_priority_needs_a_reboot() -> None:
    request = {
        "setVariableData": [item("OCPPCommCtrlr", "NetworkConfigurationPriority", value="2,1")]
    }

    outcome = set_variables(model(), StationValues(), request)

    assert outcome.response["setVariableResult"][0]["attributeStatus"] == "RebootRequired"
    assert outcome.reboot_required == {var_key("OCPPCommCtrlr", "NetworkConfigurationPriority")}


def test_a_write_only_password_is_set_but_never_read() -> None:
    values = StationValues()

    [result] = set_(values, item("SecurityCtrlr", "BasicAuthPassword", value="0123456789abcdef"))

    assert result["attributeStatus"] == "Accepted"
    assert (
        get(values, item("SecurityCtrlr", "BasicAuthPassword"))[0]["attributeStatus"] == "Rejected"
    )


def test_no_component_variable_is_twice_in_a_laid_out_model() -> None:
    entries = model().entries

    assert len({(e.component, e.variable.key) for e in entries}) == len(entries)


def test_b06_fr_16_more_items_than_items_per_message_is_an_occurrence_constraint_violation() -> (
    None
):
    values = StationValues()

    assert request_limit_error(model(), values, "GetVariables", 51, 100) == (
        "OccurrenceConstraintViolation"
    )
    assert request_limit_error(model(), values, "GetVariables", 50, 65000) is None


def test_b06_fr_17_more_bytes_than_bytes_per_message_is_a_format_violation() -> None:
    values = template_values(
        model(), [{"key": "DeviceDataCtrlr.BytesPerMessage.SetVariables", "value": "500"}]
    ).values

    assert request_limit_error(model(), values, "SetVariables", 1, 501) == "FormatViolation"
    assert request_limit_error(model(), values, "GetVariables", 1, 501) is None


WRITABLE = [
    e
    for e in model().entries
    if any(a.mutability in ("ReadWrite", "WriteOnly") for a in e.variable.attributes)
]


def candidate_values(entry_index: int) -> st.SearchStrategy[str]:
    limits = WRITABLE[entry_index].characteristics
    listed = st.lists(st.sampled_from(limits.values_list or ("x",)), max_size=4).map(",".join)
    return st.one_of(
        listed,
        st.integers(-10, 100_000).map(str),
        st.sampled_from(["true", "false", "True", "1.5", ""]),
        st.text(max_size=60),
    )


set_requests = st.lists(
    st.integers(0, len(WRITABLE) - 1).flatmap(lambda i: st.tuples(st.just(i), candidate_values(i))),
    min_size=1,
    max_size=8,
)


@given(set_requests)
def test_b05_every_set_variable_data_is_answered_and_an_accepted_value_reads_back(
    asked: list[tuple[int, str]],
) -> None:
    values = StationValues()
    data = [
        {
            "component": WRITABLE[i].component.to_json(),
            "variable": WRITABLE[i].variable_json(),
            "attributeValue": value,
        }
        for i, value in asked
    ]

    results = set_(values, *data)

    assert len(results) == len(data)  # B05.FR.01
    last: dict[int, str] = {}
    for (i, value), result in zip(asked, results, strict=True):
        if result["attributeStatus"] in ("Accepted", "RebootRequired"):
            last[i] = value
    assert len(values.overrides()) == len(last)
    for i, value in last.items():
        entry = WRITABLE[i]
        if entry.variable.attributes[0].mutability != "WriteOnly":
            asked_again = {
                "component": entry.component.to_json(),
                "variable": entry.variable_json(),
            }
            assert get(values, asked_again)[0]["attributeValue"] == value
