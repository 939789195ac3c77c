"""The vocabulary a template writes its connectors' meters and boot status in: the OCPP 1.6
JSON schemas' enumerations ('Celcius' and 'Hertz' included). OCPP 2.0.1 spells measurands,
phases, reading contexts and locations with the same strings (its MeasurandEnumType,
PhaseEnumType, ReadingContextEnumType, LocationEnumType) and takes the same unit strings, so a
template's MeterValues mean the same for a station of either version."""

from __future__ import annotations

from typing import Literal

# A connector's status (1.6 section 7.7); 2.0.1 reports connectors with other values.
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
__all__ = [
    "ChargePointStatus",
    "Location",
    "Measurand",
    "Phase",
    "ReadingContext",
    "UnitOfMeasure",
    "ValueFormat",
]
