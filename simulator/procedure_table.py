"""The UI procedures (ui0.0.1), one row each: the name, the payload model, the target.

A target is one of three:
- `Fleet`: the supervisor answers it (simulator/fleet_procedures.py);
- `Intent`: every named station does it, the same for any OCPP version
  (simulator/station/intents.py);
- `Message`: every named station sends one message through its OCPP version's commands
  (simulator/station/ocpp16/commands.py, simulator/station/ocpp201/commands.py); a row of a
  message both versions have names both commands, and a station of a version the row has no
  command for fails alone, so a mixed fleet answers with one failure per such station.

The UI server (simulator/ui/procedures.py) validates each payload with the row's model and runs
or forwards it; the worker host (simulator/station/host.py) runs station rows by name. Adding a
procedure is a row here plus its function.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

from simulator import fleet_procedures as fleet
from simulator.fleet_procedures import FleetControl
from simulator.procedure_answers import Answer
from simulator.procedure_payloads import (
    AddChargingStations,
    Authorize,
    AutomaticTransactionGenerator,
    BootNotification,
    ChangeConfiguration,
    ConnectorRequest,
    DataTransfer,
    DeleteChargingStations,
    DiagnosticsStatusNotification,
    Empty,
    FirmwareStatusNotification,
    MeterValues,
    OnStations,
    SetSupervisionUrl,
    StartTransaction,
    StatusNotification,
    StopTransaction,
)
from simulator.procedure_payloads201 import (
    LogStatusNotification,
    NotifyCustomerInformation,
    NotifyReport,
    SecurityEventNotification,
    TransactionEvent,
)
from simulator.station import intents
from simulator.station.intents import Intent as IntentRun
from simulator.station.ocpp16 import commands as v16
from simulator.station.ocpp201 import commands as v201

M = TypeVar("M", bound=BaseModel)

OCPP16 = "1.6"
OCPP201 = "2.0.1"
# A template's ocppVersion -> the version whose commands its stations run ("2.0" is 2.0.1).
_COMMAND_VERSION: Mapping[str, str] = {"1.6": OCPP16, "2.0": OCPP201, "2.0.1": OCPP201}

Command = Callable[[Any, dict[str, Any]], Coroutine[Any, Any, None]]
"""A version's command, on a station of that version (v16.Command, v201.Command): the row's
version key, checked against the station's at run time, is what pairs them."""


@dataclass(frozen=True, slots=True)
class Fleet(Generic[M]):
    """Answered by the supervisor, with the parsed payload."""

    run: Callable[[FleetControl, M], Awaitable[Answer]]


@dataclass(frozen=True, slots=True)
class Intent:
    """Done by each named station, whatever its OCPP version."""

    run: IntentRun


@dataclass(frozen=True, slots=True)
class Message:
    """Sent by each named station: its OCPP version's command (version -> command)."""

    commands: Mapping[str, Command]

    def command(self, ocpp_version: str) -> Command:
        version = _COMMAND_VERSION.get(ocpp_version, ocpp_version)
        command = self.commands.get(version)
        if command is None:
            versions = " and ".join(f"OCPP {v}" for v in sorted(self.commands))
            raise ValueError(f"not a message of OCPP {version}: a message of {versions} only")
        return command


Target = Fleet[M] | Intent | Message


@dataclass(frozen=True, slots=True)
class Procedure(Generic[M]):
    name: str
    payload: type[M]
    target: Target[M]

    @property
    def on_stations(self) -> bool:
        return not isinstance(self.target, Fleet)


