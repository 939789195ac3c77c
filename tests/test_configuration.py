"""A station's configuration keys: ChangeConfiguration (OCPP 1.6 section 5.3) and
GetConfiguration (section 5.8) over the template's keys and the defaults (section 9)."""

from __future__ import annotations

from typing import Any

import pytest

from simulator.station.keystore import ChangeStatus, KeyStore
from simulator.station.ocpp16 import keys as keys16
from simulator.station.ocpp16.keys import MEASURANDS
from simulator.template_model import ConfigurationKey as TemplateKey


def configuration(*template_keys: dict[str, Any], connectors: int = 2) -> KeyStore:
    return keys16.from_template(
        [TemplateKey.model_validate(key) for key in template_keys], connectors
    )


@pytest.fixture
def config() -> KeyStore:
    return configuration(
        {"key": "HeartbeatInterval", "value": "60"},
        {"key": "MaxCurrent", "value": "32", "visible": False},
        {"key": "ModemVersion", "value": "2.1", "readonly": True},
        {"key": "CentralSystemUrl", "value": "ws://a", "reboot": True},
        {"key": "LocalAuthListEnabled", "value": "false"},
        {"key": "Unset"},
    )


def keys_of(entries: list[dict[str, Any]]) -> list[str]:
    return [entry["key"] for entry in entries]


# -- ChangeConfiguration (section 5.3) ---------------------------------------------------------


def test_changing_a_writable_key_is_accepted_and_applied(config: KeyStore) -> None:
    """Section 5.3: "applied successfully, and the change is effective immediately"."""
    assert config.change("HeartbeatInterval", "300") is ChangeStatus.ACCEPTED
    assert config.get("HeartbeatInterval") == "300"


@pytest.mark.key("Configuration.configurationKey[].reboot")
def test_changing_a_reboot_key_requires_a_reboot(config: KeyStore) -> None:
    """Section 5.3: "applied successfully, but a reboot is needed to make it effective"."""
    assert config.change("CentralSystemUrl", "ws://b") is ChangeStatus.REBOOT_REQUIRED
    assert config.get("CentralSystemUrl") == "ws://b"


def test_changing_an_unknown_key_is_not_supported(config: KeyStore) -> None:
    """Section 5.3: "key does not correspond to a configuration setting supported"."""
    assert config.change("WarpDrive", "on") is ChangeStatus.NOT_SUPPORTED
    assert config.get("WarpDrive") is None


@pytest.mark.key("Configuration.configurationKey[].readonly")
def test_changing_a_readonly_key_is_rejected(config: KeyStore) -> None:
    """Section 9: a read-only ("R") key can be read with GetConfiguration, not written."""
    assert config.change("ModemVersion", "3.0") is ChangeStatus.REJECTED
    assert config.get("ModemVersion") == "2.1"


def test_changing_a_default_readonly_key_is_rejected(config: KeyStore) -> None:
    assert config.change("NumberOfConnectors", "4") is ChangeStatus.REJECTED
    assert config.get("NumberOfConnectors") == "2"


@pytest.mark.parametrize("value", ["sixty", "", "1.5", "0x10"])
def test_changing_an_integer_key_to_a_non_integer_is_rejected(config: KeyStore, value: str) -> None:
    """Section 5.3: values "that do not conform to an expected format" are Rejected; section
    9.1.10: HeartbeatInterval is an integer (seconds)."""
    assert config.change("HeartbeatInterval", value) is ChangeStatus.REJECTED
    assert config.get("HeartbeatInterval") == "60"


def test_changing_an_integer_key_to_a_negative_number_is_rejected(
    config: KeyStore,
) -> None:
    """Section 5.3: "requests with out-of-range values" are Rejected."""
    assert config.change("HeartbeatInterval", "-1") is ChangeStatus.REJECTED
    assert config.get("HeartbeatInterval") == "60"


@pytest.mark.parametrize("value", ["yes", "1", "", "truee"])
def test_changing_a_boolean_key_to_a_non_boolean_is_rejected(config: KeyStore, value: str) -> None:
    """Section 5.3; section 9.2.1: LocalAuthListEnabled is a boolean."""
    assert config.change("LocalAuthListEnabled", value) is ChangeStatus.REJECTED
    assert config.get("LocalAuthListEnabled") == "false"


