"""The UI procedures that make a station send one OCPP 1.6 message now ("send this message":
authorize, bootNotification, heartbeat, meterValues, ...). simulator/procedure_table.py names
them as the 1.6 commands of its message procedures; the worker host runs them on each 1.6
station a request names.

Each command raises when the station could not send it or the CSMS refused, which the host
reports as that station's failure; the UI layer has validated the payload already.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any, Protocol, get_args

from simulator.meter_vocabulary import ChargePointStatus
from simulator.station.clock import Clock, iso_timestamp
from simulator.station.ports import Caller, WithConnectors, WithTemplate


class CommandStation(Caller, WithConnectors, WithTemplate, Protocol):
    """What the 1.6 commands use of a station."""

    @property
    def clock(self) -> Clock: ...

    async def boot_notification(self, overrides: dict[str, Any]) -> dict[str, Any]: ...

    async def heartbeat(self) -> dict[str, Any]: ...

    async def send_status(self, connector_id: int) -> None: ...

    def set_connector_status(
        self, connector_id: int, status: str | None, error_code: str | None
    ) -> None: ...


Command = Callable[[CommandStation, dict[str, Any]], Coroutine[Any, Any, None]]

ACCEPTED = "Accepted"
# The UI's payload models take either version's fields and values; these are 1.6's (sections
# 7.7 ChargePointStatus, 7.25 FirmwareStatus).
FIRMWARE_STATUSES = frozenset(
    {
        "Downloaded",
        "DownloadFailed",
        "Downloading",
        "Idle",
        "InstallationFailed",
        "Installing",
        "Installed",
    }
)
CHARGE_POINT_STATUSES = frozenset(get_args(ChargePointStatus))


class Refused(Exception):
    """The CSMS answered, but not with what the command asked for."""


def _require_accepted(action: str, status: Any) -> None:
    if status != ACCEPTED:
        raise Refused(f"{action}: {status}")


def _not_in_16(what: str) -> ValueError:
    return ValueError(f"{what}: not in OCPP 1.6")


async def authorize(station: CommandStation, payload: dict[str, Any]) -> None:
    if payload.get("idTag") is None:
        raise _not_in_16("idToken (an idTag authorizes a 1.6 station)")
    response = await station.call("Authorize", {"idTag": payload["idTag"]})
    _require_accepted("Authorize", response["idTagInfo"]["status"])


async def boot_notification(station: CommandStation, payload: dict[str, Any]) -> None:
    response = await station.boot_notification(payload.get("overrides") or {})
    _require_accepted("BootNotification", response["status"])


async def data_transfer(station: CommandStation, payload: dict[str, Any]) -> None:
    if payload.get("data") is not None and not isinstance(payload["data"], str):
        raise _not_in_16("DataTransfer data other than a string")
    request: dict[str, Any] = {
        "vendorId": payload.get("vendorId") or station.template.charge_point_vendor
    }
    for key in ("messageId", "data"):
        if payload.get(key) is not None:
            request[key] = payload[key]
    response = await station.call("DataTransfer", request)
    _require_accepted("DataTransfer", response["status"])


async def diagnostics_status_notification(station: CommandStation, payload: dict[str, Any]) -> None:
    await station.call("DiagnosticsStatusNotification", {"status": payload["status"]})


async def firmware_status_notification(station: CommandStation, payload: dict[str, Any]) -> None:
    if payload["status"] not in FIRMWARE_STATUSES:
        raise _not_in_16(f"firmware status {payload['status']}")
    if payload.get("requestId") is not None:
        raise _not_in_16("FirmwareStatusNotification requestId")
    await station.call("FirmwareStatusNotification", {"status": payload["status"]})


async def heartbeat(station: CommandStation, payload: dict[str, Any]) -> None:
    await station.heartbeat()


async def meter_values(station: CommandStation, payload: dict[str, Any]) -> None:
    """MeterValues for a connector: the given meterValue, else one Energy.Active.Import.Register
    sample of the connector's register (and its transaction's id when one runs)."""
    if payload.get("connectorId") is None:
        raise _not_in_16("evseId (a 1.6 station meters connectors: give connectorId)")
    connector_id = int(payload["connectorId"])
    connector = station.connectors.get(connector_id)
    if connector is None:
        raise ValueError(f"no connector {connector_id}")
    request: dict[str, Any] = {"connectorId": connector_id}
    transaction_id = payload.get("transactionId")
    if transaction_id is None and connector.transaction_started:
        transaction_id = connector.transaction_id
    if transaction_id is not None:
        request["transactionId"] = int(transaction_id)
    request["meterValue"] = payload.get("meterValue") or [
        {
            "timestamp": iso_timestamp(station.clock.now()),
            "sampledValue": [
                {
                    "value": str(round(connector.meter.register_wh)),
                    "measurand": "Energy.Active.Import.Register",
                    "unit": "Wh",
                    "context": "Sample.Periodic",
                }
            ],
        }
    ]
    await station.call("MeterValues", request)


async def status_notification(station: CommandStation, payload: dict[str, Any]) -> None:
    """The connector's status (changed first when the payload gives status or errorCode)."""
    if payload.get("status") is not None and payload["status"] not in CHARGE_POINT_STATUSES:
        raise _not_in_16(f"connector status {payload['status']}")
    connector_id = int(payload["connectorId"])
    station.set_connector_status(connector_id, payload.get("status"), payload.get("errorCode"))
    await station.send_status(connector_id)
