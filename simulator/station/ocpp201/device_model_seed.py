"""Regenerates device_model_data.json: `python -m simulator.station.ocpp201.device_model_seed`.

The rows come from the OCA's device-model CSV (dm_components_vars.csv beside this file, Part 2
Appendices v1.4, copied unmodified: CC BY-ND 4.0, (c) Open Charge Alliance): component, variable,
instance, Required?, dataType and unit. What the CSV does not hold (mutability, limits, value lists,
defaults) is evsim's choice below, each naming its Part 2 section ("Referenced Components and
Variables", section 2.x) and, where the station must act on the value, the requirement ids that
say how (`behaviour`). A CSV row of a chosen component that is neither chosen nor excluded (with
its reason) stops the generator, so a new CSV cannot add a variable silently. Each variable also
names the part of the station that gives it behaviour (`readBy`) or why none does yet
(`missing`), from device_model_parts.py; a chosen variable in neither, or missing yet writable,
stops it too.
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from simulator.station.ocpp201.device_model_parts import MISSING, READ_BY, READERS

HERE = Path(__file__).resolve().parent
CSV_PATH = HERE / "dm_components_vars.csv"
DATA_PATH = HERE / "device_model_data.json"

# Components with one instance per EVSE or per connector; every other one exists once.
SCOPES = {"EVSE": "evse", "Connector": "connector"}
# CSV data types outside DataEnumType are strings with a format rule of their own.
DATA_TYPES = {"identifierString": "string", "passwordString": "string", "dateTime": "dateTime"}
# The measurands evsim's meter model computes (simulator/station/meter_values.py); a list that
# offered the rest would promise readings the station cannot make.
MEASURANDS = (
    "Current.Import",
    "Current.Offered",
    "Energy.Active.Import.Register",
    "Frequency",
    "Power.Active.Import",
    "Power.Offered",
    "SoC",
    "Voltage",
)
TX_POINTS = (
    "ParkingBayOccupancy",
    "EVConnected",
    "Authorized",
    "DataSigned",
    "PowerPathClosed",
    "EnergyTransfer",
)
AVAILABILITY = ("Available", "Occupied", "Reserved", "Unavailable", "Faulted")
ENERGY = "Energy.Active.Import.Register"
CS = "ChargingStation"  # the OCPP component (Part 2 appendix 3), not evsim's station class


@dataclass(frozen=True)
class Choice:
    """What evsim says about one CSV row."""

    section: str
    mutability: str
    default: str | None
    behaviour: str = ""
    source: str = "config"  # "station": the station supplies the value while it runs
    unit: str | None = None
    data_type: str | None = None
    min_limit: float | None = None
    max_limit: float | None = None
    values: tuple[str, ...] | None = None
    max_elements: int | None = None
    reboot: bool = False
    constant: bool = False


def rw(section: str, default: str, behaviour: str, **kw: Any) -> Choice:
    return Choice(section, "ReadWrite", default, behaviour, **kw)


def ro(section: str, default: str, behaviour: str = "", **kw: Any) -> Choice:
    """A fixed capability of the simulated station (template-overridable)."""
    return Choice(section, "ReadOnly", default, behaviour, constant=True, **kw)


def live(section: str, default: str | None, behaviour: str, **kw: Any) -> Choice:
    """A read-only value the station reports from its state."""
    return Choice(section, "ReadOnly", default, behaviour, source="station", **kw)


CHOICES: dict[str, Choice] = {
    # -- AlignedDataCtrlr (J01) --
    "AlignedDataCtrlr.Available": ro("2.7.10", "true", "J01 clock-aligned MeterValues"),
    "AlignedDataCtrlr.Enabled": rw("2.7.9", "true", "J01: false stops clock-aligned data"),
    "AlignedDataCtrlr.Interval": rw("2.7.12", "900", "J01.FR.01-03, 0 = off", min_limit=0),
    "AlignedDataCtrlr.Measurands": rw("2.7.11", ENERGY, "J01.FR.02", values=MEASURANDS),
    "AlignedDataCtrlr.SendDuringIdle": rw("2.7.13", "false", "J01.FR.05 (none in a tx)"),
    "AlignedDataCtrlr.SignReadings": ro("2.7.14", "false"),
    "AlignedDataCtrlr.TxEndedInterval": rw("2.7.16", "0", "E06.FR.11, J01.FR.09", min_limit=0),
    "AlignedDataCtrlr.TxEndedMeasurands": rw("2.7.15", ENERGY, "E06.FR.11", values=MEASURANDS),
    # -- AuthCacheCtrlr (C10-C12) --
    "AuthCacheCtrlr.Available": ro("2.4.2", "true", "C10-C12 authorization cache"),
    "AuthCacheCtrlr.Enabled": rw("2.4.1", "true", "C10.FR.01-04, C11"),
    "AuthCacheCtrlr.LifeTime": rw("2.4.3", "86400", "C10.FR.07 expiry", unit="s", min_limit=0),
    "AuthCacheCtrlr.Policy": rw("2.4.5", "LRU", "C10.FR.05 replacement", values=("LRU",)),
    "AuthCacheCtrlr.Storage": live("2.4.4", "0", "bytes the cache uses", max_limit=1048576),
    "AuthCacheCtrlr.DisablePostAuthorize": rw("2.4.6", "false", "C10.FR.03/C12.FR.06"),
    # -- AuthCtrlr (C01, C02, C15, C16, F01) --
    "AuthCtrlr.AuthorizeRemoteStart": rw("2.3.4", "true", "F01.FR.01/02"),
    "AuthCtrlr.Enabled": rw("2.3.1", "true", "C01: false starts without Authorize"),
    "AuthCtrlr.LocalAuthorizeOffline": rw("2.3.5", "true", "C12.FR.03, C13.FR.03 offline"),
    "AuthCtrlr.LocalPreAuthorize": rw("2.3.6", "false", "C12.FR.02, C13.FR.02 online"),
    "AuthCtrlr.MasterPassGroupId": rw("2.3.7", "", "C16.FR.01-05", max_limit=36),
    "AuthCtrlr.OfflineTxForUnknownIdEnabled": rw("2.3.3", "false", "C15.FR.01-08"),
    "AuthCtrlr.DisableRemoteAuthorization": rw("2.3.8", "false", "C01.FR.26, C14.FR.03"),
    # -- ChargingStation, EVSE, Connector (2.13, G01-G04, B11) --
    f"{CS}.AvailabilityState": live(
        "2.13.2", "Available", "G03/G04 ChangeAvailability", values=AVAILABILITY
    ),
    f"{CS}.Available": ro("2.13.1", "true"),
    f"{CS}.Model": live("2.13", "", "BootNotification chargingStation.model"),
    f"{CS}.SupplyPhases": live("2.13.6", "3", "phases of the simulated supply"),
    f"{CS}.VendorName": live("2.13", "", "BootNotification chargingStation.vendorName"),
    "EVSE.AllowReset": ro("2.13.3", "true", "B11.FR.08/B12.FR.05 Reset of one EVSE"),
    "EVSE.AvailabilityState": live(
        "2.13.2", "Available", "G01-G04 per EVSE status", values=AVAILABILITY
    ),
    "EVSE.Available": ro("2.13.1", "true"),
    "EVSE.Power": live("2.13.7", "0", "Actual: power now; maxLimit: the EVSE's", unit="W"),
    "EVSE.SupplyPhases": live("2.13.6", "3", "phases of the EVSE"),
    "Connector.AvailabilityState": live(
        "2.13.2", "Available", "G01 StatusNotification status", values=AVAILABILITY
    ),
    "Connector.Available": ro("2.13.1", "true"),
    "Connector.ConnectorType": live("2.13.4", "cType2", "StatusNotification connector"),
    "Connector.SupplyPhases": live("2.13.6", "3", "phases of the connector"),
    # -- ClockCtrlr --
    "ClockCtrlr.DateTime": live("2.1.24", None, "the station clock (RFC 3339, UTC)"),
    "ClockCtrlr.TimeSource": ro("2.1.30", "RealTimeClock", values=("RealTimeClock",)),
    # -- DeviceDataCtrlr (B05-B07: device_model.py) --
    "DeviceDataCtrlr.BytesPerMessage.GetReport": ro("2.1.18", "65000", "B07 NotifyReport"),
    "DeviceDataCtrlr.BytesPerMessage.GetVariables": ro("2.1.19", "65000", "B06.FR.17"),
    "DeviceDataCtrlr.BytesPerMessage.SetVariables": ro("2.1.23", "65000", "B05.FR.11"),
    "DeviceDataCtrlr.ConfigurationValueSize": ro("2.1.20", "1000", "B05 value length"),
    "DeviceDataCtrlr.ItemsPerMessage.GetReport": ro("2.1.16", "100", "B07 NotifyReport"),
    "DeviceDataCtrlr.ItemsPerMessage.GetVariables": ro("2.1.17", "50", "B06.FR.16"),
    "DeviceDataCtrlr.ItemsPerMessage.SetVariables": ro("2.1.22", "50", "B05.FR.11"),
    "DeviceDataCtrlr.ReportingValueSize": ro("2.1.21", "2500", "B06/B07 value length"),
    # -- LocalAuthListCtrlr (D01, D02) --
    "LocalAuthListCtrlr.Available": ro("2.5.3", "true", "D01/D02 local list"),
    "LocalAuthListCtrlr.BytesPerMessage": ro("2.5.5", "65000", "D01 SendLocalList size"),
    "LocalAuthListCtrlr.Enabled": rw("2.5.1", "true", "C13, D01.FR.01/02"),
    "LocalAuthListCtrlr.Entries": live("2.5.2", "0", "D01 list size", max_limit=10000),
    "LocalAuthListCtrlr.ItemsPerMessage": ro("2.5.4", "100", "D01.FR.11 SendLocalList items"),
    "LocalAuthListCtrlr.Storage": live("2.5.6", "0", "bytes the list uses", max_limit=1048576),
    "LocalAuthListCtrlr.DisablePostAuthorize": rw("2.5.7", "false", "C13.FR.04"),
    # -- OCPPCommCtrlr (P4, B01-B04, B09-B12, E13, G02) --
    "OCPPCommCtrlr.ActiveNetworkProfile": live(
        "2.1.1", "1", "B10: the connection's slot", data_type="integer"
    ),
    "OCPPCommCtrlr.FileTransferProtocols": ro(
        "2.1.4", "FTP,HTTP,HTTPS", values=("FTP", "HTTP", "HTTPS")
    ),
    "OCPPCommCtrlr.HeartbeatInterval": rw("2.1.5", "300", "G02.FR.01-03", min_limit=1),
    "OCPPCommCtrlr.MessageTimeout.Default": ro(
        "2.1.3", "30", "P4 CALL timeout; a network profile's messageTimeout", min_limit=1
    ),
    "OCPPCommCtrlr.MessageAttemptInterval.TransactionEvent": rw(
        "2.1.11", "60", "E13.FR.02/03", unit="s", min_limit=0
    ),
    "OCPPCommCtrlr.MessageAttempts.TransactionEvent": rw(
        "2.1.10", "3", "E13.FR.01/02/04", min_limit=0
    ),
    "OCPPCommCtrlr.NetworkConfigurationPriority": rw(
        "2.1.6",
        "1",
        "B10.FR.01-04/08 slots after reboot",
        data_type="SequenceList",
        values=("1", "2", "3"),
        reboot=True,
    ),
    "OCPPCommCtrlr.NetworkProfileConnectionAttempts": rw(
        "2.1.7", "3", "B10.FR.03 attempts per slot", min_limit=1
    ),
    "OCPPCommCtrlr.OfflineThreshold": rw("2.1.8", "60", "B04.FR.01/02", min_limit=0),
    "OCPPCommCtrlr.ResetRetries": rw("2.1.14", "1", "B11.FR.10/B12", min_limit=0),
    "OCPPCommCtrlr.RetryBackOffRandomRange": rw("P4 5.3", "10", "P4 5.3", unit="s", min_limit=0),
    "OCPPCommCtrlr.RetryBackOffRepeatTimes": rw("P4 5.3", "5", "P4 5.3", min_limit=0),
    "OCPPCommCtrlr.RetryBackOffWaitMinimum": rw("P4 5.3", "3", "P4 5.3", unit="s", min_limit=0),
    "OCPPCommCtrlr.UnlockOnEVSideDisconnect": rw("2.1.12", "true", "F05, E10 unplug at EV"),
    "OCPPCommCtrlr.WebSocketPingInterval": rw("2.1.13", "60", "P4 5.2 pings", min_limit=0),
    # -- ReservationCtrlr (H01, H02: deferred, so not available) --
    "ReservationCtrlr.Available": ro("2.8.2", "false"),
    "ReservationCtrlr.Enabled": ro("2.8.1", "false"),
    "ReservationCtrlr.NonEvseSpecific": ro("2.8.3", "false"),
    # -- SampledDataCtrlr (E01-E06, J02) --
    "SampledDataCtrlr.Available": ro("2.7.2", "true", "J02 sampled data"),
    "SampledDataCtrlr.Enabled": rw("2.7.1", "true", "J02: false sends no sampled data"),
    "SampledDataCtrlr.SignReadings": ro("2.7.3", "false"),
    "SampledDataCtrlr.TxEndedInterval": rw("2.7.5", "0", "E06.FR.11, J02", min_limit=0),
    "SampledDataCtrlr.TxEndedMeasurands": rw("2.7.4", ENERGY, "E06.FR.11", values=MEASURANDS),
    "SampledDataCtrlr.TxStartedMeasurands": rw("2.7.6", ENERGY, "E02.FR.09", values=MEASURANDS),
    "SampledDataCtrlr.TxUpdatedInterval": rw("2.7.8", "60", "E02.FR.10, J02.FR.11", min_limit=0),
    "SampledDataCtrlr.TxUpdatedMeasurands": rw("2.7.7", ENERGY, "J02.FR.11", values=MEASURANDS),
    # -- SecurityCtrlr: basic auth and TLS as 1.6 has them (A00 profiles 1-3, A01) --
    "SecurityCtrlr.BasicAuthPassword": Choice(
        "2.2.1", "WriteOnly", "", "A00.FR.205, A01.FR.01: the next connection's", max_limit=40
    ),
    "SecurityCtrlr.CertificateEntries": live("2.2.4", "0", "none installed (M03-M05: Tier 3)"),
    "SecurityCtrlr.Identity": live("2.2.2", "", "A00.FR.204, P4 3.1.1 station id", max_limit=48),
    "SecurityCtrlr.OrganizationName": ro("2.2.3", "evsim", max_limit=255),
    "SecurityCtrlr.SecurityProfile": live("2.2.5", "1", "A00, B09.FR.04: the connection's"),
    # -- SmartChargingCtrlr (K01-K10: deferred, so not available) --
    "SmartChargingCtrlr.Available": ro("2.9.2", "false"),
    "SmartChargingCtrlr.Enabled": ro("2.9.1", "false"),
    "SmartChargingCtrlr.Entries.ChargingProfiles": live("2.9.10", "0", "", max_limit=100),
    "SmartChargingCtrlr.LimitChangeSignificance": ro("2.9.11", "10", unit="Percent", min_limit=0),
    "SmartChargingCtrlr.PeriodsPerSchedule": ro("2.9.6", "24"),
    "SmartChargingCtrlr.ProfileStackLevel": ro("2.9.4", "10"),
    "SmartChargingCtrlr.RateUnit": ro("2.9.5", "A,W", values=("A", "W")),
    # -- TxCtrlr (E01-E10) --
    "TxCtrlr.EVConnectionTimeOut": rw("2.6.1", "60", "E03.FR.05, E09 cancel tx", min_limit=0),
    "TxCtrlr.MaxEnergyOnInvalidId": rw("2.6.7", "0", "E05.FR.03", unit="Wh", min_limit=0),
    "TxCtrlr.StopTxOnEVSideDisconnect": rw("2.6.2", "true", "E10.FR.01-05"),
    "TxCtrlr.StopTxOnInvalidId": rw("2.6.8", "true", "E05.FR.01-04"),
    "TxCtrlr.TxBeforeAcceptedEnabled": rw("2.6.3", "false", "B02.FR.06, E01"),
    "TxCtrlr.TxStartPoint": rw("2.6.4", "PowerPathClosed", "E01.FR.01-06", values=TX_POINTS),
    "TxCtrlr.TxStopPoint": rw("2.6.5", "EVConnected,Authorized", "E06.FR.01-07", values=TX_POINTS),
}

EXCLUDED: dict[str, str] = {
    "AuthCtrlr.AdditionalInfoItemsPerMessage": "additionalInfo is never sent",
    f"{CS}.AllowNewSessionsPendingFirmwareUpdate": "firmware update is Tier 3",
    "ClockCtrlr.NextTimeOffsetTransitionDateTime": "local time is not simulated",
    "ClockCtrlr.NtpServerUri": "no NTP client",
    "ClockCtrlr.NtpSource": "no NTP client",
    "ClockCtrlr.TimeAdjustmentReportingThreshold": "the clock is never adjusted",
    "ClockCtrlr.TimeOffset": "local time is not simulated",
    "ClockCtrlr.TimeZone": "local time is not simulated",
    "Connector.ChargeProtocol": "ISO 15118 / CHAdeMO are not simulated",
    "DeviceDataCtrlr.ValueSize": "ConfigurationValueSize and ReportingValueSize say it",
    "EVSE.EvseId": "ISO 15118 is not simulated",
    "EVSE.ISO15118EvseId": "ISO 15118 is not simulated",
    "OCPPCommCtrlr.FieldLength": "no field is longer than its schema",
    "OCPPCommCtrlr.PublicKeyWithSignedMeterValue": "no signed meter values",
    "OCPPCommCtrlr.QueueAllMessages": "only TransactionEvents are queued",
    "SampledDataCtrlr.RegisterValuesWithoutPhases": "energy is reported without phases",
    "SecurityCtrlr.AdditionalRootCertificateCheck": "certificates are Tier 3",
    "SecurityCtrlr.CertSigningRepeatTimes": "certificates are Tier 3",
    "SecurityCtrlr.CertSigningWaitMinimum": "certificates are Tier 3",
    "SecurityCtrlr.MaxCertificateChainSize": "certificates are Tier 3",
    "SmartChargingCtrlr.ACPhaseSwitchingSupported": "no 2.0.1 phase switching yet",
    "SmartChargingCtrlr.ExternalControlSignalsEnabled": "external limits are deferred",
    "SmartChargingCtrlr.NotifyChargingLimitWithSchedules": "external limits are deferred",
    "SmartChargingCtrlr.Phases3to1": "no 2.0.1 phase switching yet",
    "TxCtrlr.ChargingTime": "not reported",
}

# Part 2 text and the SAP simulator use these names; the CSV and the ocpp package the others.
ALIASES = {
    "AuthCtrlr.LocalAuthorizationOffline": "AuthCtrlr.LocalAuthorizeOffline",
    "AuthCtrlr.LocalPreAuthorization": "AuthCtrlr.LocalPreAuthorize",
}


def _parts(keys: list[str]) -> dict[str, str]:
    """Each chosen variable's part (READ_BY), checked: exactly one of READ_BY and MISSING,
    never writable when missing."""
    read_by = {key: part for part, chosen in READ_BY.items() for key in chosen}
    counted = [key for chosen in READ_BY.values() for key in chosen] + list(MISSING)
    twice = sorted({key for key in counted if counted.count(key) > 1})
    chosen = {key for key in keys if key in CHOICES}
    without = sorted(chosen - read_by.keys() - MISSING.keys())
    unknown = sorted((read_by.keys() | MISSING.keys()) - chosen)
    writable = sorted(key for key in MISSING if CHOICES[key].mutability != "ReadOnly")
    claimed = sorted(key for key in MISSING if CHOICES[key].behaviour)
    parts = sorted(READ_BY.keys() - READERS.keys())
    if twice or without or unknown or writable or claimed or parts:
        raise ValueError(
            f"variables in two parts: {twice}; in none: {without}; not chosen: {unknown}; "
            f"missing but writable: {writable}; missing but claiming behaviour: {claimed}; "
            f"parts without a description: {parts}"
        )
    return read_by


def _key(row: Mapping[str, str]) -> str:
    parts = [row["Specific Component"], row["Variable"], row["Instance"]]
    return ".".join(part for part in parts if part)


def _variable(row: Mapping[str, str], choice: Choice, part: str | None) -> dict[str, Any]:
    characteristics: dict[str, Any] = {
        "dataType": choice.data_type or DATA_TYPES.get(row["DataType"], row["DataType"])
    }
    unit = choice.unit or row["Unit"].strip() or None
    for name, value in (
        ("unit", unit),
        ("minLimit", choice.min_limit),
        ("maxLimit", choice.max_limit),
        ("valuesList", ",".join(choice.values) if choice.values else None),
        ("maxElements", choice.max_elements),
    ):
        if value is not None:
            characteristics[name] = value
    attribute: dict[str, Any] = {
        "type": "Actual",
        "mutability": choice.mutability,
        "persistent": choice.source == "config",
        "constant": choice.constant,
    }
    if choice.default is not None:
        attribute["default"] = choice.default
    variable: dict[str, Any] = {"name": row["Variable"]}
    if row["Instance"]:
        variable["instance"] = row["Instance"]
    variable.update(
        required=row["Required?"].strip() == "yes",
        source=choice.source,
        characteristics=characteristics,
        attributes=[attribute],
        section=choice.section,
    )
    if choice.reboot:
        variable["rebootRequired"] = True
    if choice.behaviour:
        variable["behaviour"] = choice.behaviour
    if part is not None:
        variable["readBy"] = part
    else:
        variable["missing"] = MISSING[_key(row)]
    return variable


def generate(csv_text: str) -> dict[str, Any]:
    """The data file's content from the CSV's text."""
    components = {key.split(".")[0] for key in CHOICES}
    rows = [
        row
        for row in csv.DictReader(csv_text.splitlines(), delimiter=";")
        if row["Specific Component"] in components
    ]
    keys = [_key(row) for row in rows]
    unknown = sorted(set(keys) - CHOICES.keys() - EXCLUDED.keys())
    missing = sorted((CHOICES.keys() | EXCLUDED.keys()) - set(keys))
    if unknown or missing:
        raise ValueError(f"CSV rows without a choice: {unknown}; choices without a row: {missing}")
    read_by = _parts(keys)
    out: dict[str, dict[str, Any]] = {}
    for key, row in zip(keys, rows, strict=True):
        if key in EXCLUDED:
            continue
        name = row["Specific Component"]
        component = out.setdefault(
            name, {"name": name, "scope": SCOPES.get(name, "station"), "variables": []}
        )
        component["variables"].append(_variable(row, CHOICES[key], read_by.get(key)))
    return {
        "generatedBy": "python -m simulator.station.ocpp201.device_model_seed",
        "source": "dm_components_vars.csv (OCPP 2.0.1 Part 2 Appendices v1.4) and Part 2 sec. 2",
        "aliases": ALIASES,
        "excluded": EXCLUDED,
        "readers": READERS,
        "components": list(out.values()),
    }


def render(data: Mapping[str, Any]) -> str:
    """JSON with one line per variable: small, and a change shows as one line in a diff."""

    def one(value: Any) -> str:
        return json.dumps(value, ensure_ascii=False)

    head = [f" {one(key)}: {one(value)}," for key, value in data.items() if key != "components"]
    components = [
        "  {"
        + f'"name": {one(c["name"])}, "scope": {one(c["scope"])}, "variables": [\n'
        + ",\n".join(f"   {one(v)}" for v in c["variables"])
        + "\n  ]}"
        for c in data["components"]
    ]
    return "{\n" + "\n".join(head) + '\n "components": [\n' + ",\n".join(components) + "\n ]\n}\n"


def main(argv: list[str] | None = None) -> int:
    text = render(generate(CSV_PATH.read_text(encoding="utf-8")))
    if (argv if argv is not None else sys.argv[1:]) == ["--check"]:
        stale = DATA_PATH.read_text(encoding="utf-8") != text
        print(f"{DATA_PATH.name}: {'stale, rerun without --check' if stale else 'up to date'}")
        return 1 if stale else 0
    DATA_PATH.write_text(text, encoding="utf-8")
    print(f"{DATA_PATH.name}: written")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
