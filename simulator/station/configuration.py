"""A station's OCPP configuration keys (OCPP 1.6 section 9): the template's keys over defaults."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, get_args

from simulator.config import check_ws_urls
from simulator.meter_vocabulary import Measurand


class ChangeStatus(StrEnum):
    ACCEPTED = "Accepted"
    REJECTED = "Rejected"
    REBOOT_REQUIRED = "RebootRequired"
    NOT_SUPPORTED = "NotSupported"


@dataclass(slots=True)
class ConfigurationKey:
    key: str
    value: str | None
    readonly: bool = False
    visible: bool = True
    reboot: bool = False


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


def default_keys(number_of_connectors: int) -> list[ConfigurationKey]:
    return [
        ConfigurationKey("HeartbeatInterval", "0"),
        ConfigurationKey("ConnectionTimeOut", "30"),
        ConfigurationKey("WebSocketPingInterval", "0"),
        ConfigurationKey("MeterValueSampleInterval", "60"),
        ConfigurationKey("MeterValuesSampledData", "Energy.Active.Import.Register"),
        ConfigurationKey("NumberOfConnectors", str(number_of_connectors), readonly=True),
        ConfigurationKey(
            "SupportedFeatureProfiles",
            "Core,LocalAuthListManagement,Reservation,SmartCharging",
            readonly=True,
        ),
        ConfigurationKey("GetConfigurationMaxKeys", "100", readonly=True),
        ConfigurationKey("AuthorizeRemoteTxRequests", "true"),
        ConfigurationKey("StopTransactionOnInvalidId", "true"),
        # Section 3.7.1: how often a transaction message the CSMS fails to process is sent.
        ConfigurationKey("TransactionMessageAttempts", "3"),
        ConfigurationKey("TransactionMessageRetryInterval", "60"),
        # Smart charging (section 9.4): what SetChargingProfile accepts.
        ConfigurationKey("ChargeProfileMaxStackLevel", "10", readonly=True),
        ConfigurationKey("ChargingScheduleAllowedChargingRateUnit", "Current,Power", readonly=True),
        ConfigurationKey("ChargingScheduleMaxPeriods", "24", readonly=True),
        ConfigurationKey("MaxChargingProfilesInstalled", "10", readonly=True),
        # Local authorization (sections 3.5, 9.1, 9.2).
        ConfigurationKey("AuthorizationCacheEnabled", "true"),
        ConfigurationKey("LocalAuthorizeOffline", "true"),
        ConfigurationKey("LocalPreAuthorize", "false"),
        ConfigurationKey("AllowOfflineTxForUnknownId", "false"),
        ConfigurationKey("LocalAuthListEnabled", "true"),
        ConfigurationKey("LocalAuthListMaxLength", "100", readonly=True),
        ConfigurationKey("SendLocalListMaxLength", "20", readonly=True),
        ConfigurationKey("ReserveConnectorZeroSupported", "false", readonly=True),
        # Section 9.1.23, 9.1.33 and 9.1.22: the values the station falls back to anyway.
        ConfigurationKey("StopTransactionOnEVSideDisconnect", "true"),
        ConfigurationKey("UnlockConnectorOnEVSideDisconnect", "true"),
        ConfigurationKey("ResetRetries", "0"),
        # Sections 9.1.4, 9.1.11: a simulated station has no lights; the keys only hold values.
        ConfigurationKey("BlinkRepeat", "3"),
        ConfigurationKey("LightIntensity", "100"),
        # Section 9.1.14: none unless the operator allows some (Wh).
        ConfigurationKey("MaxEnergyOnInvalidId", "0"),
        # Section 9.4.4: schedules may ask for fewer phases than the station has.
        ConfigurationKey("ConnectorSwitch3to1PhaseSupported", "true", readonly=True),
        # Section 9.1 "...MaxLength": how many items ChangeConfiguration may put in each list.
        ConfigurationKey("MeterValuesSampledDataMaxLength", _ALL_MEASURANDS, readonly=True),
        ConfigurationKey("MeterValuesAlignedDataMaxLength", _ALL_MEASURANDS, readonly=True),
        ConfigurationKey("StopTxnSampledDataMaxLength", _ALL_MEASURANDS, readonly=True),
        ConfigurationKey("StopTxnAlignedDataMaxLength", _ALL_MEASURANDS, readonly=True),
        # One rotation per connector and one for the grid connection (connector 0).
        ConfigurationKey(
            "ConnectorPhaseRotationMaxLength", str(number_of_connectors + 1), readonly=True
        ),
        ConfigurationKey(
            "SupportedFeatureProfilesMaxLength", str(len(FEATURE_PROFILES)), readonly=True
        ),
    ]


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


class OcppConfiguration:
    """Keys are CiString50Type (OCPP 1.6 sections 6.9, 6.23): looked up case-insensitively, and
    reported as the template spells them."""

    def __init__(self, keys: Iterable[ConfigurationKey], url_keys: Iterable[str] = ()) -> None:
        self._keys: dict[str, ConfigurationKey] = {}
        # Keys given a value at run time (ChangeConfiguration, the station itself): only these
        # are restored over the template after a restart, so an edited template's values win
        # for the others.
        self.changed_keys: set[str] = set()
        for item in keys:
            self._keys[item.key.lower()] = item
        # Keys holding a CSMS URL: a ChangeConfiguration must give a ws:// or wss:// one.
        self._url_keys = frozenset(key.lower() for key in url_keys)

    @classmethod
    def from_template(
        cls,
        template_keys: Iterable[Any],
        number_of_connectors: int,
        *,
        supervision_url: tuple[str, str] | None = None,
    ) -> OcppConfiguration:
        """`supervision_url`: (supervisionUrlOcppKey, the station's URL) when the template has
        supervisionUrlOcppConfiguration; the key is added, unless the template has it, as the
        TS simulator adds it: reboot required (the URL serves from the next connection)."""
        keys = default_keys(number_of_connectors)
        keys.extend(
            ConfigurationKey(
                key=item.key,
                value=item.value,
                readonly=item.readonly,
                visible=item.visible,
                reboot=item.reboot,
            )
            for item in template_keys
        )
        if supervision_url is None:
            return cls(keys)
        url_key, url = supervision_url
        if all(item.key.lower() != url_key.lower() for item in keys):
            keys.append(ConfigurationKey(url_key, url, reboot=True))
        return cls(keys, url_keys=(url_key,))

    def get(self, key: str) -> str | None:
        item = self._keys.get(key.lower())
        return item.value if item is not None else None

    def get_int(self, key: str, default: int) -> int:
        value = self.get(key)
        try:
            return int(value) if value is not None else default
        except ValueError:
            return default

    def set(self, key: str, value: str) -> None:
        """Set a value from the station's own logic, readonly or not."""
        self.changed_keys.add(key.lower())
        item = self._keys.get(key.lower())
        if item is None:
            self._keys[key.lower()] = ConfigurationKey(key, value)
        else:
            item.value = value

    def change(self, key: str, value: str) -> ChangeStatus:
        """Apply a ChangeConfiguration.req (OCPP 1.6 section 5.3)."""
        item = self._keys.get(key.lower())
        if item is None:
            return ChangeStatus.NOT_SUPPORTED
        max_length = self.get(f"{item.key}MaxLength")
        max_items = int(max_length) if max_length is not None and max_length.isdigit() else None
        if item.readonly or not valid_value(key, value, max_items):
            return ChangeStatus.REJECTED
        if item.key.lower() in self._url_keys and not _is_ws_url(value):
            return ChangeStatus.REJECTED
        item.value = value
        self.changed_keys.add(item.key.lower())
        return ChangeStatus.REBOOT_REQUIRED if item.reboot else ChangeStatus.ACCEPTED

    def visible(self, keys: Iterable[str] | None = None) -> tuple[list[dict[str, Any]], list[str]]:
        """GetConfiguration.conf (section 5.8): the known visible keys and the unknown ones."""
        if keys is None:
            selected = [item for item in self._keys.values() if item.visible]
            unknown: list[str] = []
        else:
            selected, unknown = [], []
            for key in keys:
                item = self._keys.get(key.lower())
                if item is None or not item.visible:
                    unknown.append(key)
                else:
                    selected.append(item)
        return [_as_wire(item) for item in selected], unknown

    def restore(
        self, persisted: Iterable[dict[str, Any]], changed: Iterable[str] | None = None
    ) -> None:
        """Values a previous run persisted, over the template's: for the keys the template still
        has and does not make readonly (an edited template's readonly value wins), and, when
        `changed` lists them, only for the keys changed at run time."""
        wanted = None if changed is None else {key.lower() for key in changed}
        for entry in persisted:
            name = str(entry.get("key", "")).lower()
            item = self._keys.get(name)
            value = entry.get("value")
            if wanted is not None and name not in wanted:
                continue
            if item is not None and not item.readonly and isinstance(value, str):
                item.value = value
                self.changed_keys.add(name)

    def as_list(self) -> list[dict[str, Any]]:
        # Built on each call, not cached: a cached copy would cost every station ~9 KB.
        return [
            {
                "key": item.key,
                "readonly": item.readonly,
                "value": item.value,
                "visible": item.visible,
                "reboot": item.reboot,
            }
            for item in self._keys.values()
        ]


def _is_ws_url(value: str) -> bool:
    try:
        check_ws_urls([value])
    except ValueError:
        return False
    return True


def _as_wire(item: ConfigurationKey) -> dict[str, Any]:
    entry: dict[str, Any] = {"key": item.key, "readonly": item.readonly}
    if item.value is not None:
        entry["value"] = item.value
    return entry
