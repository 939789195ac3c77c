"""The UI procedures that make a 2.0.1 station send one message now ("send this message":
authorize, transactionEvent, notifyReport, securityEventNotification, ...).
simulator/procedure_table.py names them as the 2.0.1 commands of its message procedures; the
worker host runs them on each 2.0.1 station a request names.

Each builds its request in 2.0.1 spelling from the UI payload (validated by the UI layer
already) and the station's state, optional fields left out when they have no value (P4 4.1.5),
and raises when the station could not send it or the CSMS refused, which the host reports as
that station's failure. Connector ids in a payload are the station-wide ones of every UI
procedure; the messages carry the EVSE and the connector within it.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Mapping
from typing import Any, Final, Protocol

from simulator.station.clock import Clock, iso_timestamp
from simulator.station.core.model import ConnectorState
from simulator.station.core.tokens import IdToken
from simulator.station.ocpp201.evses import EvseMap
from simulator.station.ports import Caller, WithConnectors, WithTemplate

ACCEPTED: Final = "Accepted"
AUTHORIZE: Final = "Authorize"
BOOT_NOTIFICATION: Final = "BootNotification"
DATA_TRANSFER: Final = "DataTransfer"
FIRMWARE_STATUS_NOTIFICATION: Final = "FirmwareStatusNotification"
LOG_STATUS_NOTIFICATION: Final = "LogStatusNotification"
METER_VALUES: Final = "MeterValues"
NOTIFY_CUSTOMER_INFORMATION: Final = "NotifyCustomerInformation"
NOTIFY_REPORT: Final = "NotifyReport"
SECURITY_EVENT_NOTIFICATION: Final = "SecurityEventNotification"
ENERGY_REGISTER: Final = "Energy.Active.Import.Register"

# The core's connector statuses a 2.0.1 CSMS sees as Occupied (status_reports.py's mapping).
_OCCUPIED_CORE: Final = frozenset(
    {"Preparing", "Charging", "SuspendedEV", "SuspendedEVSE", "Finishing"}
)
_OCCUPIED: Final = "Occupied"


class EvseLayout(Protocol):
    @property
    def evses(self) -> Mapping[int, tuple[int, ...]]:
        """EVSE id -> its station-wide connector ids, in order (StationSpec.evses)."""


class CommandStation201(Caller, WithConnectors, WithTemplate, Protocol):
    """What the 2.0.1 commands use of a station."""

    @property
    def clock(self) -> Clock: ...

    @property
    def spec(self) -> EvseLayout: ...

    async def boot_notification(self, overrides: dict[str, Any]) -> dict[str, Any]: ...

    async def heartbeat(self) -> dict[str, Any]: ...

    async def send_status(self, connector_id: int, *, report: bool = False) -> None: ...

    def set_connector_status(
        self, connector_id: int, status: str | None, error_code: str | None
    ) -> None: ...

    async def send_transaction_event(self, connector_id: int, fields: dict[str, Any]) -> None:
        """An Updated TransactionEvent of the transaction running on the connector, numbered,
        stamped and queued as the station's own events are (its seqNo, transactionId, offline
        flag, E01/E04): `fields` (triggerReason; chargingState inside transactionInfo;
        meterValue, idToken when given) go into it over what the station would put."""


Command = Callable[[CommandStation201, dict[str, Any]], Coroutine[Any, Any, None]]


class Refused(Exception):
    """The CSMS answered, but not with what the command asked for."""


def _require_accepted(action: str, status: Any) -> None:
    if status != ACCEPTED:
        raise Refused(f"{action}: {status}")


def _now(station: CommandStation201) -> str:
    return iso_timestamp(station.clock.now())


def _connector(station: CommandStation201, connector_id: int) -> ConnectorState:
    connector = station.connectors.get(connector_id)
    if connector is None or connector_id == 0:
        raise ValueError(f"no connector {connector_id}")
    return connector


def _evse_id(layout: Mapping[int, tuple[int, ...]], connector_id: int) -> int:
    try:
        return EvseMap(layout).evse_of(connector_id)[0]
    except KeyError:
        raise ValueError(f"connector {connector_id} is on no EVSE") from None


def _optional(payload: Mapping[str, Any], *keys: str) -> dict[str, Any]:
    return {key: payload[key] for key in keys if payload.get(key) is not None}


async def authorize(station: CommandStation201, payload: dict[str, Any]) -> None:
    """AuthorizeRequest (C01) of the given idToken, or of the idTag as an ISO14443 token."""
    id_token = payload.get("idToken") or {
        "idToken": str(payload["idTag"]),
        "type": IdToken(str(payload["idTag"])).type,
    }
    response = await station.call(AUTHORIZE, {"idToken": id_token})
    _require_accepted(AUTHORIZE, response["idTokenInfo"]["status"])


async def boot_notification(station: CommandStation201, payload: dict[str, Any]) -> None:
    """BootNotificationRequest (reason Triggered), the payload's fields over the station's."""
    response = await station.boot_notification(payload.get("overrides") or {})
    _require_accepted(BOOT_NOTIFICATION, response["status"])


async def data_transfer(station: CommandStation201, payload: dict[str, Any]) -> None:
    """DataTransferRequest (P02): the template's vendor unless the payload names one."""
    request: dict[str, Any] = {
        "vendorId": payload.get("vendorId") or station.template.charge_point_vendor,
        **_optional(payload, "messageId", "data"),
    }
    response = await station.call(DATA_TRANSFER, request)
    _require_accepted(DATA_TRANSFER, response["status"])


