"""The OCPP 1.6 standard configuration keys (section 9): the defaults every 1.6 station
carries, the values a ChangeConfiguration may give them, and the key store a 1.6 station starts
with (the template's keys over these defaults; simulator/station/keystore.py is the mechanism)."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import get_args

from simulator.meter_vocabulary import Measurand
from simulator.station.keystore import KeyStore, Lookup, StoredKey, TemplateKey

# Keys every station carries even when its template does not list them; values as the seed's
# templates usually set them. Integer keys are type-checked on ChangeConfiguration.
INTEGER_KEYS = frozenset(
    {
        "HeartbeatInterval",
        "ConnectionTimeOut",
        "MeterValueSampleInterval",
        "ClockAlignedDataInterval",
        "WebSocketPingInterval",
        "GetConfigurationMaxKeys",
        "NumberOfConnectors",
        "ResetRetries",
        "TransactionMessageAttempts",
        "TransactionMessageRetryInterval",
        "MinimumStatusDuration",
        "LocalAuthListMaxLength",
        "SendLocalListMaxLength",
        "ChargeProfileMaxStackLevel",
        "ChargingScheduleMaxPeriods",
        "MaxChargingProfilesInstalled",
        "MaxEnergyOnInvalidId",
        "BlinkRepeat",
        "LightIntensity",
        "MeterValuesSampledDataMaxLength",
        "MeterValuesAlignedDataMaxLength",
        "StopTxnSampledDataMaxLength",
        "StopTxnAlignedDataMaxLength",
        "ConnectorPhaseRotationMaxLength",
        "SupportedFeatureProfilesMaxLength",
    }
)

BOOLEAN_KEYS = frozenset(
    {
        "AuthorizeRemoteTxRequests",
        "AllowOfflineTxForUnknownId",
        "AuthorizationCacheEnabled",
        "LocalAuthorizeOffline",
        "LocalPreAuthorize",
        "StopTransactionOnEVSideDisconnect",
        "StopTransactionOnInvalidId",
        "UnlockConnectorOnEVSideDisconnect",
        "LocalAuthListEnabled",
        "ReserveConnectorZeroSupported",
        "ConnectorSwitch3to1PhaseSupported",
    }
)


# Section 9.1.29: the profiles SupportedFeatureProfiles may name.
FEATURE_PROFILES = frozenset(
    {
        "Core",
        "FirmwareManagement",
        "LocalAuthListManagement",
        "Reservation",
        "SmartCharging",
        "RemoteTrigger",
    }
)
MEASURANDS = frozenset(get_args(Measurand))
# Every measurand once: a list key bounded by its MaxLength never needs more.
_ALL_MEASURANDS = str(len(MEASURANDS))


@functools.cache
def default_keys(number_of_connectors: int) -> tuple[StoredKey, ...]:
    """The same objects for every station with that many connectors (KeyStore shares them)."""
    return (
        StoredKey("HeartbeatInterval", "0"),
        StoredKey("ConnectionTimeOut", "30"),
        StoredKey("WebSocketPingInterval", "0"),
        StoredKey("MeterValueSampleInterval", "60"),
        StoredKey("MeterValuesSampledData", "Energy.Active.Import.Register"),
        StoredKey("NumberOfConnectors", str(number_of_connectors), readonly=True),
        StoredKey(
            "SupportedFeatureProfiles",
            "Core,LocalAuthListManagement,Reservation,SmartCharging",
            readonly=True,
        ),
        StoredKey("GetConfigurationMaxKeys", "100", readonly=True),
        StoredKey("AuthorizeRemoteTxRequests", "true"),
        StoredKey("StopTransactionOnInvalidId", "true"),
        # Section 3.7.1: how often a transaction message the CSMS fails to process is sent.
        StoredKey("TransactionMessageAttempts", "3"),
        StoredKey("TransactionMessageRetryInterval", "60"),
        # Smart charging (section 9.4): what SetChargingProfile accepts.
        StoredKey("ChargeProfileMaxStackLevel", "10", readonly=True),
        StoredKey("ChargingScheduleAllowedChargingRateUnit", "Current,Power", readonly=True),
        StoredKey("ChargingScheduleMaxPeriods", "24", readonly=True),
        StoredKey("MaxChargingProfilesInstalled", "10", readonly=True),
        # Local authorization (sections 3.5, 9.1, 9.2).
        StoredKey("AuthorizationCacheEnabled", "true"),
        StoredKey("LocalAuthorizeOffline", "true"),
        StoredKey("LocalPreAuthorize", "false"),
        StoredKey("AllowOfflineTxForUnknownId", "false"),
        StoredKey("LocalAuthListEnabled", "true"),
        StoredKey("LocalAuthListMaxLength", "100", readonly=True),
        StoredKey("SendLocalListMaxLength", "20", readonly=True),
        StoredKey("ReserveConnectorZeroSupported", "false", readonly=True),
        # Section 9.1.23, 9.1.33 and 9.1.22: the values the station falls back to anyway.
        StoredKey("StopTransactionOnEVSideDisconnect", "true"),
        StoredKey("UnlockConnectorOnEVSideDisconnect", "true"),
        StoredKey("ResetRetries", "0"),
        # Sections 9.1.4, 9.1.11: a simulated station has no lights; the keys only hold values.
        StoredKey("BlinkRepeat", "3"),
        StoredKey("LightIntensity", "100"),
        # Section 9.1.14: none unless the operator allows some (Wh).
        StoredKey("MaxEnergyOnInvalidId", "0"),
        # Section 9.4.4: schedules may ask for fewer phases than the station has.
        StoredKey("ConnectorSwitch3to1PhaseSupported", "true", readonly=True),
        # Section 9.1 "...MaxLength": how many items ChangeConfiguration may put in each list.
        StoredKey("MeterValuesSampledDataMaxLength", _ALL_MEASURANDS, readonly=True),
        StoredKey("MeterValuesAlignedDataMaxLength", _ALL_MEASURANDS, readonly=True),
        StoredKey("StopTxnSampledDataMaxLength", _ALL_MEASURANDS, readonly=True),
        StoredKey("StopTxnAlignedDataMaxLength", _ALL_MEASURANDS, readonly=True),
        # One rotation per connector and one for the grid connection (connector 0).
        StoredKey("ConnectorPhaseRotationMaxLength", str(number_of_connectors + 1), readonly=True),
        StoredKey("SupportedFeatureProfilesMaxLength", str(len(FEATURE_PROFILES)), readonly=True),
    )


# Comma-separated measurand lists (section 9.1), each bounded by its "...MaxLength" key.
MEASURAND_LIST_KEYS = frozenset(
    {"MeterValuesAlignedData", "MeterValuesSampledData", "StopTxnAlignedData", "StopTxnSampledData"}
)
# ConnectorPhaseRotation entries: "<connectorId>.<rotation>" (section 9.1.7).
PHASE_ROTATIONS = frozenset({"NotApplicable", "Unknown", "RST", "RTS", "SRT", "STR", "TRS", "TSR"})

_INTEGER_NAMES = frozenset(key.lower() for key in INTEGER_KEYS)
_BOOLEAN_NAMES = frozenset(key.lower() for key in BOOLEAN_KEYS)
_MEASURAND_LIST_NAMES = frozenset(key.lower() for key in MEASURAND_LIST_KEYS)


def csl_items(value: str) -> list[str]:
    """The entries of a comma-separated list value (section 9: CSL)."""
    return [item.strip() for item in value.split(",") if item.strip()]


def _valid_phase_rotation(item: str) -> bool:
    connector, _, rotation = item.partition(".")
    return connector.isdigit() and rotation in PHASE_ROTATIONS


def valid_value(key: str, value: str, max_items: int | None = None) -> bool:
    """Whether `value` suits the standard key `key`; `max_items` bounds a list value (its
    "...MaxLength" key). Vendor keys take any value."""
    name = key.lower()
    if name in _MEASURAND_LIST_NAMES or name == "connectorphaserotation":
        items = csl_items(value)
        if max_items is not None and len(items) > max_items:
            return False
        if name == "connectorphaserotation":
            return all(_valid_phase_rotation(item) for item in items)
        return all(item in MEASURANDS for item in items)
    if name == "supportedfeatureprofiles":
        items = csl_items(value)
        within = max_items is None or len(items) <= max_items
        return within and all(item in FEATURE_PROFILES for item in items)
    if name in _INTEGER_NAMES:
        try:
            number = int(value)
        except ValueError:
            return False
        # Section 9.1.11: LightIntensity is a percentage of the maximum intensity.
        return number >= 0 and (name != "lightintensity" or number <= 100)
    if name in _BOOLEAN_NAMES:
        return value.lower() in ("true", "false")
    return True


def change_allowed(key: str, value: str, get: Lookup) -> bool:
    """The 1.6 ValueRule: `valid_value`, a list bounded by its "...MaxLength" key when the
    station has one (section 9.1)."""
    max_length = get(f"{key}MaxLength")
    max_items = int(max_length) if max_length is not None and max_length.isdigit() else None
    return valid_value(key, value, max_items)


def from_template(
    template_keys: Iterable[TemplateKey],
    number_of_connectors: int,
    *,
    supervision_url: tuple[str, str] | None = None,
) -> KeyStore:
    """A 1.6 station's keys: the template's over `default_keys` (KeyStore.layered says how
    `supervision_url` adds its key)."""
    return KeyStore.layered(
        default_keys(number_of_connectors),
        template_keys,
        rule=change_allowed,
        supervision_url=supervision_url,
    )


__all__ = [
    "BOOLEAN_KEYS",
    "FEATURE_PROFILES",
    "INTEGER_KEYS",
    "MEASURANDS",
    "MEASURAND_LIST_KEYS",
    "PHASE_ROTATIONS",
    "change_allowed",
    "csl_items",
    "default_keys",
    "from_template",
    "valid_value",
]
