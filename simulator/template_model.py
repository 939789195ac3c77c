"""The station template model and its loading.

A template is a TypeScript-simulator station template (same camelCase keys, same defaults), so a
user's files load unchanged: renamed keys are read under their new name, keys of newer TS
versions are kept and warned about once, and keys evsim accepts without a behaviour say so.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal, get_args

from loguru import logger
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic.alias_generators import to_camel
from pydantic.fields import FieldInfo

from simulator.config import SupervisionUrls, check_ws_urls
from simulator.config_error import ConfigError
from simulator.config_loading import read_json_file
from simulator.meter_vocabulary import (
    ChargePointStatus,
    Location,
    Measurand,
    Phase,
    ReadingContext,
    UnitOfMeasure,
    ValueFormat,
)
from simulator.model_keys import display_key
from simulator.newer_keys import ConnectorPowerKey, FirmwareNewerKeys, StationNewerKeys

IdTagDistribution = Literal["random", "round-robin", "connector-affinity"]
# "2.0" means 2.0.1, as in the TS simulator; load_template refuses both until evsim speaks it.
OcppVersion = Literal["1.6", "2.0", "2.0.1"]

# Marks a field (json_schema_extra) evsim accepts without a behaviour, with the reason:
# load_template warns when a template sets it, the configuration reference says so.
NO_BEHAVIOUR = "noBehaviour"


class _TemplateModel(BaseModel):
    # extra="allow": templates in the wild carry keys of newer TS versions; they are kept
    # (model_extra) and load_template warns about each once.
    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, frozen=True, extra="allow"
    )


class SampledValueTemplate(_TemplateModel):
    """One entry of a connector's MeterValues: what to measure and around which value."""

    unit: UnitOfMeasure | None = None
    measurand: Measurand | None = None
    phase: Phase | None = None
    context: ReadingContext | None = Field(
        default=None,
        json_schema_extra={NO_BEHAVIOUR: "a sample's context is the moment it is taken"},
    )
    location: Location | None = None
    format: ValueFormat | None = Field(
        default=None, json_schema_extra={NO_BEHAVIOUR: "values are sent Raw, never signed"}
    )
    # TS templates write numbers as strings ("5000"); pydantic's lax mode reads both.
    value: float | None = None
    fluctuation_percent: float | None = Field(default=None, ge=0)
    minimum_value: float | None = Field(
        default=None, json_schema_extra={NO_BEHAVIOUR: "not used yet"}
    )


class ConnectorTemplate(ConnectorPowerKey, _TemplateModel):
    boot_status: ChargePointStatus | None = None
    meter_values: list[SampledValueTemplate] = Field(default_factory=list, alias="MeterValues")


class ConfigurationKey(_TemplateModel):
    key: str = Field(min_length=1)
    readonly: bool = False
    value: str | None = None
    visible: bool = True
    reboot: bool = False

    @field_validator("value", mode="before")
    @classmethod
    def _as_ocpp_string(cls, value: Any) -> Any:
        # OCPP configuration values are strings; templates sometimes hold JSON numbers or
        # booleans, written the way the TS simulator would send them.
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, int | float):
            return str(value)
        return value


class StationConfiguration(_TemplateModel):
    configuration_key: list[ConfigurationKey] = Field(default_factory=list)


class AutomaticTransactionGeneratorTemplate(_TemplateModel):
    """The AutomaticTransactionGenerator section; defaults are the TS simulator's."""

    enable: bool = False
    min_duration: int = Field(default=60, ge=0)
    max_duration: int = Field(default=120, ge=0)
    min_delay_between_two_transactions: int = Field(default=15, ge=0)
    max_delay_between_two_transactions: int = Field(default=30, ge=0)
    probability_of_start: float = Field(default=1.0, ge=0, le=1)
    stop_after_hours: float = Field(default=0.25, ge=0)
    stop_on_connection_failure: bool = True
    require_authorize: bool = True
    id_tag_distribution: IdTagDistribution = "random"

    @model_validator(mode="after")
    def _ranges(self) -> AutomaticTransactionGeneratorTemplate:
        if self.min_duration > self.max_duration:
            raise ValueError(
                f"minDuration ({self.min_duration}) is above maxDuration ({self.max_duration})"
            )
        if self.min_delay_between_two_transactions > self.max_delay_between_two_transactions:
            raise ValueError(
                "minDelayBetweenTwoTransactions is above maxDelayBetweenTwoTransactions"
            )
        return self