@pytest.mark.parametrize("value", ["true", "false", "True", "FALSE"])
def test_a_boolean_is_true_or_false_in_any_case(config: KeyStore, value: str) -> None:
    assert config.change("LocalAuthListEnabled", value) is ChangeStatus.ACCEPTED


def test_a_key_of_a_free_type_takes_any_string(config: KeyStore) -> None:
    assert config.change("MeterValuesSampledData", "Power.Active.Import") is ChangeStatus.ACCEPTED


def test_a_hidden_writable_key_can_still_be_changed(config: KeyStore) -> None:
    assert config.change("MaxCurrent", "16") is ChangeStatus.ACCEPTED
    assert config.get("MaxCurrent") == "16"


def test_keys_are_matched_without_regard_to_case(config: KeyStore) -> None:
    """Section 6.9: the key of ChangeConfiguration.req is a CiString50Type, case-insensitive."""
    assert config.change("heartbeatinterval", "120") is ChangeStatus.ACCEPTED
    assert config.change("MODEMVERSION", "3.0") is ChangeStatus.REJECTED
    assert config.change("heartbeatINTERVAL", "soon") is ChangeStatus.REJECTED
    assert config.get("HeartbeatInterval") == "120"


# -- GetConfiguration (section 5.8) ------------------------------------------------------------


def test_get_configuration_without_keys_lists_every_visible_key(config: KeyStore) -> None:
    """Section 5.8: an empty or missing key list returns all configuration settings."""
    known, unknown = config.visible()
    assert "HeartbeatInterval" in keys_of(known)
    assert "ModemVersion" in keys_of(known)
    assert "NumberOfConnectors" in keys_of(known)
    assert unknown == []


@pytest.mark.key("Configuration.configurationKey[].visible")
def test_get_configuration_hides_invisible_keys(config: KeyStore) -> None:
    known, _ = config.visible()
    assert "MaxCurrent" not in keys_of(known)


def test_a_requested_invisible_key_is_reported_unknown(config: KeyStore) -> None:
    known, unknown = config.visible(["MaxCurrent"])
    assert known == []
    assert unknown == ["MaxCurrent"]


def test_get_configuration_with_keys_lists_the_known_and_the_unknown_ones(
    config: KeyStore,
) -> None:
    """Section 5.8: recognized keys with value and read-only state; unrecognized ones in the
    unknown key list."""
    known, unknown = config.visible(["ModemVersion", "WarpDrive", "HeartbeatInterval"])
    assert known == [
        {"key": "ModemVersion", "readonly": True, "value": "2.1"},
        {"key": "HeartbeatInterval", "readonly": False, "value": "60"},
    ]
    assert unknown == ["WarpDrive"]


def test_a_key_without_a_value_is_reported_without_one(config: KeyStore) -> None:
    """Section 7.29 KeyValue: "If key is known but not set, this field may be absent"."""
    known, _ = config.visible(["Unset"])
    assert known == [{"key": "Unset", "readonly": False}]


def test_requested_keys_are_matched_without_regard_to_case(config: KeyStore) -> None:
    """Section 6.23: the keys of GetConfiguration.req are CiString50Type."""
    known, unknown = config.visible(["heartbeatinterval"])
    assert known == [{"key": "HeartbeatInterval", "readonly": False, "value": "60"}]
    assert unknown == []


# -- template over defaults --------------------------------------------------------------------


@pytest.mark.key("Configuration", "Configuration.configurationKey")
def test_template_keys_override_the_defaults() -> None:
    config = configuration(
        {"key": "HeartbeatInterval", "value": "60"},
        {"key": "SupportedFeatureProfiles", "value": "Core,SmartCharging", "readonly": False},
    )
    assert config.get("HeartbeatInterval") == "60"
    assert config.get("SupportedFeatureProfiles") == "Core,SmartCharging"
    assert config.change("SupportedFeatureProfiles", "Core") is ChangeStatus.ACCEPTED


