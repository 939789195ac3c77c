"""Station templates and the plan of stations built from them.

A template is a TypeScript-simulator station template (same camelCase keys, same defaults), so a
user's files load unchanged. The plan expands config.json's stationTemplateUrls into one
StationSpec per station: its id, hashId, serial numbers, connectors and supervision URL, all
deterministic functions of the template, the station's index and the run seed, so a station is
the same station on every run and machine (its persisted state is found again by hashId).
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote

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

from simulator.config import Settings, SupervisionUrlDistribution, SupervisionUrls, check_ws_urls
from simulator.config_error import ConfigError
from simulator.config_loading import read_json_file
from simulator.model_keys import display_key
from simulator.newer_keys import ConnectorPowerKey, FirmwareNewerKeys, StationNewerKeys
from simulator.shards import shard_block

# OCPP 1.6 enumerations (the JSON schemas' values, 'Celcius' and 'Hertz' included).
ChargePointStatus = Literal[
    "Available",
    "Preparing",
    "Charging",
    "SuspendedEVSE",
    "SuspendedEV",
    "Finishing",
    "Reserved",
    "Unavailable",
    "Faulted",
]
Measurand = Literal[
    "Energy.Active.Export.Register",
    "Energy.Active.Import.Register",
    "Energy.Reactive.Export.Register",
    "Energy.Reactive.Import.Register",
    "Energy.Active.Export.Interval",
    "Energy.Active.Import.Interval",
    "Energy.Reactive.Export.Interval",
    "Energy.Reactive.Import.Interval",
    "Power.Active.Export",
    "Power.Active.Import",
    "Power.Offered",
    "Power.Reactive.Export",
    "Power.Reactive.Import",
    "Power.Factor",
    "Current.Import",
    "Current.Export",
    "Current.Offered",
    "Voltage",
    "Frequency",
    "Temperature",
    "SoC",
    "RPM",
]
Phase = Literal["L1", "L2", "L3", "N", "L1-N", "L2-N", "L3-N", "L1-L2", "L2-L3", "L3-L1"]
UnitOfMeasure = Literal[
    "Wh",
    "kWh",
    "varh",
    "kvarh",
    "W",
    "kW",
    "VA",
    "kVA",
    "var",
    "kvar",
    "A",
    "V",
    "K",
    "Celcius",
    "Celsius",
    "Fahrenheit",
    "Percent",
    "Hertz",
]
ReadingContext = Literal[
    "Interruption.Begin",
    "Interruption.End",
    "Sample.Clock",
    "Sample.Periodic",
    "Transaction.Begin",
    "Transaction.End",
    "Trigger",
    "Other",
]
Location = Literal["Cable", "EV", "Inlet", "Outlet", "Body"]
ValueFormat = Literal["Raw", "SignedData"]
IdTagDistribution = Literal["random", "round-robin", "connector-affinity"]

# Marks a field (json_schema_extra) evsim accepts without a behaviour, with the reason:
# load_template warns when a template sets it, the configuration reference says so.
NO_BEHAVIOUR = "noBehaviour"

# BootNotification's chargePointSerialNumber and chargeBoxSerialNumber are CiString25.
SERIAL_NUMBER_MAX_LENGTH = 25


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
    ocpp_version: Literal["1.6"] = "1.6"
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
        return str(value) if isinstance(value, int | float) else value

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
    data = _upgrade_keys(read_json_file(path), path)
    try:
        template = StationTemplate.model_validate(data)
    except ValidationError as exc:
        raise ConfigError.from_validation_error(path, StationTemplate, exc) from None
    _warn_extra_keys(template, "", path, set())
    return template


# --- station identity ---------------------------------------------------------------------------


def make_station_id(template: StationTemplate, index: int, instance_index: int = 0) -> str:
    """The TS simulator's rule: baseName when fixedName, else
    ``<baseName>-<instance><index, 4 digits or more><nameSuffix>`` ("CS-SIMU-00001").

    The TS simulator keeps only the last 4 digits (index 10001 -> "0001", a duplicate);
    evsim keeps them all so that every index gives a distinct id."""
    if template.fixed_name:
        return template.base_name
    return f"{template.base_name}-{instance_index}{index:04d}{template.name_suffix}"


def identity_json(template: StationTemplate) -> str:
    """The template part of the hashId input, byte for byte the TS simulator's
    ``JSON.stringify`` of the station info it hashes, so hashIds (and the names of persisted
    configurations) match the TS simulator's for the same template and index."""
    info: dict[str, str] = {}
    fields_set = template.model_fields_set
    # (TS key, attribute): TS includes a key when the template defines it, even as "".
    for key, name in (
        ("chargePointModel", "charge_point_model"),
        ("chargePointVendor", "charge_point_vendor"),
        ("chargeBoxSerialNumber", "charge_box_serial_number_prefix"),
        ("chargePointSerialNumber", "charge_point_serial_number_prefix"),
        ("meterSerialNumber", "meter_serial_number_prefix"),
        ("meterType", "meter_type"),
    ):
        if name in fields_set:
            info[key] = getattr(template, name)
    return json.dumps(info, ensure_ascii=False, separators=(",", ":"))


