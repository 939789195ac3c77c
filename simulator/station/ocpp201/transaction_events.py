"""The core's transaction events as OCPP 2.0.1 TransactionEventRequests (Part 2 E, 1.17.4
of the messages) through the station's persisted queue, and the answers' idTokenInfo read into
a Verdict and the authorization cache (C10, E02 remark).

Each event is one TransactionEvent: eventType Started / Updated / Ended, numbered by the queue
codec (queue_codec.py: transactionId, seqNo, chargingState on change). The optional fields
appear only where Part 2 1.5 puts them: evse in the transaction's first event (E01.FR.16),
idToken in the event of an authorization (E03.FR.01, F02.FR.05) or of a driver's stop
(E07.FR.02), reservationId with the authorization that ends a reservation (E03.FR.03,
H01.FR.15), remoteStartId with the authorization a RequestStartTransaction gave (F02.FR.01),
stoppedReason in the Ended event (E06.FR.08; Local too, as E07.FR.05 recommends), offline when
made offline (E04.FR.03), meterValue when there are values.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Protocol

from simulator.station.core.tokens import IdToken, Verdict
from simulator.station.core.tx_ports import (
    ChargeState,
    Samples,
    StopReason,
    TxCause,
    TxEvent,
    TxKind,
)
from simulator.station.ocpp201.queue_codec import (
    TRANSACTION_EVENT,
    TransactionQueue201,
    authorizes,
    token_status,
)
from simulator.station.ocpp201.tokens import token_info
from simulator.station.ports import AuthorizationView, Caller
from simulator.station.rpc import CallFailed, ConnectionLost

if TYPE_CHECKING:
    from loguru import Logger

# The 2.0.1 action (J01.FR.05), spelled by the v201 enum: the name 1.6 shares is not 1.6's here.
METER_VALUES = "MeterValues"
# What a message sent now (not queued) may end with; none of them stops the station.
SEND_ERRORS = (TimeoutError, CallFailed, ConnectionLost)
NO_ANSWER = Verdict(None, None)
EVENT_TYPES = {TxKind.STARTED: "Started", TxKind.UPDATED: "Updated", TxKind.ENDED: "Ended"}
CHARGING_STATES = {
    ChargeState.CHARGING: "Charging",
    ChargeState.EV_CONNECTED: "EVConnected",
    ChargeState.SUSPENDED_EV: "SuspendedEV",
    ChargeState.SUSPENDED_EVSE: "SuspendedEVSE",
    ChargeState.IDLE: "Idle",
}
# ReasonEnumType: the core's reasons that 2.0.1 spells otherwise (the rest as their value).
REASON201 = {
    **{reason: reason.value for reason in StopReason},
    StopReason.HARD_RESET: "ImmediateReset",
    StopReason.SOFT_RESET: "ImmediateReset",
    StopReason.UNLOCK_COMMAND: "Other",  # no such reason: the trigger tells it
}
# TriggerReasonEnumType of an event whose cause is the event itself.
_CAUSE_TRIGGERS = {
    TxCause.AUTHORIZED: "Authorized",
    TxCause.REMOTE_START: "RemoteStart",
    TxCause.METER_BEGIN: "MeterValuePeriodic",
    TxCause.METER_PERIODIC: "MeterValuePeriodic",
    TxCause.METER_CLOCK: "MeterValueClock",
    TxCause.EV_PLUGGED: "CablePluggedIn",
    TxCause.EV_UNPLUGGED: "EVCommunicationLost",
    TxCause.CHARGING_STATE: "ChargingStateChanged",
    TxCause.TRIGGERED: "Trigger",
}
# ... and of a stop, by its reason (E06.FR.15/16, E07.FR.02, F03.FR.02/03, E05.FR.09/10).
_REASON_TRIGGERS = {
    StopReason.LOCAL: "StopAuthorized",
    StopReason.REMOTE: "RemoteStop",
    StopReason.DE_AUTHORIZED: "Deauthorized",
    StopReason.EV_DISCONNECTED: "EVCommunicationLost",
    StopReason.HARD_RESET: "ResetCommand",
    StopReason.SOFT_RESET: "ResetCommand",
    StopReason.IMMEDIATE_RESET: "ResetCommand",
    StopReason.REBOOT: "ResetCommand",
    StopReason.UNLOCK_COMMAND: "UnlockCommand",
    StopReason.ENERGY_LIMIT_REACHED: "EnergyLimitReached",
    StopReason.SOC_LIMIT_REACHED: "EnergyLimitReached",
    StopReason.TIME_LIMIT_REACHED: "TimeLimitReached",
    StopReason.TIMEOUT: "EVConnectTimeout",
    StopReason.STOPPED_BY_EV: "StopAuthorized",  # E15.FR.04
    StopReason.MASTER_PASS: "StopAuthorized",
    StopReason.LOCAL_OUT_OF_CREDIT: "StopAuthorized",
}
_METER_CAUSES = frozenset({TxCause.METER_BEGIN, TxCause.METER_PERIODIC, TxCause.METER_CLOCK})


def trigger_reason(event: TxEvent) -> str:
    """What made the event (E01.FR.15): its cause, or for a stop its reason; a power loss,
    an emergency stop, a fault: AbnormalCondition (E06.FR.16)."""
    trigger = _CAUSE_TRIGGERS.get(event.cause)
    if trigger is not None:
        return trigger
    return _REASON_TRIGGERS.get(event.reason or StopReason.LOCAL, "AbnormalCondition")


def _override(payload: dict[str, Any], fields: Mapping[str, Any]) -> None:
    """The UI's fields over the event's (its transactionInfo merged, not replaced: the id and
    the numbering stay the station's)."""
    for key, value in fields.items():
        if key == "transactionInfo":
            payload["transactionInfo"] = {**payload["transactionInfo"], **value}
        elif key not in ("transactionInfo", "seqNo", "eventType"):
            payload[key] = value


def carries_token(event: TxEvent) -> bool:
    """The idToken goes with an authorization (Started or Updated) and with a driver's stop
    (E07.FR.02); the core gives the transaction's token with every end, for 1.6."""
    if event.token is None:
        return False
    if event.kind is TxKind.ENDED:
        return event.cause is TxCause.STOPPED and event.reason is StopReason.LOCAL
    return True


def one_connector_per_evse(connector_id: int) -> tuple[int, int]:
    """EVSE and connector of a flat connector id until a station says otherwise."""
    return connector_id, 1


class OutboxHost(Caller, Protocol):
    @property
    def log(self) -> Logger: ...

    @property
    def authorization(self) -> AuthorizationView: ...

    def link_up(self) -> bool: ...

    def outgoing_supported(self, action: str) -> bool: ...

    async def send_status(self, connector_id: int) -> None: ...


class Outbox201:
    """The core's Outbox for a 2.0.1 station. `evse_of`: flat connector id -> (EVSE id,
    connector id within the EVSE), e.g. `EvseMap(spec.evses).evse_of`."""

    __slots__ = ("_evse_of", "_queue", "_station")

    def __init__(
        self,
        station: OutboxHost,
        queue: TransactionQueue201,
        *,
        evse_of: Callable[[int], tuple[int, int]] = one_connector_per_evse,
    ) -> None:
        self._station = station
        self._queue = queue
        self._evse_of = evse_of

    def online(self) -> bool:
        return self._station.link_up()

    def can_start(self) -> bool:
        return self._station.outgoing_supported(TRANSACTION_EVENT)

    def request(self, event: TxEvent) -> tuple[dict[str, Any], bool]:
        """The event's TransactionEventRequest, numbered now, and whether it is a boundary
        (never dropped from a full queue: all but a plain meter-value update)."""
        codec = self._queue.codec
        kind = event.kind
        state = CHARGING_STATES[event.state] if event.state is not None else None
        transaction_id, seq_no, changed = codec.next_event(
            event.ref, state, last=kind is TxKind.ENDED
        )
        info: dict[str, Any] = {"transactionId": transaction_id}
        if changed is not None:
            info["chargingState"] = changed
        if kind is TxKind.ENDED:
            info["stoppedReason"] = REASON201[event.reason or StopReason.LOCAL]
        if event.remote_start_id is not None:
            info["remoteStartId"] = event.remote_start_id
        payload: dict[str, Any] = {
            "eventType": EVENT_TYPES[kind],
            "timestamp": event.at,
            "triggerReason": trigger_reason(event),
            "seqNo": seq_no,
            "transactionInfo": info,
        }
        if event.offline:
            payload["offline"] = True
        if event.reservation_id is not None:
            payload["reservationId"] = event.reservation_id
        if seq_no == 0:
            evse_id, connector_id = self._evse_of(event.connector)
            payload["evse"] = {"id": evse_id, "connectorId": connector_id}
        if carries_token(event) and event.token is not None:
            payload["idToken"] = {"idToken": event.token.value, "type": event.token.type}
        if event.samples:
            payload["meterValue"] = list(event.samples)
        if event.overrides:
            _override(payload, event.overrides)
        plain = kind is TxKind.UPDATED and event.cause in _METER_CAUSES and changed is None
        return payload, not plain

    async def transaction(self, event: TxEvent) -> Verdict:
        payload, boundary = self.request(event)
        queue = self._queue
        if not event.offline:
            queue.codec.stamp(payload)
        answered = event.kind is not TxKind.UPDATED or "idToken" in payload
        entry = queue.put(TRANSACTION_EVENT, payload, event.ref, boundary=boundary, wait=answered)
        try:
            reply = await queue.deliver(entry)
        except SEND_ERRORS as exc:
            if event.kind is TxKind.STARTED:
                queue.codec.forget(event.ref)  # the start given up: no transaction
                raise
            self._station.log.warning(
                "TransactionEvent on connector {} given up: {}", event.connector, exc
            )
            return NO_ANSWER
        if reply is None:
            return NO_ANSWER
        info = reply.get("idTokenInfo")
        if not isinstance(info, Mapping):
            return Verdict(None, reply)  # no word on the token: the station's stands
        if authorizes(payload):
            return Verdict(token_status(info), reply)  # kept by start_answered
        if "idToken" in payload:
            self._station.authorization.remember(payload["idToken"]["idToken"], token_info(info))
        return Verdict(token_status(info), reply)

    def start_answered(self, token: IdToken | None, verdict: Verdict) -> int | str | None:
        """The cache learns the token's status (C10.FR.04); the transaction keeps the id the
        station gave it at its start."""
        reply = verdict.reply
        info = reply.get("idTokenInfo") if reply is not None else None
        if token is not None and isinstance(info, Mapping):
            self._station.authorization.remember(token.value, token_info(info))
        return None

    async def meter_report(self, connector: int, samples: Samples) -> None:
        """Meter values of no transaction: a MeterValuesRequest (J01.FR.05), now or never."""
        evse_id = self._evse_of(connector)[0] if connector > 0 else 0
        payload: dict[str, Any] = {"evseId": evse_id, "meterValue": list(samples)}
        try:
            await self._station.call(METER_VALUES, payload)
        except SEND_ERRORS as exc:
            self._station.log.debug("MeterValues of connector {} not sent: {}", connector, exc)

    async def connector_changed(self, connector: int) -> None:
        try:
            await self._station.send_status(connector)
        except SEND_ERRORS as exc:
            self._station.log.debug("StatusNotification {} not sent: {}", connector, exc)


__all__ = [
    "CHARGING_STATES",
    "REASON201",
    "SEND_ERRORS",
    "Outbox201",
    "OutboxHost",
    "carries_token",
    "one_connector_per_evse",
    "trigger_reason",
]
