"""One OCPP 2.0.1 station's device model as the station uses it (issue 15, ocpp201/variables.py):
the reads where the station acts, change hooks, live values, values pending a reboot (B05
RebootRequired), the KeyStore surface its UI and persistence use, and which part of the station
gives each variable its behaviour."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from simulator.station.intents import change_configuration
from simulator.station.keystore import ChangeStatus, KeyStore
from simulator.station.ocpp201 import device_model_seed
from simulator.station.ocpp201.device_model import load_catalogue
from simulator.station.ocpp201.device_model_parts import MISSING, READ_BY, READERS
from simulator.station.ocpp201.variables import Variables, evse_rows
from tests.device_model_support import item, schema

EVSES = [(1, (1,), 22000.0), (2, (1, 2), 11000.0)]


def station(*template_keys: dict[str, Any], **kw: Any) -> Variables:
    return Variables(EVSES, list(template_keys), **kw)


def set_variables(variables: Variables, *data: dict[str, Any]) -> list[str]:
    request = {"setVariableData": list(data)}
    schema("SetVariablesRequest")(request)
    response = variables.set_variables(request)
    schema("SetVariablesResponse")(response)
    return [r["attributeStatus"] for r in response["setVariableResult"]]


def reported(variables: Variables, *data: dict[str, Any]) -> list[Any]:
    request = {"getVariableData": list(data)}
    schema("GetVariablesRequest")(request)
    response = variables.get_variables(request)
    schema("GetVariablesResponse")(response)
    return [r.get("attributeValue") for r in response["getVariableResult"]]


def restarted(variables: Variables, *template_keys: dict[str, Any]) -> Variables:
    """The station after a restart, its state persisted and restored as station_state.py does
    (persisted_state: configurationKey, changedKeys; restore)."""
    state = orjson.loads(
        orjson.dumps(
            {
                "configurationKey": variables.as_list(),
                "changedKeys": sorted(variables.changed_keys),
            }
        )
    )
    again = station(*template_keys)
    again.restore(state["configurationKey"], state["changedKeys"])
    return again


# -- the station's reads ---------------------------------------------------------------------------


def test_a_variable_reads_its_default_until_something_sets_it() -> None:
    variables = station()

    assert variables.value("TxCtrlr", "TxStartPoint") == "PowerPathClosed"
    assert variables.integer("SampledDataCtrlr", "TxUpdatedInterval", 0) == 60


def test_a_template_key_component_dot_variable_sets_what_the_station_reads() -> None:
    variables = station(
        {"key": "SampledDataCtrlr.TxUpdatedInterval", "value": "15"},
        {"key": "OCPPCommCtrlr.MessageAttempts.TransactionEvent", "value": "5"},
    )

    assert variables.integer("SampledDataCtrlr", "TxUpdatedInterval", 0) == 15
    assert variables.integer("OCPPCommCtrlr", "MessageAttempts", 0, "TransactionEvent") == 5
    assert variables.problems == ()


def test_template_keys_evsim_cannot_use_are_problems_and_skipped() -> None:
    variables = station({"key": "HeartbeatInterval", "value": "60"})

    assert len(variables.problems) == 1
    assert variables.get("HeartbeatInterval") is None


def test_an_unknown_variable_reads_none_and_the_typed_reads_their_fallback() -> None:
    variables = station()

    assert variables.value("TxCtrlr", "WarpFactor") is None
    assert variables.integer("TxCtrlr", "WarpFactor", 7) == 7
    assert variables.boolean("TxCtrlr", "WarpFactor", True) is True


def test_a_value_of_another_type_reads_the_fallback() -> None:
    variables = station()

    assert variables.integer("TxCtrlr", "TxStartPoint", 7) == 7
    assert variables.boolean("OCPPCommCtrlr", "HeartbeatInterval", False) is False
    assert variables.boolean("TxCtrlr", "StopTxOnInvalidId", False) is True


def test_evse_and_connector_variables_are_read_with_their_evse_and_connector() -> None:
    variables = station()

    assert variables.value("Connector", "ConnectorType", evse=2, connector=2) == "cType2"
    assert variables.value("Connector", "ConnectorType", evse=1, connector=2) is None
    assert variables.value("EVSE", "AllowReset", evse=1) == "true"


def test_scope_note_b_the_part_2_names_of_two_auth_variables_read_the_csv_ones() -> None:
    variables = station({"key": "AuthCtrlr.LocalPreAuthorize", "value": "true"})

    assert variables.boolean("AuthCtrlr", "LocalPreAuthorization", False) is True
    assert variables.get("AuthCtrlr.LocalAuthorizationOffline") == "true"


def test_b05_fr_10_a_read_after_set_variables_sees_the_new_value() -> None:
    variables = station()
    variables.integer("SampledDataCtrlr", "TxUpdatedInterval", 0)

    set_variables(variables, item("SampledDataCtrlr", "TxUpdatedInterval", value="10"))

    assert variables.integer("SampledDataCtrlr", "TxUpdatedInterval", 0) == 10


def test_evse_rows_number_connectors_from_1_within_each_evse() -> None:
    assert evse_rows({2: (2, 3), 1: (1,)}, {2: 7400.0}) == [(1, (1,), None), (2, (1, 2), 7400.0)]


# -- live values -----------------------------------------------------------------------------------


def test_a_live_variable_reads_the_station_s_value_at_each_read() -> None:
    variables = station()
    state = {"free": "3"}
    variables.set_live(
        lambda c, v, i, e, k: state["free"] if (c, v) == ("LocalAuthListCtrlr", "Entries") else None
    )

    first = variables.integer("LocalAuthListCtrlr", "Entries", -1)
    state["free"] = "4"

    assert (first, variables.integer("LocalAuthListCtrlr", "Entries", -1)) == (3, 4)


def test_b06_get_variables_reports_the_live_value_of_an_evse() -> None:
    variables = station()
    variables.set_live(lambda c, v, i, e, k: "Occupied" if (c, e) == ("EVSE", 2) else None)

    values = reported(
        variables,
        item("EVSE", "AvailabilityState", evse={"id": 2}),
        item("EVSE", "AvailabilityState", evse={"id": 1}),
    )

    assert values == ["Occupied", "Available"]


def test_a_live_variable_the_station_does_not_supply_reads_its_default() -> None:
    variables = station()

    assert variables.value("ChargingStation", "AvailabilityState") == "Available"


# -- change hooks ----------------------------------------------------------------------------------


def hooked(variables: Variables) -> list[tuple[str, str, str | None, str]]:
    seen: list[tuple[str, str, str | None, str]] = []
    variables.on_change(lambda c, v, i, value: seen.append((c, v, i, value)))
    return seen


def test_b05_an_accepted_value_calls_the_change_hooks_at_once() -> None:
    variables = station()
    seen = hooked(variables)

    set_variables(
        variables,
        item("OCPPCommCtrlr", "HeartbeatInterval", value="120"),
        item("OCPPCommCtrlr", "MessageAttempts", "TransactionEvent", value="9"),
    )

    assert seen == [
        ("OCPPCommCtrlr", "HeartbeatInterval", None, "120"),
        ("OCPPCommCtrlr", "MessageAttempts", "TransactionEvent", "9"),
    ]


def test_a_rejected_or_unchanged_value_calls_no_hook() -> None:
    variables = station()
    seen = hooked(variables)

    statuses = set_variables(
        variables,
        item("OCPPCommCtrlr", "HeartbeatInterval", value="often"),
        item("OCPPCommCtrlr", "HeartbeatInterval", value="300"),
    )

    assert (statuses, seen) == (["Rejected", "Accepted"], [])


def test_a_value_the_station_sets_itself_calls_the_hooks_even_when_read_only() -> None:
    variables = station({"key": "OCPPCommCtrlr.HeartbeatInterval", "readonly": True})
    seen = hooked(variables)

    variables.set_actual("OCPPCommCtrlr", "HeartbeatInterval", "90")

    assert seen == [("OCPPCommCtrlr", "HeartbeatInterval", None, "90")]
    assert variables.integer("OCPPCommCtrlr", "HeartbeatInterval", 0) == 90


# -- RebootRequired --------------------------------------------------------------------------------

PRIORITY = item("OCPPCommCtrlr", "NetworkConfigurationPriority", value="2,1")


def test_b05_a_reboot_required_value_waits_for_the_next_start() -> None:
    variables = station()
    seen = hooked(variables)

    statuses = set_variables(variables, PRIORITY)

    assert statuses == ["RebootRequired"]
    assert variables.value("OCPPCommCtrlr", "NetworkConfigurationPriority") == "1"
    assert reported(variables, item("OCPPCommCtrlr", "NetworkConfigurationPriority")) == ["1"]
    assert variables.pending == {"OCPPCommCtrlr.NetworkConfigurationPriority": "2,1"}
    assert seen == []


def test_b05_a_pending_value_takes_effect_when_the_station_starts_again() -> None:
    variables = station()
    seen = hooked(variables)
    set_variables(variables, PRIORITY)

    variables.apply_pending()

    assert variables.value("OCPPCommCtrlr", "NetworkConfigurationPriority") == "2,1"
    assert variables.pending == {}
    assert seen == [("OCPPCommCtrlr", "NetworkConfigurationPriority", None, "2,1")]


def test_b05_a_pending_value_is_persisted_and_in_effect_after_a_restart() -> None:
    variables = station()
    set_variables(variables, PRIORITY)

    again = restarted(variables)

    assert again.value("OCPPCommCtrlr", "NetworkConfigurationPriority") == "2,1"


# -- the KeyStore surface: UI procedures, persistence ----------------------------------------------


def test_the_station_s_configuration_is_a_key_store_so_every_version_s_code_takes_it() -> None:
    assert isinstance(station(), KeyStore)


def test_as_list_names_station_wide_stored_variables_component_dot_variable() -> None:
    keys = {entry["key"]: entry for entry in station().as_list()}

    assert keys["OCPPCommCtrlr.MessageAttempts.TransactionEvent"] == {
        "key": "OCPPCommCtrlr.MessageAttempts.TransactionEvent",
        "readonly": False,
        "value": "3",
        "visible": True,
        "reboot": False,
    }
    assert keys["DeviceDataCtrlr.ReportingValueSize"]["readonly"] is True
    assert keys["OCPPCommCtrlr.NetworkConfigurationPriority"]["reboot"] is True
    assert keys["SecurityCtrlr.BasicAuthPassword"]["visible"] is False
    # Live values are asked when reported, EVSE and connector variables are no keys.
    assert "ClockCtrlr.DateTime" not in keys
    assert not any(key.startswith(("EVSE.", "Connector.")) for key in keys)


def test_get_reads_a_key_without_regard_to_case_live_ones_included() -> None:
    variables = station()
    variables.set_live(
        lambda c, v, i, e, k: "2026-01-01T00:00:00.000Z" if c == "ClockCtrlr" else None
    )

    assert variables.get("ocppcommctrlr.heartbeatinterval") == "300"
    assert variables.get_int("SAMPLEDDATACTRLR.TxUpdatedInterval", 0) == 60
    assert variables.get("ClockCtrlr.DateTime") == "2026-01-01T00:00:00.000Z"


def test_change_answers_as_a_set_variables_of_the_actual_value_would() -> None:
    variables = station({"key": "TxCtrlr.EVConnectionTimeOut", "readonly": True})

    assert [
        variables.change("OCPPCommCtrlr.HeartbeatInterval", "60"),
        variables.change("OCPPCommCtrlr.HeartbeatInterval", "0"),  # below minLimit
        variables.change("TxCtrlr.EVConnectionTimeOut", "30"),  # the template made it readonly
        variables.change("DeviceDataCtrlr.ReportingValueSize", "10"),  # ReadOnly
        variables.change("OCPPCommCtrlr.NetworkConfigurationPriority", "2"),
        variables.change("WarpCtrlr.Factor", "9"),
    ] == [
        ChangeStatus.ACCEPTED,
        ChangeStatus.REJECTED,
        ChangeStatus.REJECTED,
        ChangeStatus.REJECTED,
        ChangeStatus.REBOOT_REQUIRED,
        ChangeStatus.NOT_SUPPORTED,
    ]
    assert variables.integer("OCPPCommCtrlr", "HeartbeatInterval", 0) == 60


async def test_the_ui_change_configuration_procedure_sets_a_variable() -> None:
    class Station:
        def __init__(self) -> None:
            self.configuration = station()
            self.changed: list[str] = []

        def configuration_changed(self, key: str) -> None:
            self.changed.append(key)

    ui_station = Station()

    await change_configuration(
        ui_station,  # type: ignore[arg-type]  # only what the procedure uses
        {"key": "TxCtrlr.TxStopPoint", "value": "EVConnected"},
    )

    assert ui_station.configuration.value("TxCtrlr", "TxStopPoint") == "EVConnected"
    assert ui_station.changed == ["TxCtrlr.TxStopPoint"]


def test_visible_lists_keys_as_get_configuration_does_without_write_only_ones() -> None:
    known, unknown = station().visible(["SecurityCtrlr.BasicAuthPassword", "TxCtrlr.TxStartPoint"])

    assert known == [{"key": "TxCtrlr.TxStartPoint", "readonly": False, "value": "PowerPathClosed"}]
    assert unknown == ["SecurityCtrlr.BasicAuthPassword"]


def test_every_change_moves_the_version_the_persisted_document_is_re_encoded_at() -> None:
    variables = station()
    versions = [variables.version]

    set_variables(variables, item("OCPPCommCtrlr", "HeartbeatInterval", value="60"))
    versions.append(variables.version)
    variables.set_actual("OCPPCommCtrlr", "OfflineThreshold", "30")
    versions.append(variables.version)
    variables.change("TxCtrlr.StopTxOnInvalidId", "false")
    versions.append(variables.version)

    assert versions == sorted(set(versions))


def test_values_changed_at_run_time_are_restored_after_a_restart_over_the_template() -> None:
    template = {"key": "SampledDataCtrlr.TxUpdatedInterval", "value": "30"}
    variables = station(template)
    set_variables(variables, item("SampledDataCtrlr", "TxUpdatedInterval", value="15"))

    again = restarted(variables, template)

    assert again.integer("SampledDataCtrlr", "TxUpdatedInterval", 0) == 15
    assert sorted(again.changed_keys) == ["sampleddatactrlr.txupdatedinterval"]


def test_a_template_value_not_changed_at_run_time_follows_an_edited_template() -> None:
    variables = station({"key": "SampledDataCtrlr.TxUpdatedInterval", "value": "30"})

    again = restarted(variables, {"key": "SampledDataCtrlr.TxUpdatedInterval", "value": "45"})

    assert again.integer("SampledDataCtrlr", "TxUpdatedInterval", 0) == 45


def test_a_persisted_value_of_a_variable_the_template_now_makes_readonly_is_not_restored() -> None:
    variables = station()
    set_variables(variables, item("TxCtrlr", "EVConnectionTimeOut", value="30"))

    again = restarted(variables, {"key": "TxCtrlr.EVConnectionTimeOut", "readonly": True})

    assert again.integer("TxCtrlr", "EVConnectionTimeOut", 0) == 60


def test_a_persisted_value_the_variable_no_longer_accepts_is_not_restored() -> None:
    again = station()

    again.restore(
        [{"key": "OCPPCommCtrlr.HeartbeatInterval", "value": "never"}],
        ["ocppcommctrlr.heartbeatinterval"],
    )

    assert again.integer("OCPPCommCtrlr", "HeartbeatInterval", 0) == 300


def test_the_supervision_url_key_is_kept_as_a_key_a_change_must_keep_a_ws_url() -> None:
    variables = station(supervision_url=("VendorCsmsUrl", "ws://127.0.0.1:9000"))
    [entry] = [e for e in variables.as_list() if e["key"] == "VendorCsmsUrl"]

    assert (entry["value"], entry["reboot"]) == ("ws://127.0.0.1:9000", True)
    assert variables.change("VendorCsmsUrl", "http://x") == ChangeStatus.REJECTED
    assert variables.change("VendorCsmsUrl", "ws://127.0.0.1:9001") == ChangeStatus.REBOOT_REQUIRED
    assert restarted_with_url(variables).get("VendorCsmsUrl") == "ws://127.0.0.1:9001"


def restarted_with_url(variables: Variables) -> Variables:
    again = station(supervision_url=("VendorCsmsUrl", "ws://127.0.0.1:9000"))
    again.restore(variables.as_list(), sorted(variables.changed_keys))
    return again


# -- which part of the station gives each variable its behaviour (issue 15) ------------------------

ENTRIES = [(c, v) for c in load_catalogue().components for v in c.variables]


def name(component: str, key: str) -> str:
    return f"{component}.{key}"


def test_every_variable_is_given_behaviour_by_one_part_or_listed_as_missing() -> None:
    unclaimed = [name(c.name, v.key) for c, v in ENTRIES if bool(v.read_by) == bool(v.missing)]

    assert unclaimed == []
    assert {v.read_by for _, v in ENTRIES if v.read_by} <= READERS.keys()


def test_no_variable_without_behaviour_is_writable() -> None:
    writable = [
        name(c.name, v.key)
        for c, v in ENTRIES
        if v.missing and any(a.mutability != "ReadOnly" for a in v.attributes)
    ]

    assert writable == []


def test_the_variables_no_part_of_evsim_gives_behaviour_to_yet() -> None:
    """The README's list of missing variables; a change here is a change of what evsim does."""
    missing = {name(c.name, v.key): v.missing for c, v in ENTRIES if v.missing}

    assert sorted(missing) == [
        "OCPPCommCtrlr.FileTransferProtocols",
        "ReservationCtrlr.Available",
        "ReservationCtrlr.Enabled",
        "ReservationCtrlr.NonEvseSpecific",
        "SecurityCtrlr.OrganizationName",
        "SmartChargingCtrlr.Available",
        "SmartChargingCtrlr.Enabled",
        "SmartChargingCtrlr.Entries.ChargingProfiles",
        "SmartChargingCtrlr.LimitChangeSignificance",
        "SmartChargingCtrlr.PeriodsPerSchedule",
        "SmartChargingCtrlr.ProfileStackLevel",
        "SmartChargingCtrlr.RateUnit",
    ]
    assert all(missing.values())