def make_hash_id(template: StationTemplate, station_id: str) -> str:
    """The station's hashId: sha384 over its identity (model, vendor, serial-number prefixes)
    and its id. Stable across runs and machines; it names the station's persisted state."""
    return _hash_id(identity_json(template), station_id)


def _hash_id(identity: str, station_id: str) -> str:
    return hashlib.sha384((identity + station_id).encode()).hexdigest()


# Per template object (templates are immutable): stations persist often, templates are few.
_TEMPLATE_HASHES: dict[int, tuple[StationTemplate, str]] = {}


def template_hash(template: StationTemplate) -> str:
    """A digest of what the template file sets, persisted with a station's state: a different
    one at the next start says the template was edited since (its configuration is
    regenerated). Defaults stay out, so a key evsim learns does not count as an edit."""
    known = _TEMPLATE_HASHES.get(id(template))
    if known is not None and known[0] is template:
        return known[1]
    digest = hashlib.sha256(
        template.model_dump_json(by_alias=True, exclude_unset=True).encode()
    ).hexdigest()
    if len(_TEMPLATE_HASHES) >= 256:
        _TEMPLATE_HASHES.clear()  # reloads made many: start over rather than grow
    _TEMPLATE_HASHES[id(template)] = (template, digest)
    return digest


def _digest_int(run_seed: int, station_id: str, purpose: bytes) -> int:
    # One independent stream per purpose, so that e.g. the URL drawn does not correlate with
    # the number of connectors drawn for the same station.
    digest = hashlib.blake2b(
        f"{run_seed}\x00{station_id}".encode(), digest_size=8, person=purpose
    ).digest()
    return int.from_bytes(digest, "big")


def _station_digest(run_seed: int, station_id: str) -> bytes:
    # The station seed (first half) and its serial-number suffix (second half) in one hash:
    # planning 50,000 stations pays for every hash call.
    return hashlib.blake2b(
        f"{run_seed}\x00{station_id}".encode(), digest_size=16, person=b"evsim-station"
    ).digest()


def make_station_seed(run_seed: int, station_id: str) -> int:
    """The seed of the station's own random generator (connectors, power, ATG, meters)."""
    return int.from_bytes(_station_digest(run_seed, station_id)[:8], "big")


def serial_number_suffix(run_seed: int, station_id: str) -> str:
    """16 uppercase hex digits, the same for every run with the same seed."""
    return _station_digest(run_seed, station_id)[8:].hex().upper()


def make_serial_number(prefix: str, suffix: str) -> str | None:
    """prefix + as much of `suffix` as fits OCPP's 25 characters (at least 6 digits); None
    without a prefix: the TS simulator then sends no serial number."""
    if not prefix:
        return None
    room = min(len(suffix), max(6, SERIAL_NUMBER_MAX_LENGTH - len(prefix)))
    return prefix + suffix[:room]


_EMPTY_CONNECTOR = ConnectorTemplate()


def resolve_connectors(template: StationTemplate, seed: int) -> dict[int, ConnectorTemplate]:
    """Connector id -> its template for one station.

    numberOfConnectors (a list: one value drawn with the station's random) gives ids 1..N;
    without it, the template's non-zero Connectors count. Each id takes the template's
    entry of that id, else the "1" entry, else the first non-zero one. Connector 0 is kept
    when useConnectorId0 and the template defines it. randomConnectors shuffles the
    templates over the ids. Templates are shared, not copied: do not mutate them.
    """
    defined = template.connectors
    non_zero = sorted(cid for cid in defined if cid > 0)
    rng: random.Random | None = None
    count_setting = template.number_of_connectors
    if isinstance(count_setting, list):
        rng = random.Random(seed)
        count = rng.choice(count_setting)
    elif count_setting is None:
        count = len(non_zero)
    else:
        count = count_setting
    if 1 in defined:
        fallback = defined[1]
    elif non_zero:
        fallback = defined[non_zero[0]]
    else:
        fallback = _EMPTY_CONNECTOR
    chosen = [defined.get(cid, fallback) for cid in range(1, count + 1)]
    if template.random_connectors:
        (rng or random.Random(seed)).shuffle(chosen)
    connectors: dict[int, ConnectorTemplate] = {}
    if template.use_connector_id0 and 0 in defined:
        connectors[0] = defined[0]
    connectors.update(zip(range(1, count + 1), chosen, strict=True))
    return connectors