TABLE: tuple[Procedure[Any], ...] = (
    # The simulator and its fleet.
    Procedure("startSimulator", Empty, Fleet(fleet.start_simulator)),
    Procedure("stopSimulator", Empty, Fleet(fleet.stop_simulator)),
    Procedure("simulatorState", Empty, Fleet(fleet.simulator_state)),
    Procedure("listTemplates", Empty, Fleet(fleet.list_templates)),
    Procedure("listChargingStations", Empty, Fleet(fleet.list_charging_stations)),
    Procedure("addChargingStations", AddChargingStations, Fleet(fleet.add_charging_stations)),
    Procedure(
        "deleteChargingStations", DeleteChargingStations, Fleet(fleet.delete_charging_stations)
    ),
    Procedure("performanceStatistics", Empty, Fleet(fleet.performance_statistics)),
    # Stations: the same in every OCPP version.
    Procedure("startChargingStation", OnStations, Intent(intents.start_station)),
    Procedure("stopChargingStation", OnStations, Intent(intents.stop_station)),
    Procedure("openConnection", OnStations, Intent(intents.open_connection)),
    Procedure("closeConnection", OnStations, Intent(intents.close_connection)),
    Procedure("startTransaction", StartTransaction, Intent(intents.start_transaction)),
    Procedure("stopTransaction", StopTransaction, Intent(intents.stop_transaction)),
    Procedure(
        "startAutomaticTransactionGenerator",
        AutomaticTransactionGenerator,
        Intent(intents.start_atg),
    ),
    Procedure(
        "stopAutomaticTransactionGenerator", AutomaticTransactionGenerator, Intent(intents.stop_atg)
    ),
    Procedure("setSupervisionUrl", SetSupervisionUrl, Intent(intents.set_supervision_url)),
    Procedure("changeConfiguration", ChangeConfiguration, Intent(intents.change_configuration)),
    Procedure("lockConnector", ConnectorRequest, Intent(intents.lock_connector)),
    Procedure("unlockConnector", ConnectorRequest, Intent(intents.unlock_connector)),
    # evsim extensions: an EV plugged into / unplugged (at the EV side) from a connector.
    Procedure("plugConnector", ConnectorRequest, Intent(intents.plug_connector)),
    Procedure("unplugConnector", ConnectorRequest, Intent(intents.unplug_connector)),
    # Stations: send one message now, in the station's OCPP version.
    Procedure("authorize", Authorize, Message({OCPP16: v16.authorize, OCPP201: v201.authorize})),
    Procedure(
        "bootNotification",
        BootNotification,
        Message({OCPP16: v16.boot_notification, OCPP201: v201.boot_notification}),
    ),
    Procedure(
        "dataTransfer",
        DataTransfer,
        Message({OCPP16: v16.data_transfer, OCPP201: v201.data_transfer}),
    ),
    Procedure(
        "diagnosticsStatusNotification",
        DiagnosticsStatusNotification,
        Message({OCPP16: v16.diagnostics_status_notification}),
    ),
    Procedure(
        "firmwareStatusNotification",
        FirmwareStatusNotification,
        Message(
            {
                OCPP16: v16.firmware_status_notification,
                OCPP201: v201.firmware_status_notification,
            }
        ),
    ),
    Procedure("heartbeat", OnStations, Message({OCPP16: v16.heartbeat, OCPP201: v201.heartbeat})),
    Procedure(
        "meterValues",
        MeterValues,
        Message({OCPP16: v16.meter_values, OCPP201: v201.meter_values}),
    ),
    Procedure(
        "statusNotification",
        StatusNotification,
        Message({OCPP16: v16.status_notification, OCPP201: v201.status_notification}),
    ),
    # OCPP 2.0.1 only.
    Procedure(
        "logStatusNotification",
        LogStatusNotification,
        Message({OCPP201: v201.log_status_notification}),
    ),
    Procedure(
        "notifyCustomerInformation",
        NotifyCustomerInformation,
        Message({OCPP201: v201.notify_customer_information}),
    ),
    Procedure("notifyReport", NotifyReport, Message({OCPP201: v201.notify_report})),
    Procedure(
        "securityEventNotification",
        SecurityEventNotification,
        Message({OCPP201: v201.security_event_notification}),
    ),
    Procedure("transactionEvent", TransactionEvent, Message({OCPP201: v201.transaction_event})),
)

# The seed README's spellings: other names of the same procedures.
ALIASES: Mapping[str, str] = {"StatusNotification": "statusNotification", "Heartbeat": "heartbeat"}

PROCEDURES: Mapping[str, Procedure[Any]] = {
    **{row.name: row for row in TABLE},
    **{alias: next(row for row in TABLE if row.name == name) for alias, name in ALIASES.items()},
}
"""Every name the UI answers (aliases included) -> its row."""
