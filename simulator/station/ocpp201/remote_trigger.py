"""TriggerMessage, OCPP 2.0.1 F06: the station answers first (F06.FR.04), then sends what the
CSMS asked for, of the 11 MessageTriggerEnumType values: the boot (Rejected once Accepted,
F06.FR.17), a heartbeat, a connector's status (F06.FR.12), meter values (F06.FR.06), a
TransactionEvent per running transaction (F06.FR.07), the firmware and log statuses (Idle when
nothing runs, F06.FR.15/16). The certificate requests and PublishFirmwareStatusNotification
(ISO 15118, security profile 3, Local Controller) are NotImplemented (F06.FR.08).

`trigger_answer` decides, from the request and the station's state, the status and the flat
connectors the messages are for; `send_triggered` sends one of them, for one connector or (None)
for the station; the adapter calls it too."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final, Protocol

from simulator.station.clock import iso_timestamp
from simulator.station.core.metering import ENERGY
from simulator.station.core.model import ConnectorState
from simulator.station.ocpp201.dialogue import BOOT_NOTIFICATION, HEARTBEAT, registration_status
from simulator.station.ocpp201.evses import EvseMap
from simulator.station.ocpp201.ports import WithVariables
from simulator.station.ocpp201.status_reports import STATUS_NOTIFICATION
from simulator.station.ports import Caller, Metering, Services, WithConnectors, WithSpec
from simulator.station.rpc import CallFailed, ConnectionLost

ACCEPTED: Final = "Accepted"
REJECTED: Final = "Rejected"
NOT_IMPLEMENTED: Final = "NotImplemented"
METER_VALUES: Final = "MeterValues"
TRANSACTION_EVENT: Final = "TransactionEvent"
FIRMWARE_STATUS: Final = "FirmwareStatusNotification"
LOG_STATUS: Final = "LogStatusNotification"
# No log upload runs on an evsim station (GetLog is deferred): its status is always Idle.
LOG_IDLE: Final = "Idle"
# The messages evsim sends on request. The others of MessageTriggerEnumType (the certificate
# requests and PublishFirmwareStatusNotification) it has not implemented.
TRIGGERABLE: Final = frozenset(
    {
        BOOT_NOTIFICATION,
        HEARTBEAT,
        STATUS_NOTIFICATION,
        METER_VALUES,
        TRANSACTION_EVENT,
        FIRMWARE_STATUS,
        LOG_STATUS,
    }
)
# Messages of the whole station: a given evse is not relevant and is ignored (F06.FR.03).
_STATION_WIDE: Final = frozenset({BOOT_NOTIFICATION, HEARTBEAT, FIRMWARE_STATUS, LOG_STATUS})
_SEND_FAILURES: Final = (TimeoutError, CallFailed, ConnectionLost)


class TriggerStation(Services, WithVariables, WithSpec, WithConnectors, Caller, Protocol):
    """What TriggerMessage and the messages it triggers use."""

    firmware_status: str

    @property
    def boot_response(self) -> dict[str, Any] | None: ...

    @property
    def transactions(self) -> Metering: ...

    async def boot_notification(self, overrides: dict[str, Any]) -> dict[str, Any]:
        """A BootNotification with reason Triggered; its answer is the boot response."""

    async def heartbeat(self) -> dict[str, Any]: ...

    async def send_status(self, connector_id: int, *, report: bool = False) -> None: ...

    async def triggered_transaction_event(self, connector_id: int) -> None:
        """A TransactionEvent Updated, triggerReason Trigger, of the connector's running
        transaction with its chargingState and latest TxUpdatedMeasurands (F06.FR.07), through
        the 2.0.1 outbox (its seqNo is the transaction's next)."""


@dataclass(frozen=True, slots=True)
class TriggerAnswer:
    status: str
    # What to send, once Accepted: the flat connectors the message is for (None: the station).
    targets: tuple[int | None, ...] = ()


def trigger_answer(
    requested: str,
    evse: dict[str, Any] | None,
    *,
    evses: EvseMap,
    connectors: dict[int, ConnectorState],
    metered: frozenset[int],
    boot_accepted: bool,
) -> TriggerAnswer:
    """TriggerMessageResponse's status and the message's connectors. NotImplemented for a
    message evsim does not send on request (F06.FR.08); Rejected for the boot once the CSMS
    accepted it (F06.FR.17), for a StatusNotification without evse.connectorId (F06.FR.12),
    for an EVSE or connector the station does not have, and when there is nothing to send (no
    meter, no running transaction: F06.FR.10 promises what Accepted announces). An absent evse
    means every EVSE (F06.FR.11)."""
    if requested not in TRIGGERABLE:
        return TriggerAnswer(NOT_IMPLEMENTED)
    if requested == BOOT_NOTIFICATION and boot_accepted:
        return TriggerAnswer(REJECTED)
    if requested in _STATION_WIDE:
        return TriggerAnswer(ACCEPTED, (None,))
    if requested == STATUS_NOTIFICATION:
        if evse is None or "connectorId" not in evse:
            return TriggerAnswer(REJECTED)
        flat_id = evses.flat_id(evse["id"], evse["connectorId"])
        return TriggerAnswer(REJECTED) if flat_id is None else TriggerAnswer(ACCEPTED, (flat_id,))
    # MeterValues and TransactionEvent are of an EVSE: a connectorId is not relevant.
    scope: Sequence[int] = (
        sorted(cid for cid in connectors if cid > 0)
        if evse is None
        else evses.connectors_of(evse["id"])
    )
    if requested == METER_VALUES:
        targets = [cid for cid in scope if cid in metered]
    else:
        targets = [
            cid for cid in scope if cid in connectors and connectors[cid].transaction_started
        ]
    return TriggerAnswer(ACCEPTED, tuple(targets)) if targets else TriggerAnswer(REJECTED)


async def trigger_message(station: TriggerStation, payload: dict[str, Any]) -> dict[str, Any]:
    """F06: the answer per `trigger_answer`; once Accepted, the messages after it."""
    requested = payload["requestedMessage"]
    answer = trigger_answer(
        requested,
        payload.get("evse"),
        evses=EvseMap(station.spec.evses),
        connectors=station.connectors,
        metered=frozenset(station.transactions.models),
        boot_accepted=registration_status(station.boot_response) == ACCEPTED,
    )
    if answer.status == ACCEPTED:
        # The answer goes out first; the triggered messages follow (F06.FR.04).
        station.spawn(_send_all(station, requested, answer.targets))
    return {"status": answer.status}


async def _send_all(
    station: TriggerStation, requested: str, targets: tuple[int | None, ...]
) -> None:
    for connector_id in targets:
        try:
            await send_triggered(station, requested, connector_id)
        except _SEND_FAILURES as exc:
            station.log.warning("Triggered {} not sent: {}", requested, exc)


async def send_triggered(station: TriggerStation, action: str, connector_id: int | None) -> None:
    """The message `action` names (a MessageTriggerEnumType value), as it is now (F06.FR.09):
    for the flat connector `connector_id`, or the station's (None: every connector where the
    message is a connector's)."""
    if action == BOOT_NOTIFICATION:
        await station.boot_notification({})
    elif action == HEARTBEAT:
        await station.heartbeat()
    elif action == FIRMWARE_STATUS:
        # No update runs on a 2.0.1 station yet: Idle, which needs no requestId (F06.FR.16).
        await station.call(FIRMWARE_STATUS, {"status": station.firmware_status})
    elif action == LOG_STATUS:
        await station.call(LOG_STATUS, {"status": LOG_IDLE})  # F06.FR.15
    elif action == STATUS_NOTIFICATION:
        for cid in _connectors(station, connector_id):
            await station.send_status(cid, report=True)
    elif action == METER_VALUES:
        for cid in _connectors(station, connector_id):
            await send_meter_values(station, cid)
    elif action == TRANSACTION_EVENT:
        for cid in _connectors(station, connector_id):
            if station.connectors[cid].transaction_started:
                await station.triggered_transaction_event(cid)
    else:
        raise ValueError(f"{action} is not sent on request")


def _connectors(station: TriggerStation, connector_id: int | None) -> list[int]:
    if connector_id is not None:
        return [connector_id]
    return sorted(cid for cid in station.connectors if cid > 0)


async def send_meter_values(station: TriggerStation, connector_id: int) -> None:
    """MeterValuesRequest of the connector's EVSE with the latest values of every
    AlignedDataCtrlr.Measurands measurand, context Trigger (F06.FR.06); none when the
    connector has no meter or the list gives no sample (sampledValue needs one)."""
    transactions = station.transactions
    model = transactions.models.get(connector_id)
    if model is None:
        return
    measurands = station.variables.value("AlignedDataCtrlr", "Measurands") or ENERGY
    sampled = model.sampled_values(measurands, transactions.advance(connector_id), "Trigger")
    if not sampled:
        return
    evse_id, _ = EvseMap(station.spec.evses).evse_of(connector_id)
    timestamp = iso_timestamp(station.clock.now())
    await station.call(
        METER_VALUES,
        {"evseId": evse_id, "meterValue": [{"timestamp": timestamp, "sampledValue": sampled}]},
    )


__all__ = [
    "TRIGGERABLE",
    "TriggerAnswer",
    "TriggerStation",
    "send_meter_values",
    "send_triggered",
    "trigger_answer",
    "trigger_message",
]