def choose_supervision_url(
    urls: Sequence[str],
    distribution: SupervisionUrlDistribution,
    *,
    global_index: int,
    station_id: str,
    run_seed: int,
) -> str:
    """The URL of `urls` a station connects to.

    round-robin: by the station's position in the whole plan; random: drawn from the run seed
    and the station id (another seed, another draw); charging-station-affinity: a hash of the
    station id alone, so a station keeps its CSMS whatever the seed or the other stations.
    """
    if not urls:
        raise ValueError("no supervision URL to choose from")
    if distribution == "round-robin":
        return urls[global_index % len(urls)]
    if distribution == "random":
        return urls[_digest_int(run_seed, station_id, b"evsim-url") % len(urls)]
    digest = hashlib.sha256(station_id.encode()).digest()
    return urls[int.from_bytes(digest[:8], "big") % len(urls)]


def station_ws_url(supervision_url: str, station_id: str) -> str:
    """OCPP-J: the endpoint URL + '/' + the station identity, percent-encoded (RFC 3986)."""
    return f"{supervision_url.rstrip('/')}/{quote(station_id, safe='')}"


# --- the plan -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StationSpec:
    """Everything a worker needs to build one station. Pickles; the template is shared by the
    stations of a template (pickle keeps it shared within one message)."""

    index: int  # 1-based within its template
    global_index: int  # 0-based position in the whole fleet, the same in every shard
    template_name: str  # file stem
    template_path: str
    template: StationTemplate = field(hash=False, repr=False)
    station_id: str
    hash_id: str
    supervision_url: str
    supervision_user: str | None  # None: no basic auth
    supervision_password: str | None = field(repr=False)
    charge_point_serial_number: str | None
    charge_box_serial_number: str | None
    meter_serial_number: str | None
    connectors: dict[int, ConnectorTemplate] = field(hash=False, repr=False)
    seed: int  # for this station's random.Random
    authorization_file: str | None  # the template's authorizationFile, resolved
    auto_start: bool = True  # False: added stopped (the UI's addChargingStations autoStart)
    config_dir: str = ""  # where relative paths of the template (wsOptions' certificates) start

    @property
    def ws_url(self) -> str:
        return station_ws_url(self.supervision_url, self.station_id)


@dataclass(slots=True)
class _LoadedTemplate:
    template: StationTemplate
    path: Path
    identity: str
    last_index: int = 0


def plan_stations(settings: Settings, *, instance_index: int = 0) -> list[StationSpec]:
    """One spec per station of settings.stationTemplateUrls, in file order then index order.

    Each template file is loaded once; a file listed twice continues its numbering, so its
    station ids stay distinct. Raises ConfigError for a missing or invalid template, stations
    without a supervision URL, and two stations with the same id.
    """
    if settings.shard_index >= settings.shard_count:
        raise ConfigError(
            settings.config_path,
            "shardIndex",
            f"shard {settings.shard_index} does not exist among {settings.shard_count} shards",
        )
    specs: list[StationSpec] = []
    loaded: dict[Path, _LoadedTemplate] = {}
    made_by: dict[str, int] = {}  # station id -> stationTemplateUrls index
    # The index in the whole (unsharded) fleet: it decides the round-robin supervision URL, so
    # connections spread over the CSMS endpoints the same way whatever the sharding.
    fleet_index = 0
    for entry_index, entry in enumerate(settings.station_template_urls):
        path = settings.template_path(entry_index)
        state = loaded.get(path.resolve())
        if state is None:
            template = load_template(path)
            state = _LoadedTemplate(template, path, identity_json(template))
            loaded[path.resolve()] = state
            _check_template(settings, state)
        template = state.template
        count = entry.number_of_stations
        if count == 0:
            continue
        if template.fixed_name and state.last_index + count > 1:
            raise ConfigError(
                settings.config_path,
                f"stationTemplateUrls[{entry_index}].numberOfStations",
                f"template {path} has fixedName: it names one station, not "
                f"{state.last_index + count}",
            )
        urls = template.supervision_urls or settings.supervision_urls
        if not urls:
            raise ConfigError(
                settings.config_path,
                "supervisionUrls",
                f"no supervision URL for the stations of {path}: "
                "set supervisionUrls in config.json or in the template",
            )
        # Without a draw, every station of the template has the same connector layout.
        fixed_connectors = (
            None
            if template.random_connectors or isinstance(template.number_of_connectors, list)
            else resolve_connectors(template, 0)
        )
        block = shard_block(count, settings.shard_index, settings.shard_count)
        for position, index in enumerate(range(state.last_index + 1, state.last_index + count + 1)):
            station_id = make_station_id(template, index, instance_index)
            previous = made_by.setdefault(station_id, entry_index)
            if previous != entry_index:
                raise ConfigError(
                    settings.config_path,
                    f"stationTemplateUrls[{entry_index}]",
                    f"station id {station_id!r} is also made by stationTemplateUrls[{previous}]:"
                    " give the templates different baseName or nameSuffix",
                )
            if position not in block:
                continue
            specs.append(
                _make_spec(
                    settings,
                    state,
                    index=index,
                    global_index=fleet_index + position,
                    station_id=station_id,
                    urls=urls,
                    fixed_connectors=fixed_connectors,
                )
            )
        state.last_index += count + entry.provisioned_number_of_stations
        fleet_index += count
    return specs


