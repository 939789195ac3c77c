"""Station templates, station identity and the plan of stations."""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from loguru import logger

from simulator.config import Settings
from simulator.config_error import ConfigError
from simulator.config_loading import load_settings
from simulator.identity import (
    make_hash_id,
    make_serial_number,
    make_station_id,
    make_station_seed,
    serial_number_suffix,
)
from simulator.newer_keys import VersionUpgrade
from simulator.plan import (
    StationSpec,
    choose_supervision_url,
    plan_stations,
    resolve_connectors,
    station_ws_url,
)
from simulator.template_model import ConnectorTemplate, StationTemplate, load_template

REPO = Path(__file__).resolve().parent.parent


def write_json(path: Path, data: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2))
    return path


def template(**keys: Any) -> StationTemplate:
    return StationTemplate.model_validate(keys)


@pytest.fixture
def warnings() -> Iterator[list[str]]:
    messages: list[str] = []
    sink = logger.add(lambda message: messages.append(message.record["message"]), level="WARNING")
    yield messages
    logger.remove(sink)


def make_settings(
    tmp_path: Path, templates: dict[str, tuple[dict[str, Any], int]], **config: Any
) -> Settings:
    """A config.json in tmp_path/config with templates in tmp_path/templates."""
    entries = []
    for name, (data, count) in templates.items():
        write_json(tmp_path / "templates" / name, data)
        entries.append({"file": name, "numberOfStations": count})
    config.setdefault("supervisionUrls", "ws://127.0.0.1:8180")
    config["stationTemplateUrls"] = entries
    path = write_json(tmp_path / "config" / "config.json", config)
    return load_settings(path, environ={})


# --- the template model --------------------------------------------------------------------------


def test_template_defaults_are_the_typescript_simulators() -> None:
    t = template()
    assert t.supervision_urls == []
    assert (t.supervision_user, t.supervision_password) == ("", "")
    assert t.supervision_url_ocpp_configuration is False
    assert t.supervision_url_ocpp_key == "ConnectionUrl"
    assert (t.ocpp_version, t.ocpp_protocol) == ("1.6", "json")
    assert t.ocpp_strict_compliance is False
    assert t.ocpp_persistent_configuration is True
    assert t.station_info_persistent_configuration is True
    assert t.ws_options == {}
    assert t.authorization_file == ""
    assert (t.base_name, t.name_suffix, t.fixed_name) == ("", "", False)
    assert (t.charge_point_model, t.charge_point_vendor) == ("", "")
    assert t.charge_point_serial_number_prefix == ""
    assert t.charge_box_serial_number_prefix == ""
    assert t.firmware_version == ""
    assert t.power is None
    assert t.power_shared_by_connectors is False
    assert t.power_unit == "W"
    assert t.current_out_type == "AC"
    assert t.voltage_out == 230
    assert t.number_of_phases == 3
    assert t.number_of_connectors is None
    assert t.use_connector_id0 is True
    assert t.random_connectors is False
    assert t.reset_time == 60
    assert t.auto_register is False
    assert t.auto_reconnect_max_retries == -1
    assert t.reconnect_exponential_delay is False
    assert t.registration_max_retries == -1
    assert t.amperage_limitation_ocpp_key is None
    assert t.amperage_limitation_unit == "A"
    assert t.enable_statistics is True
    assert t.must_authorize_at_remote_start is True
    assert t.payload_schema_validation is True
    assert t.begin_end_meter_values is False
    assert t.out_of_order_end_meter_values is False
    assert t.metering_per_transaction is True
    assert t.transaction_data_meter_values is False
    assert t.main_voltage_meter_values is True
    assert t.phase_line_to_line_voltage_meter_values is True
    assert t.custom_value_limitation_meter_values is True
    assert t.commands_support.incoming_commands == {}
    assert t.commands_support.outgoing_commands == {}
    assert t.configuration.configuration_key == []
    atg = t.automatic_transaction_generator
    assert atg.enable is False
    assert (atg.min_duration, atg.max_duration) == (60, 120)
    assert (atg.min_delay_between_two_transactions, atg.max_delay_between_two_transactions) == (
        15,
        30,
    )
    assert atg.probability_of_start == 1
    assert atg.stop_after_hours == 0.25
    assert atg.stop_on_connection_failure is True
    assert atg.require_authorize is True
    assert atg.id_tag_distribution == "random"
    assert t.connectors == {}


@pytest.mark.key("currentOutType", "voltageOut")
def test_dc_stations_default_to_400_volts_and_no_phases() -> None:
    dc = template(currentOutType="DC")
    assert (dc.voltage_out, dc.number_of_phases) == (400, 0)
    assert (template(currentOutType="DC", voltageOut=800).voltage_out) == 800
    assert template(currentOutType="AC", numberOfPhases=1).number_of_phases == 1


