"""Loading the settings: config.json (older TS keys renamed), EVSIM_* environment variables and
CLI overrides, merged into a Settings; a mistake in any of them is one ConfigError naming it.

Priority, highest first: overrides (CLI flags) > EVSIM_* environment > the JSON file > defaults
(see simulator/config_sources.py for how pydantic-settings merges them).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from loguru import logger
from pydantic import ValidationError
from pydantic_settings import SettingsError

from simulator.config import ENV_PREFIX, Settings
from simulator.config_error import ConfigError
from simulator.config_sources import environment_values, loading_inputs
from simulator.model_keys import by_field_name, display_key, unknown_keys

# Where the error came from when it is not the config file itself.
ENVIRONMENT_SOURCE = "environment (EVSIM_*)"
OVERRIDES_SOURCE = "command line"


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

    with loading_inputs(file_data, environ):
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
            elif _contains(environment_values(Settings, environ), path):
                source = _environment_source(path, environ)
            else:
                source = config_path
            raise ConfigError.from_validation_error(source, Settings, exc) from None
    settings._config_path = config_path
    return settings


__all__ = ["load_settings", "read_json_file"]