def _make_spec(
    settings: Settings,
    state: _LoadedTemplate,
    *,
    index: int,
    global_index: int,
    station_id: str,
    urls: Sequence[str],
    fixed_connectors: dict[int, ConnectorTemplate] | None,
) -> StationSpec:
    template = state.template
    digest = _station_digest(settings.seed, station_id)
    seed = int.from_bytes(digest[:8], "big")
    suffix = digest[8:].hex().upper()
    return StationSpec(
        index=index,
        global_index=global_index,
        template_name=state.path.stem,
        template_path=str(state.path),
        template=template,
        station_id=station_id,
        hash_id=_hash_id(state.identity, station_id),
        supervision_url=choose_supervision_url(
            urls,
            settings.supervision_url_distribution,
            global_index=global_index,
            station_id=station_id,
            run_seed=settings.seed,
        ),
        supervision_user=template.supervision_user or None,
        supervision_password=template.supervision_password or None,
        charge_point_serial_number=make_serial_number(
            template.charge_point_serial_number_prefix, suffix
        ),
        charge_box_serial_number=make_serial_number(
            template.charge_box_serial_number_prefix, suffix
        ),
        meter_serial_number=make_serial_number(template.meter_serial_number_prefix, suffix),
        connectors=(
            dict(fixed_connectors)
            if fixed_connectors is not None
            else resolve_connectors(template, seed)
        ),
        seed=seed,
        authorization_file=(
            str(settings.resolve(template.authorization_file))
            if template.authorization_file
            else None
        ),
        config_dir=str(settings.config_dir),
    )


def plan_added_stations(
    settings: Settings,
    path: Path,
    template: StationTemplate,
    *,
    first_index: int,
    count: int,
    first_global_index: int,
    instance_index: int = 0,
) -> list[StationSpec]:
    """Specs for stations added at run time (the UI's addChargingStations): `count` stations of
    `template` (read from `path`, possibly with the UI's overrides applied) numbered from
    `first_index`, placed after the `first_global_index` stations already planned."""
    if template.fixed_name and count > 1:
        raise ValueError(f"template {path.stem} has fixedName: it names one station, not {count}")
    urls = template.supervision_urls or settings.supervision_urls
    if not urls:
        raise ValueError(f"no supervision URL for the stations of {path.stem}")
    state = _LoadedTemplate(template, path, identity_json(template))
    fixed_connectors = (
        None
        if template.random_connectors or isinstance(template.number_of_connectors, list)
        else resolve_connectors(template, 0)
    )
    return [
        _make_spec(
            settings,
            state,
            index=index,
            global_index=first_global_index + offset,
            station_id=make_station_id(template, index, instance_index),
            urls=urls,
            fixed_connectors=fixed_connectors,
        )
        for offset, index in enumerate(range(first_index, first_index + count))
    ]


def _check_template(settings: Settings, state: _LoadedTemplate) -> None:
    """Warnings the TS simulator gives too: the stations would run, but not as intended."""
    template = state.template
    if not any(cid > 0 for cid in template.connectors):
        logger.warning("{}: no Connectors defined: connectors get no MeterValues", state.path)
    if template.automatic_transaction_generator.enable:
        if not template.authorization_file:
            logger.warning(
                "{}: the AutomaticTransactionGenerator is enabled without authorizationFile",
                state.path,
            )
        elif not settings.resolve(template.authorization_file).is_file():
            logger.warning(
                "{}: authorizationFile {} not found",
                state.path,
                settings.resolve(template.authorization_file),
            )


__all__ = [
    "AutomaticTransactionGeneratorTemplate",
    "CommandsSupport",
    "ConfigurationKey",
    "ConnectorTemplate",
    "SampledValueTemplate",
    "StationConfiguration",
    "StationSpec",
    "StationTemplate",
    "choose_supervision_url",
    "identity_json",
    "load_template",
    "make_hash_id",
    "make_serial_number",
    "make_station_id",
    "make_station_seed",
    "plan_added_stations",
    "plan_stations",
    "resolve_connectors",
    "serial_number_suffix",
    "station_ws_url",
    "template_hash",
]
