"""The core's transaction events as OCPP 1.6 messages: StartTransaction (section 4.8),
MeterValues (4.7) and StopTransaction (4.10) through the station's queue (section 3.7), the
answers' idTagInfo read into a Verdict and the authorization cache (section 3.5.2)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from simulator.station.core.queue import QueuedMessage, TransactionQueue
from simulator.station.core.tokens import IdToken, Verdict
from simulator.station.core.tx_ports import Samples, StopReason, TxCause, TxEvent, TxKind
from simulator.station.ocpp16.queue_codec import METER_VALUES, START, STOP, token_status
from simulator.station.ports import AuthorizationView, Caller, WithTemplate
from simulator.station.rpc import CallFailed, ConnectionLost

if TYPE_CHECKING:
    from loguru import Logger

# What a message sent now (not queued) may end with; none of them stops the station.
SEND_ERRORS = (TimeoutError, CallFailed, ConnectionLost)
# Section 7.42 Reason: 1.6 spells every core reason as its value.
REASON16 = {reason: reason.value for reason in StopReason}
NO_ANSWER = Verdict(None, None)


class OutboxHost(WithTemplate, Caller, Protocol):
    @property
    def log(self) -> Logger: ...

    @property
    def authorization(self) -> AuthorizationView: ...

    def link_up(self) -> bool: ...

    def outgoing_supported(self, action: str) -> bool: ...

    async def send_status(self, connector_id: int) -> None: ...


class Outbox16:
    __slots__ = ("_queue", "_station")

    def __init__(self, station: OutboxHost, queue: TransactionQueue) -> None:
        self._station = station
        self._queue = queue

    def online(self) -> bool:
        return self._station.link_up()

    def can_start(self) -> bool:
        return self._station.outgoing_supported(START)

    async def transaction(self, event: TxEvent) -> Verdict:
        if event.kind is TxKind.UPDATED:
            boundary = event.cause is TxCause.METER_BEGIN
            entry = self._put_meter_values(event.connector, event.ref, event.samples, boundary)
            await self._queue.deliver(entry)
            return NO_ANSWER
        if event.kind is TxKind.STARTED:
            return await self._start(event)
        return await self._stop(event)

    async def _start(self, event: TxEvent) -> Verdict:
        payload: dict[str, Any] = {
            "connectorId": event.connector,
            "idTag": event.token.value if event.token is not None else "",
            "meterStart": event.meter_wh,
            "timestamp": event.at,
        }
        if event.reservation_id is not None:
            payload["reservationId"] = event.reservation_id
        reply = await self._queue.submit(START, payload, event.ref, boundary=True)
        return Verdict(token_status(reply), reply) if reply is not None else NO_ANSWER

    async def _stop(self, event: TxEvent) -> Verdict:
        station = self._station
        payload: dict[str, Any] = {
            "meterStop": event.meter_wh,
            "timestamp": event.at,
            "reason": REASON16[event.reason or StopReason.LOCAL],
        }
        if event.token is not None:
            payload["idTag"] = event.token.value
        if event.samples is not None:
            payload["transactionData"] = list(event.samples)
        # Queued together, in their order, before anything may await.
        out_of_order = station.template.out_of_order_end_meter_values
        if event.end_samples and not out_of_order:
            self._put_meter_values(event.connector, event.ref, event.end_samples, True)
        stop = self._queue.put(STOP, payload, event.ref, boundary=True, wait=True)
        if event.end_samples and out_of_order:
            self._put_meter_values(event.connector, event.ref, event.end_samples, True)
        reply: dict[str, Any] | None = None
        try:
            reply = await self._queue.deliver(stop)
        except CallFailed as exc:
            station.log.warning("StopTransaction on connector {} failed: {}", event.connector, exc)
        if reply is None or "idTagInfo" not in reply:
            return Verdict(None, reply)
        if event.token is not None:
            station.authorization.remember(event.token.value, reply["idTagInfo"])
        return Verdict(token_status(reply), reply)

    def start_answered(self, token: IdToken | None, verdict: Verdict) -> int | None:
        reply = verdict.reply
        if reply is None:
            return None
        if token is not None:
            self._station.authorization.remember(token.value, reply["idTagInfo"])
        return int(reply["transactionId"])

    def _put_meter_values(
        self, connector: int, ref: int, values: Samples | None, boundary: bool
    ) -> QueuedMessage:
        payload: dict[str, Any] = {"connectorId": connector, "meterValue": values}
        return self._queue.put(METER_VALUES, payload, ref, boundary=boundary)

    async def meter_report(self, connector: int, samples: Samples) -> None:
        payload: dict[str, Any] = {"connectorId": connector, "meterValue": samples}
        try:
            await self._station.call(METER_VALUES, payload)
        except SEND_ERRORS as exc:
            self._station.log.debug("MeterValues of connector {} not sent: {}", connector, exc)

    async def connector_changed(self, connector: int) -> None:
        try:
            await self._station.send_status(connector)
        except SEND_ERRORS as exc:
            self._station.log.debug("StatusNotification {} not sent: {}", connector, exc)


__all__ = ["REASON16", "SEND_ERRORS", "Outbox16"]
