"""The station template model and its loading.

A template is a TypeScript-simulator station template (same camelCase keys, same defaults), so a
user's files load unchanged: renamed keys are read under their new name, keys of newer TS
versions are kept and warned about once, and keys evsim accepts without a behaviour say so.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final, Literal, get_args

from loguru import logger
from pydantic import (
    BaseModel,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from simulator.config import SupervisionUrls, check_ws_urls
from simulator.config_error import ConfigError
from simulator.config_loading import read_json_file
from simulator.model_keys import display_key
from simulator.newer_keys import StationNewerKeys
from simulator.template_sections import (
    NO_BEHAVIOUR,
    AutomaticTransactionGeneratorTemplate,
    CommandsSupport,
    ConfigurationKey,
    ConnectorTemplate,
    EvseTemplate,
    FirmwareUpgrade,
    SampledValueTemplate,
    StationConfiguration,
    TemplateModel,
    no_behaviour_reason,
)

# A template may say "2.0": it means 2.0.1, as in the TS simulator, and is read so.
OcppVersion = Literal["1.6", "2.0.1"]
OCPP_16: Final = "1.6"
OCPP_201: Final = "2.0.1"
_VERSION_ALIASES: Final = {"2.0": OCPP_201}

# (key, attribute) -> default, by currentOutType.
_DEFAULTS_BY_CURRENT: dict[str, dict[tuple[str, str], int]] = {
    "AC": {("voltageOut", "voltage_out"): 230, ("numberOfPhases", "number_of_phases"): 3},
    "DC": {("voltageOut", "voltage_out"): 400, ("numberOfPhases", "number_of_phases"): 0},
}


class StationTemplate(StationNewerKeys, TemplateModel):
    """A station template. Attributes are its keys in snake_case; see the README's table."""

    supervision_urls: SupervisionUrls = Field(default_factory=list)
    """CSMS URL or list of URLs (`ws://`, `wss://`); a station connects to `<url>/<stationId>`. A
    template's own supervisionUrls win"""
    supervision_user: str = ""
    """HTTP basic auth user towards the CSMS"""
    supervision_password: str = Field(default="", repr=False)
    """HTTP basic auth password towards the CSMS"""
    supervision_url_ocpp_configuration: bool = False
    """let a vendor OCPP configuration key set the supervision URL"""
    supervision_url_ocpp_key: str = "ConnectionUrl"
    """that vendor key's name"""
    ocpp_version: OcppVersion = "1.6"
    """OCPP version: `1.6` or `2.0.1` (`2.0` is read as 2.0.1); a 2.0.1 station id is at most 48
    characters, without ":" (OCPP-J 2.0.1 3.1.1)"""
    ocpp_protocol: Literal["json"] = "json"
    """OCPP protocol: `json` (OCPP-J) only; `soap` stops the start"""
    ocpp_strict_compliance: bool = False
    """strict adherence to the OCPP 1.6 specification"""
    ocpp_persistent_configuration: bool = True
    """persist OCPP configuration keys by hashId"""
    station_info_persistent_configuration: bool = True
    """persist station information by hashId"""
    # evsim: the bound of the station's transaction message queue (section 3.7), past which the
    # oldest MeterValues that are no transaction boundary are dropped.
    transaction_queue_max_length: int = Field(default=1000, ge=1)
    """evsim: bound of the queue of transaction messages kept while offline; past it the oldest
    MeterValues that are no transaction boundary are dropped"""
    ws_options: dict[str, Any] = Field(default_factory=dict)
    """node `ws` client options with a websockets equivalent: `handshakeTimeout` (ms),
    `perMessageDeflate`, `maxPayload`, `headers`, TLS `ca`, `cert`, `key`, `passphrase`,
    `rejectUnauthorized`; the other (Node-only) options are ignored"""
    authorization_file: str = ""
    """JSON list of idTags for the ATG and local authorization, relative to the config file's
    directory; watched and pushed to the stations when it changes (also read as `idTagsFile`)"""
    base_name: str = ""
    """station id prefix: `<baseName>-<instance><index:04d><nameSuffix>`"""
    name_suffix: str = ""
    """station id suffix"""
    fixed_name: bool = False
    """the station id is baseName alone (one station per template)"""
    charge_point_model: str = ""
    """BootNotification chargePointModel; part of the hashId"""
    charge_point_vendor: str = ""
    """BootNotification chargePointVendor; part of the hashId"""
    charge_point_serial_number_prefix: str = ""
    """BootNotification chargePointSerialNumber prefix; a suffix from the run seed and station id
    completes it"""
    charge_box_serial_number_prefix: str = ""
    """BootNotification chargeBoxSerialNumber prefix (deprecated in OCPP 1.6, still sent)"""
    # Not in the TS README's table, but BootNotification fields the TS simulator reads.
    meter_serial_number_prefix: str = ""
    """BootNotification meterSerialNumber prefix"""
    # BootNotification.req bounds them (meterType CiString25, iccid and imsi CiString20): a
    # longer value is a template error rather than a boot the CSMS must refuse.
    meter_type: str = Field(default="", max_length=25)
    """BootNotification meterType (at most 25 characters); part of the hashId, as in the TS
    simulator"""
    iccid: str = Field(default="", max_length=20)
    """BootNotification iccid (at most 20 characters)"""
    imsi: str = Field(default="", max_length=20)
    """BootNotification imsi (at most 20 characters)"""
    firmware_version: str = ""
    """BootNotification firmwareVersion (UpdateFirmware replaces it)"""
    power: float | list[float] | None = None
    """station maximum power (a list: one value drawn per station), in powerUnit"""
    power_shared_by_connectors: bool = False
    """the station power is shared by the charging connectors"""
    power_unit: Literal["W", "kW"] = "W"
    """unit of power: `W` or `kW`"""
    current_out_type: Literal["AC", "DC"] = "AC"
    """`AC` or `DC`"""
    voltage_out: int = Field(default=230, gt=0)  # DC default (400) set by _current_defaults
    """output voltage (V)"""
    number_of_phases: Literal[0, 1, 3] = 3  # DC default (0) set by _current_defaults
    """phases: 0 (DC), 1 or 3"""
    number_of_connectors: int | list[int] | None = None
    """connector count (a list: one value drawn per station); without it, the Connectors defined"""
    use_connector_id0: bool = True
    """keep the template's connector 0 definition"""
    random_connectors: bool = False
    """shuffle the connector definitions over the connector ids"""
    reset_time: int = Field(default=60, ge=0)
    """seconds a Reset keeps the station away"""
    reset_close_delay: float = Field(default=1.0, ge=0)
    """evsim: seconds between the Reset.conf leaving and the WebSocket closing (so the CSMS reads
    the answer first); resetTime counts from the close"""
    auto_register: bool = False
    """consider the station registered without an accepted BootNotification"""
    auto_reconnect_max_retries: int = Field(default=-1, ge=-1)
    """reconnect attempts before giving up (-1: forever)"""
    reconnect_exponential_delay: bool = False
    """capped exponential back-off with jitter between reconnects (else ConnectionTimeOut +/- 20
    %)"""
    registration_max_retries: int = Field(default=-1, ge=-1)
    """BootNotification attempts while not accepted (-1: forever)"""
    amperage_limitation_ocpp_key: str | None = None
    """OCPP key holding the amperage limit (per phase and connector on AC, station-wide on DC)"""
    amperage_limitation_unit: Literal["A", "cA", "dA", "mA"] = "A"
    """unit of that key's value: `A`, `cA`, `dA`, `mA`"""
    enable_statistics: bool = True
    """keep the station's statistics and performance record"""
    must_authorize_at_remote_start: bool = True
    """authorize a remote start first when AuthorizeRemoteTxRequests is on"""
    payload_schema_validation: bool = True
    """validate outgoing CALLs, incoming answers and our replies against the JSON schemas of the
    station's OCPP version (incoming CALLs always are)"""
    begin_end_meter_values: bool = False
    """send Transaction.Begin and Transaction.End MeterValues"""
    # Read through out_of_order_end_meter_values, which ocppStrictCompliance overrules.
    requested_out_of_order_end_meter_values: bool = Field(
        default=False, alias="outOfOrderEndMeterValues"
    )
    """send the Transaction.End MeterValues after StopTransaction"""
    metering_per_transaction: bool = True
    """energy register per transaction (meterStart 0), else per connector (monotone across
    transactions)"""
    transaction_data_meter_values: bool = False
    """StopTransaction carries transactionData"""
    main_voltage_meter_values: bool = True
    """include the line-to-neutral voltages on three-phase stations"""
    phase_line_to_line_voltage_meter_values: bool = True
    """include the line-to-line voltages on three-phase stations"""
    custom_value_limitation_meter_values: bool = True
    """keep fluctuated custom values within the limits"""
    commands_support: CommandsSupport = Field(default_factory=CommandsSupport)
    """which OCPP commands the station supports; empty: all implemented"""
    firmware_upgrade: FirmwareUpgrade = Field(default_factory=FirmwareUpgrade)
    """how an UpdateFirmware goes"""
    # evsim failure injection: the first reset attempts that fail (ResetRetries, OCPP 1.6
    # section 9.1.22); 0, the default: every reset succeeds.
    reset_failed_attempts: int = Field(default=0, ge=0)
    """evsim failure injection: the first reset attempts that fail (ResetRetries); 0: every reset
    succeeds"""
    configuration: StationConfiguration = Field(
        default_factory=StationConfiguration, alias="Configuration"
    )
    """the station's OCPP configuration"""
    automatic_transaction_generator: AutomaticTransactionGeneratorTemplate = Field(
        default_factory=AutomaticTransactionGeneratorTemplate,
        alias="AutomaticTransactionGenerator",
    )
    """the automatic transaction generator (ATG): one loop per connector, every draw from the
    station's seeded generator"""
    connectors: dict[int, ConnectorTemplate] = Field(default_factory=dict, alias="Connectors")
    """connector id -> its definition (`0` is the station itself)"""
    evses: dict[int, EvseTemplate] = Field(default_factory=dict, alias="Evses")
    """OCPP 2.0.1, instead of Connectors: EVSE id (1, 2, ... without gap; `0` is the station,
    holding connector `0`) -> its Connectors; the station numbers the connectors 1..N in EVSE
    order (the TS simulator's numbering: its keys when they run so). A 1.6 template's Evses are
    read as Connectors"""

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
        version = _version_string(value)
        return _VERSION_ALIASES.get(version, version) if isinstance(version, str) else version

    @field_validator("evses")
    @classmethod
    def _evse_layout(
        cls, evses: dict[int, EvseTemplate], info: ValidationInfo
    ) -> dict[int, EvseTemplate]:
        if evses and info.data.get("connectors"):
            raise ValueError("Connectors and Evses are both defined: a template has one of them")
        problem = evse_layout_problem({evse: set(e.connectors) for evse, e in evses.items()})
        if problem is not None:
            raise ValueError(problem)
        return evses

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
    version = _version_string(data.get("ocppVersion", data.get("ocpp_version", OCPP_16)))
    if version == OCPP_16 and "Connectors" not in data and isinstance(evses, Mapping):
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
    data = _upgrade_keys(raw, path)
    try:
        template = StationTemplate.model_validate(data)
    except ValidationError as exc:
        raise ConfigError.from_validation_error(path, StationTemplate, exc) from None
    _warn_extra_keys(template, "", path, set())
    return template