class CommandsSupport(_TemplateModel):
    """Empty means every implemented command is supported."""

    incoming_commands: dict[str, bool] = Field(default_factory=dict)
    outgoing_commands: dict[str, bool] = Field(default_factory=dict)


class FirmwareUpgrade(FirmwareNewerKeys, _TemplateModel):
    """`firmwareUpgrade`: how an UpdateFirmware (OCPP 1.6 section 5.19) goes. `reset` and
    `failureStatus` and `versionUpgrade` as in the TS simulator (without versionUpgrade the
    version comes from the location); the durations are evsim's own."""

    download_seconds: float = Field(default=5, ge=0)
    install_seconds: float = Field(default=5, ge=0)
    failure_status: Literal["DownloadFailed", "InstallationFailed"] | None = None
    reset: bool = True


# (key, attribute) -> default, by currentOutType.
_DEFAULTS_BY_CURRENT: dict[str, dict[tuple[str, str], int]] = {
    "AC": {("voltageOut", "voltage_out"): 230, ("numberOfPhases", "number_of_phases"): 3},
    "DC": {("voltageOut", "voltage_out"): 400, ("numberOfPhases", "number_of_phases"): 0},
}


class StationTemplate(StationNewerKeys, _TemplateModel):
    """A station template. Attributes are its keys in snake_case; see the README's table."""

    supervision_urls: SupervisionUrls = Field(default_factory=list)
    supervision_user: str = ""
    supervision_password: str = Field(default="", repr=False)
    supervision_url_ocpp_configuration: bool = False
    supervision_url_ocpp_key: str = "ConnectionUrl"
    ocpp_version: OcppVersion = "1.6"
    ocpp_protocol: Literal["json"] = "json"
    ocpp_strict_compliance: bool = False
    ocpp_persistent_configuration: bool = True
    station_info_persistent_configuration: bool = True
    # evsim: the bound of the station's transaction message queue (section 3.7), past which the
    # oldest MeterValues that are no transaction boundary are dropped.
    transaction_queue_max_length: int = Field(default=1000, ge=1)
    ws_options: dict[str, Any] = Field(default_factory=dict)
    authorization_file: str = ""
    base_name: str = ""
    name_suffix: str = ""
    fixed_name: bool = False
    charge_point_model: str = ""
    charge_point_vendor: str = ""
    charge_point_serial_number_prefix: str = ""
    charge_box_serial_number_prefix: str = ""
    # Not in the TS README's table, but BootNotification fields the TS simulator reads.
    meter_serial_number_prefix: str = ""
    # BootNotification.req bounds them (meterType CiString25, iccid and imsi CiString20): a
    # longer value is a template error rather than a boot the CSMS must refuse.
    meter_type: str = Field(default="", max_length=25)
    iccid: str = Field(default="", max_length=20)
    imsi: str = Field(default="", max_length=20)
    firmware_version: str = ""
    power: float | list[float] | None = None
    power_shared_by_connectors: bool = False
    power_unit: Literal["W", "kW"] = "W"
    current_out_type: Literal["AC", "DC"] = "AC"
    voltage_out: int = Field(default=230, gt=0)  # DC default (400) set by _current_defaults
    number_of_phases: Literal[0, 1, 3] = 3  # DC default (0) set by _current_defaults
    number_of_connectors: int | list[int] | None = None
    use_connector_id0: bool = True
    random_connectors: bool = False
    reset_time: int = Field(default=60, ge=0)
    # evsim: seconds between the Reset.conf leaving and the close, so the CSMS reads it first.
    reset_close_delay: float = Field(default=1.0, ge=0)
    auto_register: bool = False
    auto_reconnect_max_retries: int = Field(default=-1, ge=-1)
    reconnect_exponential_delay: bool = False
    registration_max_retries: int = Field(default=-1, ge=-1)
    amperage_limitation_ocpp_key: str | None = None
    amperage_limitation_unit: Literal["A", "cA", "dA", "mA"] = "A"
    enable_statistics: bool = True
    must_authorize_at_remote_start: bool = True
    payload_schema_validation: bool = True
    begin_end_meter_values: bool = False
    # Read through out_of_order_end_meter_values, which ocppStrictCompliance overrules.
    requested_out_of_order_end_meter_values: bool = Field(
        default=False, alias="outOfOrderEndMeterValues"
    )
    metering_per_transaction: bool = True
    transaction_data_meter_values: bool = False
    main_voltage_meter_values: bool = True
    phase_line_to_line_voltage_meter_values: bool = True
    custom_value_limitation_meter_values: bool = True
    commands_support: CommandsSupport = Field(default_factory=CommandsSupport)
    firmware_upgrade: FirmwareUpgrade = Field(default_factory=FirmwareUpgrade)
    # evsim failure injection: the first reset attempts that fail (ResetRetries, OCPP 1.6
    # section 9.1.22); 0, the default: every reset succeeds.
    reset_failed_attempts: int = Field(default=0, ge=0)
    configuration: StationConfiguration = Field(
        default_factory=StationConfiguration, alias="Configuration"
    )
    automatic_transaction_generator: AutomaticTransactionGeneratorTemplate = Field(
        default_factory=AutomaticTransactionGeneratorTemplate,
        alias="AutomaticTransactionGenerator",
    )
    connectors: dict[int, ConnectorTemplate] = Field(default_factory=dict, alias="Connectors")

    @property
    def out_of_order_end_meter_values(self) -> bool:
        """Transaction.End MeterValues after StopTransaction: only when ocppStrictCompliance is
        off, as in the TS simulator (OCPP 1.6 section 3.7: transaction-related messages go in
        chronological order, so the end reading goes before the StopTransaction)."""
        return self.requested_out_of_order_end_meter_values and not self.ocpp_strict_compliance

    @model_validator(mode="before")
    @classmethod
    def _current_defaults(cls, data: Any) -> Any:
        """voltageOut and numberOfPhases default by currentOutType (AC 230 V 3 phases, DC
        400 V 0 phases), as in the TS simulator."""
        if not isinstance(data, Mapping):
            return data
        current = data.get("currentOutType", data.get("current_out_type", "AC"))
        defaults = _DEFAULTS_BY_CURRENT.get(current) if isinstance(current, str) else None
        if defaults is None:
            return data  # an invalid currentOutType is reported by its own validation
        missing = {
            key: value
            for (key, name), value in defaults.items()
            if key not in data and name not in data
        }
        return {**data, **missing} if missing else data

    @field_validator("ocpp_version", mode="before")
    @classmethod
    def _version_as_string(cls, value: Any) -> Any:
        return _version_string(value)

    @field_validator("supervision_urls")
    @classmethod
    def _ws_urls(cls, urls: list[str]) -> list[str]:
        return check_ws_urls(urls)

    @field_validator("power")
    @classmethod
    def _positive_power(cls, power: float | list[float] | None) -> float | list[float] | None:
        values = power if isinstance(power, list) else [] if power is None else [power]
        if isinstance(power, list) and not power:
            raise ValueError("power list is empty")
        if any(value <= 0 for value in values):
            raise ValueError("power must be above 0")
        return power

    @field_validator("number_of_connectors")
    @classmethod
    def _connector_counts(cls, count: int | list[int] | None) -> int | list[int] | None:
        values = count if isinstance(count, list) else [] if count is None else [count]
        if isinstance(count, list) and not count:
            raise ValueError("numberOfConnectors list is empty")
        if any(value < 0 for value in values):
            raise ValueError("numberOfConnectors must be 0 or more")
        return count


