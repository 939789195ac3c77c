"""Stations planned in-process for the micro-benchmarks: a config and the idle template written
to a directory, planned as `evsim run` plans them (the stations are built, not run, here)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from simulator.config_loading import load_settings
from simulator.plan import StationSpec, plan_stations


def idle_template() -> dict[str, Any]:
    """As bench/__main__.py's idle profile: 2 connectors, heartbeat 300 s, validation on."""
    return {
        "baseName": "BENCH",
        "chargePointVendor": "evsim",
        "chargePointModel": "Bench AC",
        "chargePointSerialNumberPrefix": "B-",
        "power": 22080,
        "numberOfConnectors": 2,
        "reconnectExponentialDelay": True,
        "payloadSchemaValidation": True,
        "Configuration": {"configurationKey": [{"key": "HeartbeatInterval", "value": "300"}]},
        "Connectors": {"0": {}, "1": {}, "2": {}},
    }


def bench_specs(directory: Path, supervision_url: str, count: int) -> list[StationSpec]:
    (directory / "templates").mkdir(parents=True, exist_ok=True)
    (directory / "templates" / "station.json").write_text(json.dumps(idle_template()))
    config = {
        "supervisionUrls": [supervision_url],
        "stationTemplateUrls": [{"file": "station.json", "numberOfStations": count}],
        "uiServer": {"enabled": False},
        "logStatisticsInterval": 0,
        "stateDir": str(directory / "state"),
    }
    path = directory / "config" / "config.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(config))
    return plan_stations(load_settings(path, environ={}))
