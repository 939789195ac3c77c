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
from simulator.station.transport_choice import TransportName, picows_installed
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
    """`workerSet` (a new worker each elementsPerWorker stations), `staticPool` (poolMaxSize
    workers), `dynamicPool` (from poolMinSize to poolMaxSize)"""
    start_delay: int = Field(default=500, ge=0, description="ms between worker starts (workerSet)")
    element_start_delay: int = Field(default=0, ge=0, description="ms between station starts")
    elements_per_worker: Annotated[int, Field(ge=1)] | Literal["auto", "all"] = "auto"
    """stations per worker (workerSet); `auto` (the default, as the TS 4.x README has it: one worker
    per core, more only when a worker's share passes the open-file limit; stations spread over them,
    added ones too) or `all` (one worker); a number making more than 4 x cores workers logs a
    warning"""
    pool_min_size: int = Field(default=4, ge=0)
    """workers a dynamic pool keeps when idle"""
    pool_max_size: int = Field(default=16, ge=1)
    """workers of a static pool; the most a dynamic pool opens"""
    pool_strategy: PoolStrategy = "ROUND_ROBIN"
    """poolifier's worker choice strategy: `ROUND_ROBIN`, or `LEAST_USED` and the other names
    (placed on the worker with fewest stations)"""

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
    """write performance records"""
    type: Literal["jsonfile", "sqlite", "mongodb", "none"] = "jsonfile"
    """`jsonfile`, `sqlite`, `mongodb` or `none`"""
    # The TS README writes the key `URI`, its code reads `uri`. None: the sink's own default.
    uri: str | None = Field(default=None, validation_alias=AliasChoices("uri", "URI"))
    """where: `file:///abs/path.json`, `sqlite:///rel.db` (relative to stateDir),
    `mongodb://host:port/db`; none: the type's default under stateDir (also read as `URI`)"""


class StationTemplateUrl(ProvisionedStationsKey, _Section):
    file: str = Field(min_length=1)
    """template file: next to config.json, then in its `station-templates/`, then in
    `../templates/`; absolute paths and file:// URLs as is"""
    number_of_stations: int = Field(ge=0)
    """stations made from the template"""


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
        # A field's meaning is the docstring under it (the configuration reference).
        use_attribute_docstrings=True,
    )

    supervision_urls: SupervisionUrls = []
    """CSMS URL or list of URLs (`ws://`, `wss://`); a station connects to `<url>/<stationId>`. A
    template's own supervisionUrls win"""
    supervision_url_distribution: SupervisionUrlDistribution = "charging-station-affinity"
    """which of several supervisionUrls a station takes: `round-robin` (by global station index),
    `random` (seeded by `seed`), `charging-station-affinity` (stable hash of the station id)"""
    log_statistics_interval: int = Field(default=60, ge=0)
    """seconds between fleet summaries in the log and performance record writes (0: no summary;
    records then every 60 s); changes live"""
    log_console: bool = False
    """log to stderr as well"""
    log_format: str = "simple"
    """`simple` (one text line per record) or `json` (one JSON object per line). Other winston
    formats cannot exist here: a warning, then `simple`"""
    log_rotate: bool = True
    """rotate logFile and logErrorFile daily (at the first record of a new day; a file left from an
    earlier day is rotated at start). The supervisor rotates; worker processes reopen the files it
    rotated"""
    log_max_files: int = Field(default=7, ge=0)
    """rotated files kept per log file when logRotate is on; older ones deleted"""
    log_level: str = "info"
    """lowest level logged: winston's names (emerg, alert, crit, error, warning, notice, info, http,
    verbose, debug, silly) or loguru's (trace, success, critical)"""
    log_file: str = "combined.log"
    """file receiving every record at logLevel and above, relative to the config file's directory;
    empty: none"""
    log_error_file: str = "error.log"
    """file receiving the error records (ERROR and above) of the supervisor and worker processes,
    relative to the config file's directory; empty: none"""
    worker: WorkerSettings = WorkerSettings()
    """how stations are spread over worker processes"""
    ui_server: UIServerSettings = UIServerSettings()
    """the UI server: WebSocket protocol `ui0.0.1`, HTTP procedures, web page, /metrics"""
    performance_storage: PerformanceStorageSettings = PerformanceStorageSettings()
    """where per-station performance records are written"""
    station_template_urls: list[StationTemplateUrl] = []
    """the templates to run and how many stations of each"""
    # evsim additions
    seed: int = 0
    """evsim: run seed of every station's randomness (serial numbers, connectors, ATG, random URL
    distribution): a seed replays the same fleet"""
    state_dir: Path = Path("state")
    """evsim: directory of persisted station state and default performance records"""
    shard_index: int = Field(default=0, ge=0)
    """evsim: which shard of the fleet this instance runs (0-based)"""
    shard_count: int = Field(default=1, ge=1)
    """evsim: number of instances the fleet is split over"""
    # 400: just under what a worker sustains anyway (10k stations boot in ~11 s on 2 workers,
    # ~450/s each), so a ramp is barely slowed, while a 10k CSMS restart peaks at ~1,700
    # instead of ~3,900 connections/s (bench/reconnect_storm.py).
    connection_rate_per_worker: float = Field(default=400.0, ge=0)
    """evsim: new station connections per second per worker process (a burst of one second's worth);
    0: no limit"""
    ws_transport: TransportName = "auto"
    """evsim: the WebSocket client library of the stations' connections: websockets (the
    reference), picows (its websockets-compatible client, compiled: about a fifth less CPU per
    message; the `fast` extra), auto: picows where installed, else websockets"""
    state_write_ahead: bool = True
    """evsim: a transaction message leaves only once the station state holding it is on disk (a
    killed simulator never forgets what it told the CSMS); false: the state is written within 10 s
    and messages do not wait (less CPU; a kill may lose or repeat up to that)"""

    _config_path: Path = PrivateAttr(default=DEFAULT_CONFIG_PATH)

    @field_validator("supervision_urls")
    @classmethod
    def _ws_urls(cls, urls: list[str]) -> list[str]:
        return check_ws_urls(urls)

    @field_validator("ws_transport")
    @classmethod
    def _transport_installed(cls, name: str) -> str:
        if name == "picows" and not picows_installed():
            raise ValueError("picows is not installed: pip install 'evsim[fast]', or use auto")
        return name

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
