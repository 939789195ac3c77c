"""Building blocks for tests that need real stations: a config and templates on disk, a plan."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from simulator.config import Settings
from simulator.config_loading import load_settings
from simulator.plan import StationSpec, plan_stations

REPO = Path(__file__).resolve().parent.parent


def quick_template(**overrides: Any) -> dict[str, Any]:
    """A small AC template with short timers, so tests see reconnects and heartbeats quickly."""
    template: dict[str, Any] = {
        "baseName": "CS-TEST",
        "chargePointVendor": "evsim",
        "chargePointModel": "Test AC",
        "chargePointSerialNumberPrefix": "T-",
        "firmwareVersion": "1.0.0",
        "power": 22080,
        "numberOfConnectors": 2,
        "reconnectExponentialDelay": True,
        "Configuration": {
            "configurationKey": [
                {"key": "HeartbeatInterval", "readonly": False, "value": "60"},
                {"key": "ConnectionTimeOut", "readonly": False, "value": "1"},
                {"key": "MaxCurrent", "readonly": False, "value": "32", "visible": False},
                {"key": "ModemVersion", "readonly": True, "value": "2.1"},
            ]
        },
        "Connectors": {"0": {}, "1": {"bootStatus": "Available"}, "2": {}},
    }
    template.update(overrides)
    return template


def write_fleet(
    directory: Path,
    supervision_url: str,
    templates: dict[str, tuple[dict[str, Any], int]],
    **config: Any,
) -> Path:
    """Write config.json and templates under `directory`; return the config path."""
    (directory / "templates").mkdir(parents=True, exist_ok=True)
    entries = []
    for name, (data, count) in templates.items():
        (directory / "templates" / name).write_text(json.dumps(data))
        entries.append({"file": name, "numberOfStations": count})
    settings: dict[str, Any] = {
        "supervisionUrls": [supervision_url],
        "stationTemplateUrls": entries,
        "uiServer": {"enabled": False},
        "logStatisticsInterval": 0,
        "stateDir": str(directory / "state"),
    }
    settings.update(config)
    path = directory / "config" / "config.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(settings))
    return path


def settings_for(
    directory: Path, supervision_url: str, count: int = 1, **template: Any
) -> Settings:
    path = write_fleet(
        directory, supervision_url, {"test.json": (quick_template(**template), count)}
    )
    return load_settings(path, environ={})


def specs_for(
    directory: Path, supervision_url: str, count: int = 1, **template: Any
) -> list[StationSpec]:
    return plan_stations(settings_for(directory, supervision_url, count, **template))