def test_an_overridden_default_is_listed_once() -> None:
    known, _ = configuration({"key": "HeartbeatInterval", "value": "60"}).visible()
    assert keys_of(known).count("HeartbeatInterval") == 1


@pytest.mark.key("Configuration.configurationKey[].key")
def test_a_template_key_spelled_in_another_case_overrides_the_default() -> None:
    config = configuration({"key": "heartbeatInterval", "value": "60"})
    assert config.get("HeartbeatInterval") == "60"
    assert keys_of(config.visible()[0]).count("heartbeatInterval") == 1
    assert "HeartbeatInterval" not in keys_of(config.visible()[0])


def test_defaults_fill_in_the_keys_a_template_leaves_out() -> None:
    config = configuration(connectors=3)
    assert config.get("HeartbeatInterval") == "0"
    assert config.get("ConnectionTimeOut") == "30"
    assert config.get("NumberOfConnectors") == "3"
    assert config.get("SupportedFeatureProfiles") == (
        "Core,LocalAuthListManagement,Reservation,SmartCharging"
    )


@pytest.mark.key("Configuration.configurationKey[].value")
def test_template_values_written_as_json_numbers_and_booleans_are_strings() -> None:
    """Configuration values are strings on the wire (section 7.29: CiString500Type)."""
    config = configuration(
        {"key": "MeterValueSampleInterval", "value": 30},
        {"key": "LocalAuthListEnabled", "value": True},
    )
    assert config.get("MeterValueSampleInterval") == "30"
    assert config.get("LocalAuthListEnabled") == "true"


# -- the station's own use ---------------------------------------------------------------------


def test_get_int_falls_back_to_the_default_for_missing_or_non_integer_values() -> None:
    config = configuration({"key": "ConnectionTimeOut", "value": "soon"})
    assert config.get_int("ConnectionTimeOut", 30) == 30
    assert config.get_int("WarpDrive", 7) == 7
    assert config.get_int("HeartbeatInterval", 60) == 0


def test_the_station_may_set_a_readonly_key() -> None:
    config = configuration()
    config.set("NumberOfConnectors", "4")
    assert config.get("NumberOfConnectors") == "4"


def test_setting_an_unknown_key_adds_it() -> None:
    config = configuration()
    config.set("WarpDrive", "on")
    assert config.get("WarpDrive") == "on"
    assert config.change("WarpDrive", "off") is ChangeStatus.ACCEPTED


def test_as_list_reports_every_key_with_all_its_flags(config: KeyStore) -> None:
    entries = {entry["key"]: entry for entry in config.as_list()}
    assert entries["MaxCurrent"] == {
        "key": "MaxCurrent",
        "readonly": False,
        "value": "32",
        "visible": False,
        "reboot": False,
    }
    assert entries["CentralSystemUrl"]["reboot"] is True


# -- keys of section 9 with defaults -----------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("StopTransactionOnEVSideDisconnect", "true"),
        ("UnlockConnectorOnEVSideDisconnect", "true"),
        ("ResetRetries", "0"),
        ("MaxEnergyOnInvalidId", "0"),
        ("BlinkRepeat", "3"),
        ("LightIntensity", "100"),
    ],
)
def test_get_configuration_lists_the_writable_keys_the_station_falls_back_on(
    key: str, value: str
) -> None:
    """Sections 9.1.4, 9.1.11, 9.1.14, 9.1.22, 9.1.23, 9.1.33: RW keys, listed with the value
    the station acts on when the template leaves them out."""
    known, unknown = configuration().visible([key])
    assert known == [{"key": key, "readonly": False, "value": value}]
    assert unknown == []


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("MeterValuesSampledDataMaxLength", "22"),
        ("MeterValuesAlignedDataMaxLength", "22"),
        ("StopTxnSampledDataMaxLength", "22"),
        ("StopTxnAlignedDataMaxLength", "22"),
        ("ConnectorPhaseRotationMaxLength", "4"),
        ("SupportedFeatureProfilesMaxLength", "6"),
        ("ConnectorSwitch3to1PhaseSupported", "true"),
    ],
)
def test_get_configuration_lists_the_readonly_limits_of_the_station(key: str, value: str) -> None:
    """Sections 9.1.8, 9.1.16, 9.1.18, 9.1.26, 9.1.28, 9.1.30, 9.4.4: read-only ("R") keys:
    every measurand once, a phase rotation per connector and for the grid (connector 0), every
    feature profile of section 9.1.29."""
    config = configuration(connectors=3)
    assert config.visible([key])[0] == [{"key": key, "readonly": True, "value": value}]
    assert config.change(key, "1") is ChangeStatus.REJECTED