def test_sections_map_to_snake_case_attributes() -> None:
    t = template(
        supervisionUrls="ws://csms/ocpp",
        supervisionUrlOcppKey="CentralSystemUrl",
        Configuration={
            "configurationKey": [
                {"key": "HeartbeatInterval", "value": 60},
                {"key": "AuthorizeRemoteTxRequests", "value": True, "readonly": True},
            ]
        },
        AutomaticTransactionGenerator={"enable": True, "idTagDistribution": "round-robin"},
        Connectors={
            "0": {},
            "1": {
                "bootStatus": "Unavailable",
                "MeterValues": [
                    {
                        "unit": "W",
                        "measurand": "Power.Active.Import",
                        "phase": "L1-N",
                        "value": "5000",
                        "fluctuationPercent": "10",
                    },
                    {"unit": "Wh"},
                ],
            },
        },
        commandsSupport={"incomingCommands": {"Reset": False}},
    )
    assert t.supervision_urls == ["ws://csms/ocpp"]
    assert t.supervision_url_ocpp_key == "CentralSystemUrl"
    keys = t.configuration.configuration_key
    assert [(k.key, k.value, k.readonly, k.visible, k.reboot) for k in keys] == [
        ("HeartbeatInterval", "60", False, True, False),
        ("AuthorizeRemoteTxRequests", "true", True, True, False),
    ]
    assert t.automatic_transaction_generator.enable is True
    assert t.automatic_transaction_generator.id_tag_distribution == "round-robin"
    assert set(t.connectors) == {0, 1}
    connector = t.connectors[1]
    assert connector.boot_status == "Unavailable"
    power = connector.meter_values[0]
    assert (power.unit, power.measurand, power.phase) == ("W", "Power.Active.Import", "L1-N")
    assert (power.value, power.fluctuation_percent) == (5000.0, 10.0)
    assert t.commands_support.incoming_commands == {"Reset": False}


def test_the_default_templates_load() -> None:
    ac = load_template(REPO / "templates" / "ac-22kw.json")
    dc = load_template(REPO / "templates" / "dc-50kw.json")
    assert (ac.current_out_type, ac.number_of_connectors, ac.power) == ("AC", 2, 22080)
    assert (dc.current_out_type, dc.number_of_connectors, dc.power) == ("DC", 1, 50000)
    assert ac.automatic_transaction_generator.enable is True
    assert dc.automatic_transaction_generator.enable is True


# A template as the TS simulator's users write them, with keys of several TS versions.
TS_STYLE_TEMPLATE: dict[str, Any] = {
    "$schemaVersion": 3,
    "templateHash": "5f1c0e",
    "supervisionUrl": "ws://legacy-csms:8010/OCPP16",
    "idTagsFile": "idtags.json",
    "baseName": "CS-VOLTA",
    "nameSuffix": "-X",
    "chargePointModel": "Volta 7",
    "chargePointVendor": "Volta Works",
    "chargeBoxSerialNumberPrefix": "VW-",
    "chargePointSerialNumberPrefix": "VW-CP-",
    "meterSerialNumberPrefix": "VW-M-",
    "meterType": "Volta meter",
    "firmwareVersion": "1.0.3",
    "ocppVersion": "1.6",
    "power": [7360, 11040, 22080],
    "powerUnit": "W",
    "numberOfConnectors": [1, 2],
    "useConnectorId0": True,
    "randomConnectors": True,
    "reconnectExponentialDelay": True,
    "registrationMaxRetries": 5,
    "amperageLimitationOcppKey": "MaxCurrent",
    "amperageLimitationUnit": "mA",
    "firmwareUpgrade": {"versionUpgrade": {"step": 1}, "reset": True},
    "commandsSupport": {"incomingCommands": {"Reset": True}, "outgoingCommands": {}},
    "Configuration": {
        "configurationKey": [
            {"key": "MeterValueSampleInterval", "readonly": False, "value": "30"},
            {"key": "MaxCurrent", "readonly": False, "value": "32000", "visible": False},
        ]
    },
    "AutomaticTransactionGenerator": {
        "enable": False,
        "minDuration": 60,
        "maxDuration": 80,
        "minDelayBetweenTwoTransactions": 15,
        "maxDelayBetweenTwoTransactions": 30,
        "probabilityOfStart": 1,
        "stopAfterHours": 0.3,
        "stopAbsoluteDuration": False,
        "stopOnConnectionFailure": True,
    },
    "Connectors": {
        "0": {},
        "1": {
            "bootStatus": "Available",
            "MeterValues": [
                {
                    "unit": "W",
                    "measurand": "Power.Active.Import",
                    "value": "5000",
                    "fluctuationPercent": "10",
                    "precision": 2,
                },
                {"unit": "A", "measurand": "Current.Import"},
                {"unit": "Wh"},
            ],
        },
        "2": {
            "bootStatus": "Available",
            "MeterValues": [{"unit": "Wh", "precision": 0}],
        },
    },
}


