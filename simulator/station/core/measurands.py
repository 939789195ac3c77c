"""The measurands the meter model computes (the Measurand values, spelled the same in OCPP 1.6
and 2.0.1), their default units and the scales of the units the model converts to."""

from __future__ import annotations

ENERGY = "Energy.Active.Import.Register"
POWER = "Power.Active.Import"
CURRENT = "Current.Import"
VOLTAGE = "Voltage"
SOC = "SoC"
FREQUENCY = "Frequency"
POWER_OFFERED = "Power.Offered"
CURRENT_OFFERED = "Current.Offered"

DEFAULT_UNITS = {
    ENERGY: "Wh",
    POWER: "W",
    POWER_OFFERED: "W",
    CURRENT: "A",
    CURRENT_OFFERED: "A",
    VOLTAGE: "V",
    SOC: "Percent",
    FREQUENCY: "Hertz",
}
# unit -> factor from the model's SI quantity (W, Wh, A, V) to the unit.
UNIT_SCALE = {"kW": 1e-3, "kWh": 1e-3, "kVA": 1e-3, "kvar": 1e-3}

__all__ = [
    "CURRENT",
    "CURRENT_OFFERED",
    "DEFAULT_UNITS",
    "ENERGY",
    "FREQUENCY",
    "POWER",
    "POWER_OFFERED",
    "SOC",
    "UNIT_SCALE",
    "VOLTAGE",
]