@pytest.mark.parametrize(
    ("key", "within", "beyond"),
    [
        ("MeterValuesAlignedData", "Voltage,SoC", "Voltage,SoC,Frequency"),
        ("StopTxnSampledData", "Voltage,SoC", "Voltage,SoC,Frequency"),
        ("StopTxnAlignedData", "Voltage,SoC", "Voltage,SoC,Frequency"),
        ("ConnectorPhaseRotation", "0.RST,1.RST", "0.RST,1.RST,2.RTS"),
    ],
)
def test_change_configuration_rejects_a_list_longer_than_its_max_length(
    key: str, within: str, beyond: str
) -> None:
    """Sections 9.1.8, 9.1.16, 9.1.26, 9.1.28: "Maximum number of items in a [key]
    Configuration Key"; section 5.3: a value out of range is Rejected."""
    config = configuration(
        {"key": key, "value": ""}, {"key": f"{key}MaxLength", "value": "2", "readonly": True}
    )
    assert config.change(key, within) is ChangeStatus.ACCEPTED
    assert config.change(key, beyond) is ChangeStatus.REJECTED
    assert config.get(key) == within


def test_the_default_max_length_lets_every_measurand_be_sampled() -> None:
    """Section 9.1.18: the default MeterValuesSampledDataMaxLength bounds nothing a
    measurand list can name (each measurand once)."""
    every = ",".join(sorted(MEASURANDS))
    assert configuration().change("MeterValuesSampledData", every) is ChangeStatus.ACCEPTED


def test_supported_feature_profiles_is_bounded_by_its_max_length() -> None:
    """Sections 9.1.29, 9.1.30: a template that makes SupportedFeatureProfiles writable still
    gets known profiles only, at most SupportedFeatureProfilesMaxLength of them."""
    config = configuration(
        {"key": "SupportedFeatureProfiles", "value": "Core", "readonly": False},
        {"key": "SupportedFeatureProfilesMaxLength", "value": "2", "readonly": True},
    )
    assert config.change("SupportedFeatureProfiles", "Core,SmartCharging") is ChangeStatus.ACCEPTED
    assert config.change("SupportedFeatureProfiles", "Core,Teleport") is ChangeStatus.REJECTED
    assert (
        config.change("SupportedFeatureProfiles", "Core,Reservation,SmartCharging")
        is ChangeStatus.REJECTED
    )
    assert config.get("SupportedFeatureProfiles") == "Core,SmartCharging"


@pytest.mark.parametrize("key", ["BlinkRepeat", "LightIntensity"])
@pytest.mark.parametrize("value", ["often", "-1", "2.5"])
def test_light_keys_reject_what_is_not_a_count(key: str, value: str) -> None:
    """Sections 9.1.4, 9.1.11: integers (times, percent); section 5.3: Rejected otherwise."""
    config = configuration()
    before = config.get(key)
    assert config.change(key, value) is ChangeStatus.REJECTED
    assert config.get(key) == before


def test_blink_repeat_takes_any_count() -> None:
    """Section 9.1.4: times to blink; the simulator has no lights and only keeps the value."""
    config = configuration()
    assert config.change("BlinkRepeat", "250") is ChangeStatus.ACCEPTED
    assert config.get("BlinkRepeat") == "250"


@pytest.mark.parametrize(
    ("value", "status"), [("0", "Accepted"), ("100", "Accepted"), ("101", "Rejected")]
)
def test_light_intensity_is_a_percentage(value: str, status: str) -> None:
    """Section 9.1.11: "Percentage of maximum intensity": 0 to 100."""
    config = configuration()
    assert config.change("LightIntensity", value) == ChangeStatus(status)
    assert (config.get("LightIntensity") == value) is (status == "Accepted")