def test_a_deferred_controller_says_it_is_not_available() -> None:
    variables = station()

    assert variables.boolean("ReservationCtrlr", "Available", True) is False
    assert variables.boolean("SmartChargingCtrlr", "Available", True) is False


def test_the_data_file_names_each_variable_s_part_as_device_model_parts_does() -> None:
    from_data = {name(c.name, v.key): v.read_by for c, v in ENTRIES if v.read_by}

    assert from_data == {key: part for part, keys in READ_BY.items() for key in keys}


def test_the_provisioning_handlers_read_the_device_data_controller_and_nothing_else() -> None:
    """Each has its behaviour test in test_ocpp201_provisioning.py."""
    assert sorted(READ_BY["provisioning"]) == [
        "DeviceDataCtrlr.BytesPerMessage.GetReport",
        "DeviceDataCtrlr.BytesPerMessage.GetVariables",
        "DeviceDataCtrlr.BytesPerMessage.SetVariables",
        "DeviceDataCtrlr.ConfigurationValueSize",
        "DeviceDataCtrlr.ItemsPerMessage.GetReport",
        "DeviceDataCtrlr.ItemsPerMessage.GetVariables",
        "DeviceDataCtrlr.ItemsPerMessage.SetVariables",
        "DeviceDataCtrlr.ReportingValueSize",
    ]