# --- loading ------------------------------------------------------------------------------------

# Keys the TS simulator renamed; older or newer templates use the other spelling.
_RENAMED_TEMPLATE_KEYS = {"supervisionUrl": "supervisionUrls", "idTagsFile": "authorizationFile"}


def _upgrade_keys(raw: dict[str, Any], file: Path) -> dict[str, Any]:
    data = dict(raw)
    for old, new in _RENAMED_TEMPLATE_KEYS.items():
        if old in data and new not in data:
            data[new] = data.pop(old)
            logger.warning("{}: key {!r} read as {!r}", file, old, new)
    evses = data.get("Evses")
    if "Connectors" not in data and isinstance(evses, Mapping):
        # An EVSE-grouped template: its connector ids are station-wide, so the grouping can be
        # flattened into the Connectors section OCPP 1.6 stations use.
        connectors: dict[str, Any] = {}
        for evse in evses.values():
            if isinstance(evse, Mapping) and isinstance(evse.get("Connectors"), Mapping):
                connectors.update(evse["Connectors"])
        data["Connectors"] = connectors
        del data["Evses"]
        logger.warning("{}: key 'Evses' read as 'Connectors' (EVSE grouping ignored)", file)
    return data


def no_behaviour_reason(info: FieldInfo) -> str | None:
    """Why evsim gives the field no behaviour, when it is marked NO_BEHAVIOUR."""
    extra = info.json_schema_extra
    reason = extra.get(NO_BEHAVIOUR) if isinstance(extra, dict) else None
    return reason if isinstance(reason, str) else None