@pytest.mark.key("authorizationFile")
def test_a_typescript_style_template_loads_and_warns_once_per_unknown_key(
    tmp_path: Path, warnings: list[str]
) -> None:
    path = write_json(tmp_path / "volta.json", TS_STYLE_TEMPLATE)
    t = load_template(path)

    assert t.supervision_urls == ["ws://legacy-csms:8010/OCPP16"]
    assert t.authorization_file == "idtags.json"
    assert t.power == [7360, 11040, 22080]
    assert t.number_of_connectors == [1, 2]
    assert t.amperage_limitation_unit == "mA"
    assert t.meter_serial_number_prefix == "VW-M-"
    assert t.model_extra is not None
    assert t.firmware_upgrade.reset is True
    assert t.firmware_upgrade.version_upgrade == VersionUpgrade(step=1)
    unknown = [message for message in warnings if "unknown key" in message]
    assert unknown == [
        f"{path}: unknown key '$schemaVersion' not used by evsim",
        f"{path}: unknown key 'templateHash' not used by evsim",
        f"{path}: unknown key 'AutomaticTransactionGenerator.stopAbsoluteDuration' "
        "not used by evsim",
        f"{path}: unknown key 'Connectors.1.MeterValues[0].precision' not used by evsim",
    ]
    renamed = [message for message in warnings if "read as" in message]
    assert renamed == [
        f"{path}: key 'supervisionUrl' read as 'supervisionUrls'",
        f"{path}: key 'idTagsFile' read as 'authorizationFile'",
    ]


@pytest.mark.key("Connectors.<id>.MeterValues[].context", "Connectors.<id>.MeterValues[].format")
@pytest.mark.key("Connectors.<id>.MeterValues[].minimumValue")
def test_a_key_without_behaviour_warns_once_when_set(tmp_path: Path, warnings: list[str]) -> None:
    meter_values = [
        {"measurand": "Voltage", "context": "Other", "format": "SignedData", "minimumValue": 1}
    ]
    path = write_json(
        tmp_path / "t.json",
        {
            "Connectors": {"1": {"MeterValues": meter_values}, "2": {"MeterValues": meter_values}},
        },
    )
    load_template(path)
    assert warnings == [
        f"{path}: key 'Connectors.1.MeterValues[0].context' has no behaviour in evsim: "
        "a sample's context is the moment it is taken",
        f"{path}: key 'Connectors.1.MeterValues[0].format' has no behaviour in evsim: "
        "values are sent Raw, never signed",
        f"{path}: key 'Connectors.1.MeterValues[0].minimumValue' has no behaviour in evsim: "
        "not used yet",
    ]


def test_a_key_without_behaviour_left_out_gives_no_warning(
    tmp_path: Path, warnings: list[str]
) -> None:
    path = write_json(tmp_path / "t.json", {"Connectors": {"1": {"MeterValues": [{}]}}})
    load_template(path)
    assert warnings == []


