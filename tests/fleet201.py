"""A 2.0.1 station template in the TypeScript simulator's 2.0.1 format (Evses, device-model
variables as `Component.Variable[.Instance]` configuration keys, idTagsFile), and its plan: the
building blocks of tests that need 2.0.1 stations."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from simulator.config_loading import load_settings
from simulator.plan import StationSpec, plan_stations
from tests.fleet import write_fleet

ENERGY = {"unit": "Wh"}
POWER = {"unit": "W", "measurand": "Power.Active.Import"}


def template_201(**overrides: Any) -> dict[str, Any]:
    """Two EVSEs of one connector each, numbered station-wide as the TS simulator numbers them
    (EVSE 1 holds connector "1", EVSE 2 connector "2"), short timers."""
    template: dict[str, Any] = {
        "ocppVersion": "2.0.1",
        "baseName": "CS-201",
        "chargePointVendor": "evsim",
        "chargePointModel": "Test AC 2.0.1",
        "chargePointSerialNumberPrefix": "T201-",
        "firmwareVersion": "2.0.0",
        "power": 22080,
        "reconnectExponentialDelay": True,
        "Configuration": {
            "configurationKey": [
                {"key": "OCPPCommCtrlr.HeartbeatInterval", "readonly": False, "value": "60"},
                {"key": "SampledDataCtrlr.TxUpdatedInterval", "readonly": False, "value": "10"},
                {"key": "OCPPCommCtrlr.MessageAttempts.TransactionEvent", "value": "3"},
            ]
        },
        "Evses": {
            "0": {"Connectors": {"0": {}}},
            "1": {"Connectors": {"1": {"bootStatus": "Available", "MeterValues": [ENERGY]}}},
            "2": {"Connectors": {"2": {"MeterValues": [ENERGY, POWER]}}},
        },
    }
    template.update(overrides)
    return template


def specs_201(
    directory: Path, supervision_url: str, count: int = 1, **overrides: Any
) -> list[StationSpec]:
    path = write_fleet(
        directory, supervision_url, {"v201.json": (template_201(**overrides), count)}
    )
    return plan_stations(load_settings(path, environ={}))


__all__ = ["ENERGY", "POWER", "specs_201", "template_201"]