def test_every_writable_variable_is_station_wide_so_the_persisted_keys_hold_every_value_set() -> (
    None
):
    scoped = [
        name(c.name, v.key)
        for c, v in ENTRIES
        if c.scope != "station" and any(a.mutability != "ReadOnly" for a in v.attributes)
    ]

    assert scoped == []


def test_a_variable_the_station_supplies_is_given_by_a_part_that_knows_the_station_s_state() -> (
    None
):
    parts = {v.read_by or "missing" for _, v in ENTRIES if v.source == "station"}

    assert parts <= {"state", "availability", "authorization", "connection", "fixed", "missing"}


def without(part: str, key: str) -> dict[str, tuple[str, ...]]:
    return {**READ_BY, part: tuple(k for k in READ_BY[part] if k != key)}


def test_the_generator_stops_on_a_variable_no_part_gives_behaviour_to(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(
        device_model_seed, "READ_BY", without("transactions", "TxCtrlr.TxStartPoint")
    )

    with pytest.raises(ValueError, match=r"in none: \['TxCtrlr\.TxStartPoint'\]"):
        device_model_seed.generate(device_model_seed.CSV_PATH.read_text(encoding="utf-8"))


def test_the_generator_stops_on_a_missing_variable_that_is_writable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(
        device_model_seed, "READ_BY", without("transactions", "TxCtrlr.TxStartPoint")
    )
    monkeypatch.setattr(
        device_model_seed, "MISSING", {**MISSING, "TxCtrlr.TxStartPoint": "not yet"}
    )

    with pytest.raises(ValueError, match=r"missing but writable: \['TxCtrlr\.TxStartPoint'\]"):
        device_model_seed.generate(device_model_seed.CSV_PATH.read_text(encoding="utf-8"))