def _warn_extra_keys(
    model: BaseModel, path: str, file: Path, seen: set[tuple[type[BaseModel], str]]
) -> None:
    # Once per key and model class: a key repeated in every connector is one warning.
    for key in model.model_extra or {}:
        if (type(model), key) not in seen:
            seen.add((type(model), key))
            where = f"{path}.{key}" if path else key
            logger.warning("{}: unknown key {!r} not used by evsim", file, where)
    for name, info in type(model).model_fields.items():
        value = getattr(model, name)
        key = display_key(type(model), name)
        where = f"{path}.{key}" if path else key
        reason = no_behaviour_reason(info)
        if reason and name in model.model_fields_set and (type(model), key) not in seen:
            seen.add((type(model), key))
            logger.warning("{}: key {!r} has no behaviour in evsim: {}", file, where, reason)
        if isinstance(value, BaseModel):
            _warn_extra_keys(value, where, file, seen)
        elif isinstance(value, list):
            for i, item in enumerate(value):
                if isinstance(item, BaseModel):
                    _warn_extra_keys(item, f"{where}[{i}]", file, seen)
        elif isinstance(value, dict):
            for item_key, item in value.items():
                if isinstance(item, BaseModel):
                    _warn_extra_keys(item, f"{where}.{item_key}", file, seen)


def load_template(path: Path) -> StationTemplate:
    """The station template in `path`. Raises ConfigError(file, key, reason)."""
    path = Path(path)
    raw = read_json_file(path)
    _refuse_unavailable_version(raw, path)
    data = _upgrade_keys(raw, path)
    try:
        template = StationTemplate.model_validate(data)
    except ValidationError as exc:
        raise ConfigError.from_validation_error(path, StationTemplate, exc) from None
    _warn_extra_keys(template, "", path, set())
    return template


# The OCPP versions a station can speak today. The model knows more, so that a 2.0.1 template is
# told why it cannot run rather than that its ocppVersion is misspelt.
AVAILABLE_OCPP_VERSIONS = frozenset({"1.6"})
_KNOWN_OCPP_VERSIONS = frozenset(get_args(OcppVersion))


def _refuse_unavailable_version(raw: Mapping[str, Any], file: Path) -> None:
    # Before the key upgrades: a 2.0.1 template's Evses would otherwise warn first about a
    # flattening that never happens.
    version = _version_string(raw.get("ocppVersion", raw.get("ocpp_version", "1.6")))
    if version in _KNOWN_OCPP_VERSIONS - AVAILABLE_OCPP_VERSIONS:
        raise ConfigError(file, "ocppVersion", "OCPP 2.0.1 stations are not available yet")


def _version_string(value: Any) -> Any:
    # JSON templates write the version as a number too (1.6).
    return str(value) if isinstance(value, int | float) else value


__all__ = [
    "AVAILABLE_OCPP_VERSIONS",
    "NO_BEHAVIOUR",
    "AutomaticTransactionGeneratorTemplate",
    "CommandsSupport",
    "ConfigurationKey",
    "ConnectorTemplate",
    "FirmwareUpgrade",
    "OcppVersion",
    "SampledValueTemplate",
    "StationConfiguration",
    "StationTemplate",
    "load_template",
    "no_behaviour_reason",
]
