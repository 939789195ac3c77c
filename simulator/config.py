"""The simulator's settings model: config.json and its sections.

config.json keeps the TypeScript simulator's format (same camelCase keys, same meaning, same
defaults), so a user's existing file loads unchanged. Attributes are the keys in snake_case.
simulator/config_loading.py reads the file, EVSIM_* environment variables and CLI overrides
into a Settings (simulator/config_sources.py: how the three are merged).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import unquote, urlsplit

from loguru import logger
from pydantic import (
    AliasChoices,
    BeforeValidator,
    Field,
    PrivateAttr,
    field_validator,
    model_validator,
)
from pydantic.alias_generators import to_camel
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from simulator.config_error import ConfigError
from simulator.config_section import Section as _Section
from simulator.config_sources import settings_sources
from simulator.newer_keys import PersistStateKey, ProvisionedStationsKey
from simulator.ui.settings import (
    UIServerAccessPolicy,
    UIServerAuthentication,
    UIServerOptions,
    UIServerSettings,
)

DEFAULT_CONFIG_PATH = Path("config/config.json")
ENV_PREFIX = "EVSIM_"

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
        return settings_sources(settings_cls, init_settings)

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


__all__ = [
    "DEFAULT_CONFIG_PATH",
    "ENV_PREFIX",
    "PerformanceStorageSettings",
    "Settings",
    "StationTemplateUrl",
    "UIServerAccessPolicy",
    "UIServerAuthentication",
    "UIServerOptions",
    "UIServerSettings",
    "WorkerSettings",
]