# The OCPP versions a template may name (a station is built for it when simulator/station/
# adapters.py has its row).
OCPP_VERSIONS = frozenset(get_args(OcppVersion))


def evse_layout_problem(evses: Mapping[int, set[int]]) -> str | None:
    """What is wrong with an Evses layout (EVSE id -> its connector keys), if anything: EVSE 0
    is the station, holding connector 0 alone; the others are numbered 1, 2, ... without gap
    (OCPP 2.0.1 designates an EVSE and a connector by index numbers) and hold at least one
    connector, none of them 0."""
    numbered = sorted(evse for evse in evses if evse != 0)
    if any(evse < 0 for evse in numbered) or numbered != list(range(1, len(numbered) + 1)):
        return f"EVSE ids are 0 (the station) and 1, 2, ... without gap, not {numbered}"
    if evses.get(0, set()) - {0}:
        return "EVSE 0 is the station: it holds connector 0 alone"
    for evse in numbered:
        keys = evses[evse]
        if not keys:
            return f"EVSE {evse} has no connector"
        if any(key <= 0 for key in keys):
            return f"EVSE {evse}: connector ids are 1 or more (0 is the station's, in EVSE 0)"
    return None


def _version_string(value: Any) -> Any:
    # JSON templates write the version as a number too (1.6).
    return str(value) if isinstance(value, int | float) else value


__all__ = [
    "NO_BEHAVIOUR",
    "OCPP_16",
    "OCPP_201",
    "OCPP_VERSIONS",
    "AutomaticTransactionGeneratorTemplate",
    "CommandsSupport",
    "ConfigurationKey",
    "ConnectorTemplate",
    "EvseTemplate",
    "FirmwareUpgrade",
    "OcppVersion",
    "SampledValueTemplate",
    "StationConfiguration",
    "StationTemplate",
    "evse_layout_problem",
    "load_template",
    "no_behaviour_reason",
]
