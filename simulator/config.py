"""The simulator's settings: config.json, environment variables EVSIM_* and CLI overrides.

config.json keeps the TypeScript simulator's format (same camelCase keys, same meaning, same
defaults), so a user's existing file loads unchanged. Attributes are the keys in snake_case.

Priority, highest first: overrides (CLI flags) > EVSIM_* environment > the JSON file > defaults.
pydantic-settings merges the sources; every source is first brought to field names, because
a file says ``poolMaxSize`` where the environment says ``POOL_MAX_SIZE`` and pydantic would
otherwise keep both keys and let the alias (the file) win over the environment.
"""

from __future__ import annotations

import json
import os
import re
import types
from collections.abc import Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Literal, Union, get_args, get_origin
from urllib.parse import unquote, urlsplit

from loguru import logger
from pydantic import (
    AliasChoices,
    BaseModel,
    BeforeValidator,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic.alias_generators import to_camel
from pydantic.fields import FieldInfo
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    SettingsError,
)
from pydantic_settings.sources.utils import parse_env_vars

from simulator.config_section import Section as _Section
from simulator.newer_keys import PersistStateKey, ProvisionedStationsKey
from simulator.ui.settings import (
    UIServerAccessPolicy,
    UIServerAuthentication,
    UIServerOptions,
    UIServerSettings,
)

DEFAULT_CONFIG_PATH = Path("config/config.json")
ENV_PREFIX = "EVSIM_"

# Where the error came from when it is not the config file itself.
ENVIRONMENT_SOURCE = "environment (EVSIM_*)"
OVERRIDES_SOURCE = "command line"


class ConfigError(Exception):
    """A mistake in a user's file, environment or flags: printed as one line, no traceback."""

    def __init__(self, file: str | Path, key: str, reason: str) -> None:
        self.file = str(file)
        self.key = key
        self.reason = reason
        super().__init__(str(self))

    def __str__(self) -> str:
        return ": ".join(part for part in (self.file, self.key, self.reason) if part)

    @classmethod
    def from_validation_error(
        cls, file: str | Path, model: type[BaseModel], error: ValidationError
    ) -> ConfigError:
        """The first error of `error`, located by the key as the user wrote it."""
        errors = error.errors(include_url=False)
        first = errors[0]
        return cls(file, dotted_key(model, first["loc"]), _reason(first, len(errors) - 1))


def _reason(error: Mapping[str, Any], others: int) -> str:
    reason = str(error["msg"]).removeprefix("Value error, ")
    value = error.get("input")
    if error.get("type") not in ("missing", "value_error") and isinstance(
        value, str | int | float | bool
    ):
        shown = json.dumps(value, ensure_ascii=False)
        if len(shown) <= 60:
            reason += f" (got {shown})"
    if others:
        reason += f" (and {others} more error{'s' if others > 1 else ''})"
    return reason