async def firmware_status_notification(station: CommandStation201, payload: dict[str, Any]) -> None:
    await station.call(
        FIRMWARE_STATUS_NOTIFICATION,
        {"status": payload["status"], **_optional(payload, "requestId")},
    )


async def heartbeat(station: CommandStation201, payload: dict[str, Any]) -> None:
    await station.heartbeat()


def _register_sample(
    station: CommandStation201, connectors: list[ConnectorState]
) -> dict[str, Any]:
    # One meter per EVSE: its connectors' registers (one of them charges at a time); EVSE 0,
    # the station's main meter, all of them.
    energy = sum(c.meter.register_wh for c in connectors)
    return {
        "timestamp": _now(station),
        "sampledValue": [
            {"value": round(energy), "measurand": ENERGY_REGISTER, "context": "Other"}
        ],
    }


async def meter_values(station: CommandStation201, payload: dict[str, Any]) -> None:
    """MeterValuesRequest of an EVSE (the given one, else the connector's; J01): the given
    meterValue, else one Energy.Active.Import.Register sample in Wh of its meter."""
    if payload.get("transactionId") is not None:
        raise ValueError("OCPP 2.0.1 MeterValues has no transactionId: use transactionEvent")
    layout = station.spec.evses
    evse_id = payload.get("evseId")
    if evse_id is None:
        connector_id = int(payload["connectorId"])
        _connector(station, connector_id)
        evse_id = _evse_id(layout, connector_id)
    evse_id = int(evse_id)
    if evse_id == 0:
        ids = [i for i in station.connectors if i > 0]
    elif evse_id in layout:
        ids = list(layout[evse_id])
    else:
        raise ValueError(f"no EVSE {evse_id}")
    meter_value = payload.get("meterValue") or [
        _register_sample(station, [station.connectors[i] for i in ids])
    ]
    await station.call(METER_VALUES, {"evseId": evse_id, "meterValue": meter_value})


def core_status(requested: str, current: str) -> str:
    """The core status a 2.0.1 ConnectorStatusEnumType (or a core status) asks for: Occupied
    keeps an occupied connector's status (Charging stays Charging), else is Preparing."""
    if requested != _OCCUPIED:
        return requested
    return current if current in _OCCUPIED_CORE else "Preparing"


async def status_notification(station: CommandStation201, payload: dict[str, Any]) -> None:
    """StatusNotificationRequest of the connector (G01), its status changed first when the
    payload gives one; sent even when unchanged."""
    if payload.get("errorCode") is not None:
        raise ValueError("OCPP 2.0.1 StatusNotification has no errorCode")
    connector_id = int(payload["connectorId"])
    if connector_id == 0:
        raise ValueError("OCPP 2.0.1 reports connectors only: connector 0 is the station")
    connector = _connector(station, connector_id)
    status = payload.get("status")
    if status is not None:
        station.set_connector_status(connector_id, core_status(status, connector.status), None)
    await station.send_status(connector_id, report=True)


async def transaction_event(station: CommandStation201, payload: dict[str, Any]) -> None:
    """An Updated TransactionEventRequest of the connector's transaction, with the payload's
    triggerReason (and chargingState, meterValue, idToken when given)."""
    connector_id = int(payload["connectorId"])
    if not _connector(station, connector_id).transaction_started:
        raise ValueError(f"no transaction on connector {connector_id}")
    fields: dict[str, Any] = {
        "triggerReason": payload["triggerReason"],
        **_optional(payload, "meterValue", "idToken"),
    }
    if payload.get("chargingState") is not None:
        fields["transactionInfo"] = {"chargingState": payload["chargingState"]}
    await station.send_transaction_event(connector_id, fields)


async def notify_report(station: CommandStation201, payload: dict[str, Any]) -> None:
    """NotifyReportRequest as given (B07's message, no GetBaseReport before it): generatedAt
    now unless given."""
    request: dict[str, Any] = {
        "requestId": int(payload.get("requestId") or 0),
        "generatedAt": payload.get("generatedAt") or _now(station),
        "seqNo": int(payload.get("seqNo") or 0),
        **_optional(payload, "tbc", "reportData"),
    }
    await station.call(NOTIFY_REPORT, request)


async def security_event_notification(station: CommandStation201, payload: dict[str, Any]) -> None:
    """SecurityEventNotificationRequest (A04) of the given type, timestamp now unless given."""
    request: dict[str, Any] = {
        "type": payload["type"],
        "timestamp": payload.get("timestamp") or _now(station),
        **_optional(payload, "techInfo"),
    }
    await station.call(SECURITY_EVENT_NOTIFICATION, request)


async def log_status_notification(station: CommandStation201, payload: dict[str, Any]) -> None:
    await station.call(
        LOG_STATUS_NOTIFICATION, {"status": payload["status"], **_optional(payload, "requestId")}
    )


async def notify_customer_information(station: CommandStation201, payload: dict[str, Any]) -> None:
    """NotifyCustomerInformationRequest (N10) of the given data, generatedAt now unless given."""
    request: dict[str, Any] = {
        "data": payload["data"],
        "seqNo": int(payload.get("seqNo") or 0),
        "generatedAt": payload.get("generatedAt") or _now(station),
        "requestId": int(payload.get("requestId") or 0),
        **_optional(payload, "tbc"),
    }
    await station.call(NOTIFY_CUSTOMER_INFORMATION, request)


__all__ = [
    "Command",
    "CommandStation201",
    "Refused",
    "authorize",
    "boot_notification",
    "core_status",
    "data_transfer",
    "firmware_status_notification",
    "heartbeat",
    "log_status_notification",
    "meter_values",
    "notify_customer_information",
    "notify_report",
    "security_event_notification",
    "status_notification",
    "transaction_event",
]