@pytest.mark.timeout(60)
def test_keys_of_newer_typescript_versions_do_not_stop_evsim(tmp_path: Path) -> None:
    """`evsim templates` validates as `evsim run` starts: unknown and renamed keys, in
    config.json and in a template, are warnings naming file and key, never a failed start."""
    write_json(tmp_path / "templates" / "volta.json", TS_STYLE_TEMPLATE)
    config = write_json(
        tmp_path / "config" / "config.json",
        {
            "$schemaVersion": 2,
            "supervisionUrls": ["ws://127.0.0.1:1"],
            "log": {"level": "info", "enabled": True},
            "worker": {"resourceLimits": {"maxOldGenerationSizeMb": 512}},
            "stationTemplateUrls": [{"file": "volta.json", "numberOfStations": 2}],
        },
    )
    done = subprocess.run(
        [sys.executable, "-m", "simulator", "templates", "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=50,
        env={**os.environ, "NO_COLOR": "1"},
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "volta.json\t2 stations" in done.stdout
    assert f"{config}: unknown key 'worker.resourceLimits' ignored" in done.stderr
    assert f"{config}: key 'log.level' read as 'logLevel'" in done.stderr
    template = tmp_path / "templates" / "volta.json"
    assert f"{template}: unknown key 'templateHash' not used by evsim" in done.stderr
    assert f"{template}: key 'idTagsFile' read as 'authorizationFile'" in done.stderr


def test_an_evse_grouped_template_gets_its_connectors(tmp_path: Path) -> None:
    path = write_json(
        tmp_path / "evses.json",
        {
            "baseName": "CS-EVSE",
            "Evses": {
                "0": {"Connectors": {"0": {}}},
                "1": {"Connectors": {"1": {"bootStatus": "Available"}}},
                "2": {"Connectors": {"2": {"bootStatus": "Unavailable"}}},
            },
        },
    )
    t = load_template(path)
    assert {cid: c.boot_status for cid, c in t.connectors.items()} == {
        0: None,
        1: "Available",
        2: "Unavailable",
    }


def test_template_errors_name_file_and_dotted_key(tmp_path: Path) -> None:
    path = write_json(
        tmp_path / "bad.json",
        {"Connectors": {"1": {"MeterValues": [{"unit": "Wh"}, {"measurand": "Power"}]}}},
    )
    with pytest.raises(ConfigError) as caught:
        load_template(path)
    assert caught.value.file == str(path)
    assert caught.value.key == "Connectors.1.MeterValues[1].measurand"
    assert str(caught.value).startswith(f"{path}: Connectors.1.MeterValues[1].measurand: ")


@pytest.mark.parametrize(
    ("data", "key"),
    [
        ({"ocppVersion": "1.5"}, "ocppVersion"),
        ({"currentOutType": "3-phase"}, "currentOutType"),
        ({"numberOfPhases": 2}, "numberOfPhases"),
        ({"power": -1}, "power"),
        ({"numberOfConnectors": []}, "numberOfConnectors"),
        ({"supervisionUrls": ["tcp://csms"]}, "supervisionUrls"),
        ({"Connectors": {"one": {}}}, "Connectors.one"),
        ({"Connectors": {"1": {"bootStatus": "Occupied"}}}, "Connectors.1.bootStatus"),
        (
            {"AutomaticTransactionGenerator": {"minDuration": 90, "maxDuration": 60}},
            "AutomaticTransactionGenerator",
        ),
        (
            {"AutomaticTransactionGenerator": {"probabilityOfStart": 2}},
            "AutomaticTransactionGenerator.probabilityOfStart",
        ),
        (
            {"Configuration": {"configurationKey": [{"value": "1"}]}},
            "Configuration.configurationKey[0].key",
        ),
    ],
)
def test_each_wrong_template_value_names_its_key(
    tmp_path: Path, data: dict[str, Any], key: str
) -> None:
    path = write_json(tmp_path / "bad.json", data)
    with pytest.raises(ConfigError) as caught:
        load_template(path)
    assert caught.value.key == key
    assert "\n" not in str(caught.value)


def test_a_template_with_invalid_json_gives_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{"baseName": "x",}')
    with pytest.raises(ConfigError, match=r"invalid JSON at line 1, column 18"):
        load_template(path)


@pytest.mark.key("ocppVersion")
def test_the_ocpp_version_may_be_a_number() -> None:
    assert template(ocppVersion=1.6).ocpp_version == "1.6"


@pytest.mark.key("ocppVersion")
@pytest.mark.parametrize("version", ["2.0", "2.0.1", 2.0], ids=["2.0", "2.0.1", "number 2.0"])
def test_a_template_asking_for_ocpp_2_0_or_2_0_1_loads_as_2_0_1(
    tmp_path: Path, version: str | float
) -> None:
    """ocppVersion "2.0" means 2.0.1, as in the TS simulator (issue 15: the 2.0.1 templates load
    unchanged); whether a station can be built for it is the adapter table's to say
    (simulator/station/adapters.py, test_cli.py)."""
    path = write_json(tmp_path / "v201.json", {"ocppVersion": version})
    assert load_template(path).ocpp_version == "2.0.1"


@pytest.mark.key("Evses", "Configuration.configurationKey")
def test_a_201_template_warns_about_none_of_its_evses_or_device_model_keys(
    tmp_path: Path, warnings: list[str]
) -> None:
    """The TS simulator's 2.0.1 format: connectors grouped under Evses, device-model variables
    as `Component.Variable[.Instance]` configuration keys; neither is an unknown key."""
    data = {
        "ocppVersion": "2.0.1",
        "Evses": {"0": {"Connectors": {"0": {}}}, "1": {"Connectors": {"1": {}}}},
        "Configuration": {
            "configurationKey": [
                {"key": "SampledDataCtrlr.TxUpdatedInterval", "readonly": False, "value": "30"},
                {"key": "OCPPCommCtrlr.MessageAttempts.TransactionEvent", "value": "3"},
            ]
        },
    }
    path = write_json(tmp_path / "v201.json", data)
    load_template(path)
    assert warnings == []


# --- station id, hashId, serial numbers ----------------------------------------------------------


@pytest.mark.key("nameSuffix", "baseName")
def test_station_id_follows_the_typescript_rule() -> None:
    assert make_station_id(template(baseName="CS-SIMU"), 1) == "CS-SIMU-00001"
    assert make_station_id(template(baseName="CS-SIMU", nameSuffix="-B"), 42) == "CS-SIMU-00042-B"
    assert make_station_id(template(baseName="CS-SIMU"), 7, instance_index=3) == "CS-SIMU-30007"
    assert make_station_id(template(baseName="CS-SIMU", fixedName=True), 9) == "CS-SIMU"


def test_station_ids_beyond_9999_keep_every_digit() -> None:
    t = template(baseName="CS")
    assert make_station_id(t, 12345) == "CS-012345"
    assert make_station_id(t, 12345) != make_station_id(t, 2345)


@pytest.mark.key("meterType", "chargePointModel", "chargePointVendor")
def test_hash_id_is_the_typescript_simulators() -> None:
    # Computed with the TS simulator's getHashId (sha384 of JSON.stringify(info) + id) in node.
    ac = load_template(REPO / "templates" / "ac-22kw.json")
    assert make_hash_id(ac, "EVSIM-AC-00001") == (
        "86670b4f4f65cbc508afb876dbdc5a763b513babc89c5189"
        "fdfac360e67ba6c187b9121dfe6fd0ce7c290d3022611f5e"
    )
    unicode = template(baseName="CS-ÜNI", chargePointVendor='Vé"n/d')
    assert make_hash_id(unicode, "CS-ÜNI-00001") == (
        "80f676894e61787fd2eca06a2a8578356afd3fee295fab0c"
        "de65b0ebf2f1371b9c2259eb3ee4607c27db393ad91af4ac"
    )


@pytest.mark.key("chargeBoxSerialNumberPrefix")
def test_hash_id_depends_on_identity_not_on_other_keys() -> None:
    base = {"baseName": "CS", "chargePointModel": "M", "chargePointVendor": "V"}
    reference = make_hash_id(template(**base), "CS-00001")
    assert make_hash_id(template(**base, power=1000, resetTime=5), "CS-00001") == reference
    assert make_hash_id(template(**base), "CS-00002") != reference
    assert make_hash_id(template(**{**base, "chargePointModel": "N"}), "CS-00001") != reference
    # As in TS, a prefix defined as "" is part of the identity, an absent one is not.
    assert make_hash_id(template(**base, chargeBoxSerialNumberPrefix=""), "CS-00001") != reference


@given(
    st.lists(st.integers(min_value=1, max_value=10**6), min_size=2, max_size=50, unique=True),
    st.text(max_size=12),
    st.text(max_size=4),
)
def test_distinct_indexes_give_distinct_ids_and_hash_ids(
    indexes: list[int], base_name: str, suffix: str
) -> None:
    t = template(baseName=base_name, nameSuffix=suffix, chargePointModel="M")
    ids = [make_station_id(t, index) for index in indexes]
    assert len(set(ids)) == len(ids)
    hash_ids = {make_hash_id(t, station_id) for station_id in ids}
    assert len(hash_ids) == len(ids)
    assert all(len(h) == 96 and int(h, 16) >= 0 for h in hash_ids)


@given(st.integers(min_value=1, max_value=10**6), st.integers())
def test_hash_id_and_serials_are_the_same_on_every_call(index: int, run_seed: int) -> None:
    t = template(baseName="CS", chargePointSerialNumberPrefix="SN-")
    station_id = make_station_id(t, index)
    assert make_hash_id(t, station_id) == make_hash_id(t, station_id)
    assert serial_number_suffix(run_seed, station_id) == serial_number_suffix(run_seed, station_id)
    assert make_station_seed(run_seed, station_id) == make_station_seed(run_seed, station_id)


def test_serial_numbers_depend_on_seed_and_station() -> None:
    a = serial_number_suffix(0, "CS-00001")
    assert a == serial_number_suffix(0, "CS-00001")
    assert a != serial_number_suffix(1, "CS-00001")
    assert a != serial_number_suffix(0, "CS-00002")
    assert len(a) == 16
    assert a == a.upper()


@pytest.mark.key("chargePointSerialNumberPrefix")
def test_a_serial_number_needs_a_prefix_and_fits_ocpp() -> None:
    suffix = serial_number_suffix(0, "CS-00001")
    assert make_serial_number("", suffix) is None
    assert make_serial_number("SN-", suffix) == "SN-" + suffix
    long_prefix = "A-VERY-LONG-PREFIX-"  # 19 characters: 6 left for the suffix
    assert make_serial_number(long_prefix, suffix) == long_prefix + suffix[:6]


@given(st.text(min_size=1, max_size=19), st.integers(), st.text(max_size=20))
def test_serial_numbers_fit_ocpps_25_characters(prefix: str, seed: int, station_id: str) -> None:
    serial = make_serial_number(prefix, serial_number_suffix(seed, station_id))
    assert serial is not None
    assert serial.startswith(prefix)
    assert len(serial) <= 25


# --- connectors ---------------------------------------------------------------------------------


def connectors_template(**keys: Any) -> StationTemplate:
    keys.setdefault(
        "Connectors",
        {
            "0": {"bootStatus": "Available"},
            "1": {"bootStatus": "Available"},
            "2": {"bootStatus": "Unavailable"},
        },
    )
    return template(**keys)


@pytest.mark.key("Connectors", "Connectors.<id>.bootStatus")
def test_connectors_come_from_the_template_by_id() -> None:
    t = connectors_template()
    connectors = resolve_connectors(t, seed=1)
    assert list(connectors) == [0, 1, 2]
    assert connectors[1] is t.connectors[1]
    assert connectors[2] is t.connectors[2]


def test_missing_connector_entries_copy_connector_1() -> None:
    t = connectors_template(numberOfConnectors=4)
    connectors = resolve_connectors(t, seed=1)
    assert list(connectors) == [0, 1, 2, 3, 4]
    assert connectors[3] is t.connectors[1]
    assert connectors[4] is t.connectors[1]


def test_without_connector_1_the_first_non_zero_entry_is_copied() -> None:
    t = template(
        numberOfConnectors=3,
        Connectors={"3": {"bootStatus": "Faulted"}, "2": {"bootStatus": "Reserved"}},
    )
    connectors = resolve_connectors(t, seed=1)
    assert connectors[1] is t.connectors[2]
    assert connectors[2] is t.connectors[2]
    assert connectors[3] is t.connectors[3]


@pytest.mark.key("numberOfConnectors")
def test_fewer_connectors_than_defined_take_the_first_ids() -> None:
    assert list(resolve_connectors(connectors_template(numberOfConnectors=1), 1)) == [0, 1]


@pytest.mark.key("useConnectorId0")
def test_connector_0_is_kept_only_when_wanted_and_defined() -> None:
    assert 0 not in resolve_connectors(connectors_template(useConnectorId0=False), 1)
    assert 0 not in resolve_connectors(template(Connectors={"1": {}}), 1)


def test_no_connector_definitions_give_empty_connectors() -> None:
    connectors = resolve_connectors(template(numberOfConnectors=2), 1)
    assert connectors == {1: ConnectorTemplate(), 2: ConnectorTemplate()}


@pytest.mark.key("numberOfConnectors")
def test_a_list_of_connector_counts_is_drawn_per_station() -> None:
    t = connectors_template(numberOfConnectors=[1, 2, 3])
    counts = {len(resolve_connectors(t, seed)) - 1 for seed in range(200)}
    assert counts == {1, 2, 3}
    assert resolve_connectors(t, 99) == resolve_connectors(t, 99)


@pytest.mark.key("randomConnectors")
def test_random_connectors_shuffle_the_templates_deterministically() -> None:
    t = connectors_template(randomConnectors=True)
    layouts = {
        tuple(c.boot_status for cid, c in sorted(resolve_connectors(t, seed).items()) if cid)
        for seed in range(50)
    }
    assert layouts == {("Available", "Unavailable"), ("Unavailable", "Available")}
    assert resolve_connectors(t, 7) == resolve_connectors(t, 7)


@given(
    st.dictionaries(
        st.integers(min_value=0, max_value=6),
        st.sampled_from(["Available", "Faulted", "Reserved"]),
        max_size=6,
    ),
    st.one_of(
        st.none(),
        st.integers(min_value=0, max_value=8),
        st.lists(st.integers(min_value=0, max_value=8), min_size=1, max_size=3),
    ),
    st.booleans(),
    st.booleans(),
    st.integers(min_value=0, max_value=2**64 - 1),
)
def test_connector_ids_are_1_to_n_with_templates_of_the_station(
    defined: dict[int, str], count: Any, random_connectors: bool, use_0: bool, seed: int
) -> None:
    t = template(
        Connectors={str(cid): {"bootStatus": status} for cid, status in defined.items()},
        numberOfConnectors=count,
        randomConnectors=random_connectors,
        useConnectorId0=use_0,
    )
    connectors = resolve_connectors(t, seed)
    ids = sorted(cid for cid in connectors if cid > 0)
    assert ids == list(range(1, len(ids) + 1))
    if isinstance(count, int):
        assert len(ids) == count
    elif isinstance(count, list):
        assert len(ids) in count
    assert (0 in connectors) == (use_0 and 0 in defined)
    allowed = {id(c) for cid, c in t.connectors.items() if cid > 0}
    for cid in ids:
        assert id(connectors[cid]) in allowed or connectors[cid] == ConnectorTemplate()


# --- supervision URLs ---------------------------------------------------------------------------

URLS = ["ws://a", "ws://b", "ws://c"]


def url_for(distribution: Any, index: int, run_seed: int = 0) -> str:
    return choose_supervision_url(
        URLS, distribution, global_index=index, station_id=f"CS-{index:05d}", run_seed=run_seed
    )


@pytest.mark.key("supervisionUrlDistribution")
def test_round_robin_cycles_over_the_urls() -> None:
    assert [url_for("round-robin", i) for i in range(7)] == URLS * 2 + ["ws://a"]


@pytest.mark.key("supervisionUrlDistribution")
def test_affinity_depends_on_the_station_id_only() -> None:
    for index in range(30):
        station_id = f"CS-{index:05d}"
        chosen = {
            choose_supervision_url(
                URLS,
                "charging-station-affinity",
                global_index=g,
                station_id=station_id,
                run_seed=s,
            )
            for g in (0, 1, 2)
            for s in (0, 1)
        }
        assert len(chosen) == 1


def test_affinity_is_not_round_robin() -> None:
    affinity = [url_for("charging-station-affinity", i) for i in range(30)]
    assert affinity != [url_for("round-robin", i) for i in range(30)]
    assert set(affinity) == set(URLS)


@pytest.mark.key("supervisionUrlDistribution")
def test_random_is_seeded_by_the_run_seed() -> None:
    first = [url_for("random", i, run_seed=1) for i in range(30)]
    assert first == [url_for("random", i, run_seed=1) for i in range(30)]
    assert first != [url_for("random", i, run_seed=2) for i in range(30)]
    assert set(first) == set(URLS)


def test_the_station_url_appends_the_encoded_id() -> None:
    assert station_ws_url("ws://csms:8180", "CS-00001") == "ws://csms:8180/CS-00001"
    assert station_ws_url("ws://csms/ocpp/", "CS 1/a") == "ws://csms/ocpp/CS%201%2Fa"


# --- the plan -----------------------------------------------------------------------------------


@pytest.mark.key("stationTemplateUrls")
def test_the_default_configuration_plans_three_ac_and_two_dc_stations() -> None:
    settings = load_settings(REPO / "config" / "config.json", environ={})
    plan = plan_stations(settings)

    assert [spec.station_id for spec in plan] == [
        "EVSIM-AC-00001",
        "EVSIM-AC-00002",
        "EVSIM-AC-00003",
        "EVSIM-DC-00001",
        "EVSIM-DC-00002",
    ]
    assert [spec.template_name for spec in plan] == ["ac-22kw"] * 3 + ["dc-50kw"] * 2
    assert [spec.index for spec in plan] == [1, 2, 3, 1, 2]
    assert [spec.global_index for spec in plan] == [0, 1, 2, 3, 4]
    assert plan[0].ws_url == "ws://127.0.0.1:8180/EVSIM-AC-00001"
    assert list(plan[0].connectors) == [0, 1, 2]
    assert list(plan[3].connectors) == [0, 1]
    assert len({spec.hash_id for spec in plan}) == 5
    for spec in plan:
        assert spec.authorization_file is not None
        tags = json.loads(Path(spec.authorization_file).read_text())
        assert tags and all(isinstance(tag, str) for tag in tags)
        assert spec.charge_point_serial_number is not None
        assert len(spec.charge_point_serial_number) <= 25
    assert plan[0].template is plan[1].template


def test_a_plan_is_the_same_on_every_run(tmp_path: Path) -> None:
    settings = make_settings(
        tmp_path,
        {
            "t.json": (
                {
                    "baseName": "CS",
                    "chargePointSerialNumberPrefix": "S",
                    "numberOfConnectors": [1, 2, 3],
                    "Connectors": {"1": {}},
                },
                20,
            )
        },
        seed=5,
        supervisionUrls=URLS,
        supervisionUrlDistribution="random",
    )
    assert plan_stations(settings) == plan_stations(settings)


@pytest.mark.key("seed", "chargePointSerialNumberPrefix")
def test_the_run_seed_changes_serials_but_not_hash_ids(tmp_path: Path) -> None:
    data = {"baseName": "CS", "chargePointSerialNumberPrefix": "S"}
    one = plan_stations(make_settings(tmp_path / "1", {"t.json": (data, 3)}, seed=1))
    two = plan_stations(make_settings(tmp_path / "2", {"t.json": (data, 3)}, seed=2))
    assert [s.hash_id for s in one] == [s.hash_id for s in two]
    assert [s.charge_point_serial_number for s in one] != [
        s.charge_point_serial_number for s in two
    ]


def test_round_robin_counts_stations_across_templates(tmp_path: Path) -> None:
    settings = make_settings(
        tmp_path,
        {"a.json": ({"baseName": "A"}, 2), "b.json": ({"baseName": "B"}, 2)},
        supervisionUrls=URLS,
        supervisionUrlDistribution="round-robin",
    )
    assert [spec.supervision_url for spec in plan_stations(settings)] == [
        "ws://a",
        "ws://b",
        "ws://c",
        "ws://a",
    ]


@pytest.mark.key("supervisionUrls", "supervisionUser", "supervisionPassword")
def test_template_urls_and_credentials_win_over_the_config(tmp_path: Path) -> None:
    settings = make_settings(
        tmp_path,
        {
            "a.json": (
                {
                    "baseName": "A",
                    "supervisionUrls": "wss://own/ocpp",
                    "supervisionUser": "cs",
                    "supervisionPassword": "pw",
                },
                1,
            ),
            "b.json": ({"baseName": "B"}, 1),
        },
    )
    own, shared = plan_stations(settings)
    assert own.ws_url == "wss://own/ocpp/A-00001"
    assert (own.supervision_user, own.supervision_password) == ("cs", "pw")
    assert shared.ws_url == "ws://127.0.0.1:8180/B-00001"
    assert (shared.supervision_user, shared.supervision_password) == (None, None)


@pytest.mark.key("stationTemplateUrls[].numberOfStations")
def test_a_template_listed_twice_continues_its_numbering(tmp_path: Path) -> None:
    write_json(tmp_path / "templates" / "t.json", {"baseName": "CS"})
    path = write_json(
        tmp_path / "config" / "config.json",
        {
            "supervisionUrls": "ws://x",
            "stationTemplateUrls": [
                {"file": "t.json", "numberOfStations": 2},
                {"file": "t.json", "numberOfStations": 1},
            ],
        },
    )
    plan = plan_stations(load_settings(path, environ={}))
    assert [spec.station_id for spec in plan] == ["CS-00001", "CS-00002", "CS-00003"]


@pytest.mark.key("fixedName")
def test_a_fixed_name_names_a_single_station(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, {"t.json": ({"baseName": "ONLY", "fixedName": True}, 2)})
    with pytest.raises(ConfigError) as caught:
        plan_stations(settings)
    assert caught.value.key == "stationTemplateUrls[0].numberOfStations"
    one = make_settings(tmp_path, {"t.json": ({"baseName": "ONLY", "fixedName": True}, 1)})
    assert [spec.station_id for spec in plan_stations(one)] == ["ONLY"]


def test_two_templates_making_the_same_ids_are_refused(tmp_path: Path) -> None:
    settings = make_settings(
        tmp_path, {"a.json": ({"baseName": "CS"}, 2), "b.json": ({"baseName": "CS"}, 2)}
    )
    with pytest.raises(ConfigError, match="'CS-00001' is also made by stationTemplateUrls"):
        plan_stations(settings)


def test_stations_without_a_supervision_url_are_refused(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, {"t.json": ({"baseName": "CS"}, 1)}, supervisionUrls=[])
    with pytest.raises(ConfigError) as caught:
        plan_stations(settings)
    assert caught.value.key == "supervisionUrls"


def test_a_missing_template_stops_the_plan(tmp_path: Path) -> None:
    path = write_json(
        tmp_path / "config.json",
        {"stationTemplateUrls": [{"file": "nope.json", "numberOfStations": 1}]},
    )
    with pytest.raises(ConfigError) as caught:
        plan_stations(load_settings(path, environ={}))
    assert caught.value.key == "stationTemplateUrls[0].file"


def test_an_invalid_template_stops_the_plan(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, {"t.json": ({"powerUnit": "MW"}, 1)})
    with pytest.raises(ConfigError) as caught:
        plan_stations(settings)
    assert caught.value.key == "powerUnit"
    assert caught.value.file.endswith("t.json")


def test_station_specs_pickle(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, {"t.json": (TS_STYLE_TEMPLATE, 3)})
    plan = plan_stations(settings)
    copy: list[StationSpec] = pickle.loads(pickle.dumps(plan))
    assert copy == plan
    assert copy[0].ws_url == plan[0].ws_url
    assert copy[0].template is copy[1].template
    with pytest.raises(AttributeError):
        copy[0].station_id = "other"  # type: ignore[misc]


@pytest.mark.timeout(30)
def test_planning_50000_stations_gives_distinct_identities(tmp_path: Path) -> None:
    # Speed is measured in bench/; here only a generous bound guards against a quadratic plan.
    settings = make_settings(
        tmp_path,
        {
            "ac.json": (json.loads((REPO / "templates" / "ac-22kw.json").read_text()), 25_000),
            "dc.json": (TS_STYLE_TEMPLATE, 25_000),
        },
        supervisionUrls=URLS,
    )
    plan = plan_stations(settings)
    assert len(plan) == 50_000
    assert len({spec.hash_id for spec in plan}) == 50_000