def read_json_file(path: Path) -> dict[str, Any]:
    """The JSON object in `path`, or a ConfigError naming the file (and line, column)."""
    try:
        # utf-8-sig: files saved by Windows editors start with a BOM that json rejects.
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ConfigError(path, "", "file not found") from None
    except IsADirectoryError:
        raise ConfigError(path, "", "is a directory, expected a JSON file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(path, "", f"cannot read: {exc}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(
            path, "", f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
        ) from None
    if not isinstance(data, dict):
        raise ConfigError(path, "", f"expected a JSON object, got {type(data).__name__}")
    return data


# --- model structure: keys as written <-> field names ------------------------------------------


def _unwrap(annotation: Any) -> Any:
    """`annotation` without Annotated and without a `| None`; unions of several types stay."""
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation = get_args(annotation)[0]
        elif origin in (Union, types.UnionType):
            members = [arg for arg in get_args(annotation) if arg is not type(None)]
            if len(members) != 1:
                return annotation
            annotation = members[0]
        else:
            return annotation


def _model_class(annotation: Any) -> type[BaseModel] | None:
    annotation = _unwrap(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return None


def _field_aliases(name: str, info: FieldInfo) -> list[str]:
    aliases: list[str] = []
    if isinstance(info.validation_alias, AliasChoices):
        choices = info.validation_alias.choices
        aliases.extend(choice for choice in choices if isinstance(choice, str))
    elif isinstance(info.validation_alias, str):
        aliases.append(info.validation_alias)
    if info.alias:
        aliases.append(info.alias)
    aliases.append(name)
    return aliases


@cache
def _key_lookup(model: type[BaseModel]) -> dict[str, str]:
    """Every key that populates a field of `model` (aliases, name) -> field name."""
    lookup: dict[str, str] = {}
    for name, info in model.model_fields.items():
        for alias in _field_aliases(name, info):
            lookup.setdefault(alias, name)
    return lookup


def display_key(model: type[BaseModel], name: str) -> str:
    """The key of field `name` as a user writes it in the JSON file."""
    info = model.model_fields[name]
    if isinstance(info.validation_alias, AliasChoices):
        first = info.validation_alias.choices[0]
        if isinstance(first, str):
            return first
    return info.alias or name


def dotted_key(model: type[BaseModel], loc: tuple[int | str, ...]) -> str:
    """A pydantic error location as the user's key path: ``worker.poolMaxSize``,
    ``stationTemplateUrls[0].file``, ``Connectors.1.MeterValues[2].unit``."""
    text = ""
    current: Any = model
    for item in loc:
        if item == "[key]":
            continue
        model_class = _model_class(current)
        annotation = _unwrap(current)
        origin = get_origin(annotation)
        if model_class is not None and isinstance(item, str):
            name = _key_lookup(model_class).get(item)
            if name is None:  # an extra key, or a model-level error
                text += f".{item}" if text else item
                current = None
                continue
            key = display_key(model_class, name)
            text += f".{key}" if text else key
            current = model_class.model_fields[name].annotation
        elif origin in (list, tuple) and isinstance(item, int):
            text += f"[{item}]"
            args = get_args(annotation)
            current = args[0] if args else None
        elif origin in (dict, Mapping):
            text += f".{item}" if text else str(item)
            args = get_args(annotation)
            current = args[1] if len(args) == 2 else None
        else:
            # Inside a union pydantic adds member tags ('int', "literal['auto','all']") that
            # mean nothing to a user: the key so far is the precise one.
            break
    return text


def by_field_name(model: type[BaseModel], data: Mapping[str, Any]) -> dict[str, Any]:
    """`data` with the keys of `model` (and of its nested models) renamed to field names.

    Unknown keys are kept as they are: a source's job is to report them, not this one's.
    """
    lookup = _key_lookup(model)
    result: dict[str, Any] = {}
    for key, value in data.items():
        name = lookup.get(key)
        if name is None:
            result[key] = value
            continue
        result[name] = _value_by_field_name(model.model_fields[name].annotation, value)
    return result


def _value_by_field_name(annotation: Any, value: Any) -> Any:
    nested = _model_class(annotation)
    if nested is not None and isinstance(value, Mapping):
        return by_field_name(nested, value)
    unwrapped = _unwrap(annotation)
    if get_origin(unwrapped) is list and isinstance(value, list):
        args = get_args(unwrapped)
        item_model = _model_class(args[0]) if args else None
        if item_model is not None:
            return [by_field_name(item_model, v) if isinstance(v, Mapping) else v for v in value]
    return value


def unknown_keys(model: type[BaseModel], data: Mapping[str, Any], prefix: str = "") -> list[str]:
    """Dotted keys in `data` that no field of `model` (or of its nested models) reads."""
    lookup = _key_lookup(model)
    found: list[str] = []
    for key, value in data.items():
        path = f"{prefix}.{key}" if prefix else key
        name = lookup.get(key)
        if name is None:
            found.append(path)
            continue
        annotation = model.model_fields[name].annotation
        nested = _model_class(annotation)
        if nested is not None and isinstance(value, Mapping):
            found.extend(unknown_keys(nested, value, path))
            continue
        unwrapped = _unwrap(annotation)
        if get_origin(unwrapped) is list and isinstance(value, list):
            args = get_args(unwrapped)
            item_model = _model_class(args[0]) if args else None
            if item_model is not None:
                for i, item in enumerate(value):
                    if isinstance(item, Mapping):
                        found.extend(unknown_keys(item_model, item, f"{path}[{i}]"))
    return found


# --- the settings model -------------------------------------------------------------------------

# winston's syslog levels (the TS simulator's logLevel values), winston's npm levels, then loguru's.
_LOG_LEVELS: dict[str, str] = {
    "emerg": "CRITICAL",
    "alert": "CRITICAL",
    "crit": "CRITICAL",
    "error": "ERROR",
    "warning": "WARNING",
    "warn": "WARNING",
    "notice": "SUCCESS",
    "info": "INFO",
    "http": "INFO",
    "verbose": "DEBUG",
    "debug": "DEBUG",
    "silly": "TRACE",
    "trace": "TRACE",
    "success": "SUCCESS",
    "critical": "CRITICAL",
}

LOG_FORMATS = ("simple", "json")

SupervisionUrlDistribution = Literal["round-robin", "random", "charging-station-affinity"]
WorkerProcessType = Literal["workerSet", "staticPool", "dynamicPool"]
# poolifier's worker choice strategies: the values TS configurations carry.
PoolStrategy = Literal[
    "ROUND_ROBIN",
    "WEIGHTED_ROUND_ROBIN",
    "INTERLEAVED_WEIGHTED_ROUND_ROBIN",
    "LEAST_USED",
    "LEAST_BUSY",
    "LEAST_ELU",
    "FAIR_SHARE",
]


def supervision_url_list(value: Any) -> Any:
    """A URL or a list of URLs -> a list; '' (the TS default) -> []. A JSON array given as a
    string (an environment variable) is decoded here, so a bare URL there works too."""
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            try:
                return json.loads(text)
            except json.JSONDecodeError:
                return value  # validation then says a list was expected
        return [text] if text else []
    return value


def check_ws_urls(urls: list[str]) -> list[str]:
    for url in urls:
        if urlsplit(url).scheme not in ("ws", "wss") or not urlsplit(url).netloc:
            raise ValueError(f"{url!r} is not a ws:// or wss:// URL")
    return urls


SupervisionUrls = Annotated[list[str], NoDecode, BeforeValidator(supervision_url_list)]


class WorkerSettings(_Section):
    process_type: WorkerProcessType = "workerSet"
    start_delay: int = Field(default=500, ge=0, description="ms between worker starts (workerSet)")
    element_start_delay: int = Field(default=0, ge=0, description="ms between station starts")
    elements_per_worker: Annotated[int, Field(ge=1)] | Literal["auto", "all"] = "auto"
    pool_min_size: int = Field(default=4, ge=0)
    pool_max_size: int = Field(default=16, ge=1)
    pool_strategy: PoolStrategy = "ROUND_ROBIN"

    @model_validator(mode="after")
    def _min_not_above_max(self) -> WorkerSettings:
        # Only a dynamic pool uses both bounds; a static pool of 3 with the default min of 4
        # is a valid configuration.
        if self.process_type == "dynamicPool" and self.pool_min_size > self.pool_max_size:
            raise ValueError(
                f"poolMinSize ({self.pool_min_size}) is above poolMaxSize ({self.pool_max_size})"
            )
        return self


class PerformanceStorageSettings(_Section):
    enabled: bool = False
    type: Literal["jsonfile", "sqlite", "mongodb", "none"] = "jsonfile"
    # The TS README writes the key `URI`, its code reads `uri`. None: the sink's own default.
    uri: str | None = Field(default=None, validation_alias=AliasChoices("uri", "URI"))


class StationTemplateUrl(ProvisionedStationsKey, _Section):
    file: str = Field(min_length=1)
    number_of_stations: int = Field(ge=0)


# Keys of older TS configurations that the TS simulator still converts (with a warning).
_RENAMED_KEYS: dict[str, tuple[str, ...]] = {
    "supervisionURLs": ("supervisionUrls",),
    "stationTemplateURLs": ("stationTemplateUrls",),
    "uiWebSocketServer": ("uiServer",),
    "workerProcess": ("worker", "processType"),
    "workerStartDelay": ("worker", "startDelay"),
    "elementStartDelay": ("worker", "elementStartDelay"),
    "chargingStationsPerWorker": ("worker", "elementsPerWorker"),
    "workerPoolMinSize": ("worker", "poolMinSize"),
    "workerPoolMaxSize": ("worker", "poolMaxSize"),
    "workerPoolStrategy": ("worker", "poolStrategy"),
}


# Newer TS configurations group the log keys in a `log` section and rename a worker key.
_NESTED_RENAMED_KEYS: dict[tuple[str, str], tuple[str, ...]] = {
    ("log", "statisticsInterval"): ("logStatisticsInterval",),
    ("log", "console"): ("logConsole",),
    ("log", "format"): ("logFormat",),
    ("log", "rotate"): ("logRotate",),
    ("log", "maxFiles"): ("logMaxFiles",),
    ("log", "level"): ("logLevel",),
    ("log", "file"): ("logFile",),
    ("log", "errorFile"): ("logErrorFile",),
    ("worker", "elementAddDelay"): ("worker", "elementStartDelay"),
}


@dataclass(frozen=True, slots=True)
class _LoadInputs:
    file_data: Mapping[str, Any]
    environ: Mapping[str, str] | None


# How load_settings hands the parsed file and the injected environment to the sources that
# settings_customise_sources (a classmethod, called inside the constructor) builds.
_LOAD_INPUTS: ContextVar[_LoadInputs | None] = ContextVar("evsim_settings_inputs", default=None)


class _EnvironSource(EnvSettingsSource):
    """EVSIM_* variables from an injected mapping (tests) or os.environ."""

    def __init__(self, settings_cls: type[BaseSettings], environ: Mapping[str, str] | None):
        self._environ = environ
        super().__init__(settings_cls)

    def _load_env_vars(self) -> Mapping[str, str | None]:
        if self._environ is None:
            return super()._load_env_vars()
        env_vars: Mapping[str, str | None] = parse_env_vars(
            self._environ, self.case_sensitive, self.env_ignore_empty, self.env_parse_none_str
        )
        return env_vars


class _ByFieldName(PydanticBaseSettingsSource):
    """Another source's values, keyed by field names (see the module docstring)."""

    def __init__(self, settings_cls: type[BaseSettings], inner: PydanticBaseSettingsSource):
        super().__init__(settings_cls)
        self._inner = inner

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False  # unused: __call__ delegates to the inner source

    def __call__(self) -> dict[str, Any]:
        return by_field_name(self.settings_cls, self._inner())


class _FileSource(PydanticBaseSettingsSource):
    """The parsed config.json, keyed by field names."""

    def __init__(self, settings_cls: type[BaseSettings], data: Mapping[str, Any]):
        super().__init__(settings_cls)
        self._data = data

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        return by_field_name(self.settings_cls, self._data)


class Settings(PersistStateKey, BaseSettings):
    """config.json. Attributes are its keys in snake_case; see the README's table."""

    model_config = SettingsConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        frozen=True,
        extra="ignore",
        env_prefix=ENV_PREFIX,
        # The prefix also on aliases: a bare WORKER or SEED in the environment must not count.
        env_prefix_target="all",
        env_nested_delimiter="__",
        case_sensitive=False,
    )

    supervision_urls: SupervisionUrls = []
    supervision_url_distribution: SupervisionUrlDistribution = "charging-station-affinity"
    log_statistics_interval: int = Field(default=60, ge=0)
    log_console: bool = False
    log_format: str = "simple"
    log_rotate: bool = True
    log_max_files: int = Field(default=7, ge=0)
    log_level: str = "info"
    log_file: str = "combined.log"
    log_error_file: str = "error.log"
    worker: WorkerSettings = WorkerSettings()
    ui_server: UIServerSettings = UIServerSettings()
    performance_storage: PerformanceStorageSettings = PerformanceStorageSettings()
    station_template_urls: list[StationTemplateUrl] = []
    # evsim additions
    seed: int = 0
    state_dir: Path = Path("state")
    shard_index: int = Field(default=0, ge=0)
    shard_count: int = Field(default=1, ge=1)
    # New connections per second per worker process, burst one second's worth; 0: no limit.
    # 400: just under what a worker sustains anyway (10k stations boot in ~11 s on 2 workers,
    # ~450/s each), so a ramp is barely slowed, while a 10k CSMS restart peaks at ~1,700
    # instead of ~3,900 connections/s (bench/reconnect_storm.py).
    connection_rate_per_worker: float = Field(default=400.0, ge=0)
    # A transaction message leaves only once the station state holding it is on disk (true):
    # a killed simulator never forgets what it told the CSMS. false: the state is written
    # within 10 s, messages do not wait; less CPU, and a kill may lose or repeat up to that.
    state_write_ahead: bool = True

    _config_path: Path = PrivateAttr(default=DEFAULT_CONFIG_PATH)

    @field_validator("supervision_urls")
    @classmethod
    def _ws_urls(cls, urls: list[str]) -> list[str]:
        return check_ws_urls(urls)

    @field_validator("log_format")
    @classmethod
    def _known_log_format(cls, log_format: str) -> str:
        # winston has many formats (cli, prettyPrint, ...); evsim's sinks have these two.
        if log_format not in LOG_FORMATS:
            logger.warning(
                "logFormat {!r} is a winston format evsim does not have ({}): 'simple' used",
                log_format,
                ", ".join(LOG_FORMATS),
            )
            return "simple"
        return log_format

    @field_validator("log_level")
    @classmethod
    def _known_log_level(cls, level: str) -> str:
        if level.lower() not in _LOG_LEVELS:
            raise ValueError(f"unknown log level {level!r}; use one of {', '.join(_LOG_LEVELS)}")
        return level

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        inputs = _LOAD_INPUTS.get()
        environ = inputs.environ if inputs else None
        file_data = inputs.file_data if inputs else {}
        return (
            _ByFieldName(settings_cls, init_settings),
            _ByFieldName(settings_cls, _EnvironSource(settings_cls, environ)),
            _FileSource(settings_cls, file_data),
        )

    @property
    def config_path(self) -> Path:
        return self._config_path

    @property
    def config_dir(self) -> Path:
        return self._config_path.parent

    @property
    def loguru_level(self) -> str:
        """logLevel as a loguru level name (winston's `notice` -> SUCCESS, `crit` -> CRITICAL)."""
        return _LOG_LEVELS[self.log_level.lower()]

    def resolve(self, file: str | Path) -> Path:
        """A path from a config or template file (authorizationFile, ...): relative to the
        config file's directory, as the TS simulator resolves them against its assets."""
        path = Path(file)
        return path if path.is_absolute() else self.config_dir / path

    def template_candidates(self, index: int) -> list[Path]:
        """Where stationTemplateUrls[index].file is looked for, in order."""
        file = self.station_template_urls[index].file
        if file.startswith("file://"):
            file = unquote(urlsplit(file).path)
        path = Path(file)
        if path.is_absolute():
            return [path]
        return [
            self.config_dir / path,
            self.config_dir / "station-templates" / path,
            # normpath, not .parent: the parent of "." (config.json in the cwd) is "..".
            Path(os.path.normpath(self.config_dir / "..")) / "templates" / path,
        ]

    def template_path(self, index: int) -> Path:
        """The station template file of stationTemplateUrls[index]: the first candidate found."""
        candidates = self.template_candidates(index)
        for candidate in candidates:
            if candidate.is_file():
                return candidate
        tried = ", ".join(str(candidate) for candidate in candidates)
        raise ConfigError(
            self.config_path,
            f"stationTemplateUrls[{index}].file",
            f"station template {self.station_template_urls[index].file!r} not found "
            f"(tried {tried})",
        )


def _apply_renamed_keys(data: dict[str, Any], file: Path) -> dict[str, Any]:
    data = dict(data)
    for old, new in _RENAMED_KEYS.items():
        if old not in data:
            continue
        value = data.pop(old)
        section = data
        for part in new[:-1]:
            existing = section.get(part)
            section[part] = dict(existing) if isinstance(existing, Mapping) else {}
            section = section[part]
        if new[-1] in section:
            logger.warning("{}: deprecated key {!r} ignored, {!r} is set", file, old, ".".join(new))
        else:
            section[new[-1]] = value
            logger.warning("{}: deprecated key {!r} read as {!r}", file, old, ".".join(new))
    return data


def _apply_nested_renamed_keys(data: dict[str, Any], file: Path) -> dict[str, Any]:
    """Keys of newer TS sections (`log.file`) moved to evsim's keys (`logFile`). What the
    section holds besides (`log.enabled`, `log.maxSize`) stays, to be reported unknown."""
    data = dict(data)
    for (section_key, old), new in _NESTED_RENAMED_KEYS.items():
        section = data.get(section_key)
        if not isinstance(section, Mapping) or old not in section:
            continue
        rest = {key: value for key, value in section.items() if key != old}
        if rest:
            data[section_key] = rest
        else:
            del data[section_key]
        target = data
        for part in new[:-1]:
            existing = target.get(part)
            target[part] = dict(existing) if isinstance(existing, Mapping) else {}
            target = target[part]
        shown_old, shown_new = f"{section_key}.{old}", ".".join(new)
        if new[-1] in target:
            logger.warning("{}: key {!r} ignored, {!r} is set", file, shown_old, shown_new)
        else:
            target[new[-1]] = section[old]
            logger.warning("{}: key {!r} read as {!r}", file, shown_old, shown_new)
    return data


def _nest_dotted(overrides: Mapping[str, Any]) -> dict[str, Any]:
    """{'worker.process_type': x} -> {'worker': {'process_type': x}} (CLI flags name leaves)."""
    nested: dict[str, Any] = {}
    for key, value in overrides.items():
        *parents, leaf = key.split(".")
        section = nested
        for part in parents:
            section = section.setdefault(part, {})
        if isinstance(value, Mapping) and isinstance(section.get(leaf), dict):
            section[leaf].update(value)
        else:
            section[leaf] = value
    return nested


def _contains(data: Mapping[str, Any], path: list[str]) -> bool:
    current: Any = data
    for part in path:
        if not isinstance(current, Mapping) or part not in current:
            return False
        current = current[part]
    return True


def _field_path(loc: tuple[int | str, ...]) -> list[str]:
    """The leading field names of an error location (pydantic reports them by name here)."""
    path: list[str] = []
    for item in loc:
        if not isinstance(item, str):
            break
        path.append(item)
    return path


def _environment_source(path: list[str], environ: Mapping[str, str] | None) -> str:
    """'environment EVSIM_WORKER__POOL_MAX_SIZE' when that variable (or a parent's) is set."""
    names = {name.upper() for name in (os.environ if environ is None else environ)}
    for depth in range(len(path), 0, -1):
        candidate = ENV_PREFIX + "__".join(path[:depth]).upper()
        if candidate in names:
            return f"environment {candidate}"
    return ENVIRONMENT_SOURCE


def load_settings(
    config_path: Path,
    overrides: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
) -> Settings:
    """config.json at `config_path`, under EVSIM_* variables (`environ`, default os.environ)
    and `overrides` (field names or keys, nested mappings or dotted keys).

    Raises ConfigError for a missing or invalid file, a wrong value, an unknown override.
    """
    config_path = Path(config_path)
    file_data = _apply_renamed_keys(read_json_file(config_path), config_path)
    file_data = _apply_nested_renamed_keys(file_data, config_path)
    for key in unknown_keys(Settings, file_data):
        logger.warning("{}: unknown key {!r} ignored", config_path, key)

    override_data = by_field_name(Settings, _nest_dotted(overrides or {}))
    unknown_overrides = unknown_keys(Settings, override_data)
    if unknown_overrides:
        raise ConfigError(OVERRIDES_SOURCE, unknown_overrides[0], "unknown setting")

    token = _LOAD_INPUTS.set(_LoadInputs(file_data, environ))
    try:
        settings = Settings(**override_data)
    except SettingsError as exc:
        # Raised while decoding the JSON value of an environment variable.
        match = re.search(r'field "(\w+)"', str(exc))
        name = match.group(1) if match else ""
        key = display_key(Settings, name) if name in Settings.model_fields else name
        raise ConfigError(
            _environment_source([name], environ), key, "the value is not valid JSON"
        ) from None
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        path = _field_path(first["loc"])
        if _contains(override_data, path):
            source: str | Path = OVERRIDES_SOURCE
        elif _contains(by_field_name(Settings, _EnvironSource(Settings, environ)()), path):
            source = _environment_source(path, environ)
        else:
            source = config_path
        raise ConfigError.from_validation_error(source, Settings, exc) from None
    finally:
        _LOAD_INPUTS.reset(token)
    settings._config_path = config_path
    return settings


__all__ = [
    "DEFAULT_CONFIG_PATH",
    "ConfigError",
    "PerformanceStorageSettings",
    "Settings",
    "StationTemplateUrl",
    "UIServerAccessPolicy",
    "UIServerAuthentication",
    "UIServerOptions",
    "UIServerSettings",
    "WorkerSettings",
    "load_settings",
    "read_json_file",
]
