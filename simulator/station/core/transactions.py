"""Transactions of the station's connectors, in core terms: each start, meter value, change and
end is a `TxEvent` to the adapter's `Outbox`, whose `Verdict` comes back.

Start (OCPP 1.6 section 4.8), connector to Charging; a token the CSMS refuses stops the
transaction at once (DeAuthorized) when `Settings.stop_on_invalid_id`, else it stays open,
SuspendedEVSE, drawing at most `max_energy_on_invalid_id` Wh more (section 9.1, C5 of 4.9).
End (4.10), connector back to Available (after postTransactionDelay, post_transaction.py). In
between, meter values (tx_sampling.py); the meter itself is tx_meters.py.

Given `TxRules` (2.0.1), the transaction starts and ends at its configured points
(tx_points.py, Part 2 E01/E06): an EVConnected start opens it at the plug, the authorization
following as an update; a stop that only ends the authorization (a stop point not reached)
stops the energy, and the transaction waits for the EV to leave. Each change of charging state
is an event of its own (E02.FR.13): a refused token's suspension, the EV leaving and coming back.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from simulator.station.clock import iso_timestamp
from simulator.station.core.errors import TransactionError
from simulator.station.core.metering import ENERGY, MeterModel, SampleFormat, meter_model
from simulator.station.core.metering import station_power_w as max_power_w
from simulator.station.core.model import ConnectorState
from simulator.station.core.post_transaction import release_later, stopped_status
from simulator.station.core.queue import TransactionQueue
from simulator.station.core.tokens import IdToken, TokenStatus, Verdict
from simulator.station.core.tx_meters import TransactionMeters, connector_rng
from simulator.station.core.tx_points import TransactionPoints, stop_ends_transaction
from simulator.station.core.tx_ports import (
    ChargeState,
    Outbox,
    Samples,
    Settings,
    StopReason,
    TxCause,
    TxEvent,
    TxKind,
    TxPoint,
    TxRules,
)
from simulator.station.core.tx_sampling import TransactionSampling
from simulator.station.light_random import Rng
from simulator.station.ports import TransactionsHost

_NOT_REFUSED = (None, TokenStatus.ACCEPTED)


class Transactions(TransactionMeters, TransactionPoints, TransactionSampling):
    """The transactions and meters of one station's connectors."""

    def __init__(
        self,
        station: TransactionsHost,
        queue: TransactionQueue,
        outbox: Outbox,
        settings: Settings,
        sample_format: SampleFormat,
        *,
        rules: TxRules | None = None,
    ) -> None:
        """`queue`: the one `outbox` fills, kept for what the station shows and persists;
        `rules`: the transaction points and Started / Ended meter data of a version that has
        them (2.0.1), None for 1.6's transactions."""
        self.station = station
        self.outbox = outbox
        self.settings = settings
        self.rules = rules
        self.sample_format = sample_format
        template = station.template
        self.models: dict[int, MeterModel] = {
            cid: meter_model(template, connector, sample_format)
            for cid, connector in station.spec.connectors.items()
            if cid > 0
        }
        self._rngs: dict[int, Rng] = {}  # made on first use: most stations idle
        self.station_power_w = max_power_w(template, station.spec.seed)
        self._samplers: dict[int, asyncio.Task[None]] = {}
        self._keepers: dict[int, tuple[asyncio.Task[None], ...]] = {}  # 2.0.1 kept samples
        self._stopping: set[int] = set()
        # Transactions kept open for a refused token (Settings.stop_on_invalid_id false), or
        # whose EV left them (suspend).
        self._suspended: set[int] = set()
        self._unauthorized: set[int] = set()
        self._invalidated_at_wh: dict[int, tuple[int | None, float]] = {}
        self._thinned: dict[int, int] = {}
        self._token_types: dict[int, str] = {}  # connector -> its token's type, when given
        self.queue = queue
        queue.on_late = self._late_start

    # -- start and stop -------------------------------------------------------------------

    async def authorize(self, id_tag: str) -> bool:
        """True when the token may charge (the CSMS, the local list or cache, section 3.5)."""
        return await self.station.authorization.authorize(id_tag)

    async def start(self, connector_id: int, id_tag: str) -> dict[str, Any] | None:
        """`begin`, answered with the CSMS's reply as the wire gave it (None: none now)."""
        return _reply(await self.begin(connector_id, id_tag))

    async def begin(
        self,
        connector_id: int,
        id_tag: str,
        *,
        remote_start_id: int | None = None,
        token_type: str | None = None,
    ) -> Verdict:
        """Start a transaction; the CSMS's verdict, its status None when the station is offline
        or the CSMS did not answer in time: the transaction then runs offline (section 3.5.4)
        and its start waits in the queue (section 3.7). Raises TransactionError when the
        connector is not free, and what the session raises when the CSMS kept refusing the
        start (the connector is then free again). `remote_start_id`: the CSMS's remote start
        this authorization answers (2.0.1 F02.FR.01); `token_type`: the token's (2.0.1
        IdTokenEnumType). A transaction open without authorization (2.0.1) is authorized."""
        connector = self._connector(connector_id)
        if connector.transaction_started:
            if connector_id in self._unauthorized and connector_id not in self._stopping:
                return await self._authorize_open(connector_id, id_tag, remote_start_id, token_type)
            raise TransactionError(f"connector {connector_id} already has a transaction")
        if connector.availability != "Operative":
            raise TransactionError(f"connector {connector_id} is {connector.availability}")
        station = self.station
        outbox = self.outbox
        if not outbox.can_start():
            raise TransactionError("starting a transaction is disabled by commandsSupport")
        reservation = station.reservations.for_start(connector_id, id_tag)
        ref, timestamp, begin = self._open(connector, id_tag, token_type)
        if reservation is not None:
            station.reservations.used(reservation)
        station.smart_charging.transaction_started(connector_id)
        rules = self.rules
        try:
            verdict = await outbox.transaction(
                TxEvent(
                    TxKind.STARTED,
                    ref,
                    connector_id,
                    timestamp,
                    TxCause.AUTHORIZED if remote_start_id is None else TxCause.REMOTE_START,
                    not outbox.online(),
                    self._token(connector),
                    connector.meter_start,
                    self._started_samples(connector, timestamp),
                    # Section 5.13: the reservation this transaction ends.
                    reservation_id=reservation.id if reservation is not None else None,
                    state=ChargeState.CHARGING if rules is not None else None,
                    remote_start_id=remote_start_id,
                )
            )
        except BaseException:
            self._undo_start(connector, ref)
            raise
        if verdict.status is not None:
            self._answered(connector, verdict)
            if verdict.status is not TokenStatus.ACCEPTED:
                await self._not_accepted(connector_id)
                if rules is not None and connector.transaction_ref == ref:
                    self._start_sampling(connector_id, ref)  # 2.0.1: suspended, still metered
                return verdict
        connector.status = "Charging"
        station.connectors_changed()
        await outbox.connector_changed(connector_id)
        if station.template.begin_end_meter_values and rules is None:
            await self._send_meter_values(
                connector_id, ref, [begin], timestamp, TxCause.METER_BEGIN
            )
        self._start_sampling(connector_id, ref)
        return verdict

    def _open(
        self, connector: ConnectorState, id_tag: str | None, token_type: str | None
    ) -> tuple[int, str, dict[str, Any]]:
        """The connector's new transaction, its meter begun: its ref, its start's timestamp
        and its Transaction.Begin energy value (1.6's beginEndMeterValues)."""
        station = self.station
        cid = connector.connector_id
        model = self.models[cid]
        self._advance_charging()
        ref = self.queue.new_ref()
        connector.transaction_started = True
        connector.transaction_ref = ref
        connector.transaction_id = self.queue.transaction_id(ref)
        connector.transaction_id_tag = id_tag
        self._token_types.pop(cid, None)
        if token_type is not None:
            self._token_types[cid] = token_type
        connector.meter = model.begin_session(connector.meter, self._rng(cid))
        connector.last_metered = station.clock.monotonic()
        connector.meter_start = model.energy_wh(connector.meter)
        timestamp = connector.transaction_start = iso_timestamp(station.clock.now())
        idle = model.idle_reading(connector.meter, 0.0)
        meter_value = self.sample_format.meter_value
        begin = meter_value(timestamp, model.sampled_values(ENERGY, idle, "Transaction.Begin"))
        if self.rules is None:
            kept = [begin] if station.template.transaction_data_meter_values else []
        else:
            sampled = model.sampled_values(self._keeps_for_end(), idle, "Transaction.Begin")
            kept = [meter_value(timestamp, sampled)] if sampled else []
        connector.transaction_data = kept
        return ref, timestamp, begin

    def _started_samples(self, connector: ConnectorState, timestamp: str) -> Samples | None:
        """2.0.1: the Started event's meter values (TxStartedMeasurands, E01.FR.09)."""
        if self.rules is None:
            return None
        model = self.models[connector.connector_id]
        sampled = model.sampled_values(
            self.rules.started_measurands(),
            model.idle_reading(connector.meter, 0.0),
            "Transaction.Begin",
        )
        return [self.sample_format.meter_value(timestamp, sampled)] if sampled else None

    def _undo_start(self, connector: ConnectorState, ref: int) -> None:
        """A start the outbox failed: the connector is free again, as if never started."""
        if connector.transaction_ref == ref:
            connector.end_transaction()
            self._unauthorized.discard(connector.connector_id)
            self.station.smart_charging.transaction_ended(connector.connector_id)
            self.station.connectors_changed()

    def _start_sampling(self, connector_id: int, ref: int) -> None:
        spawn = self.station.spawn
        self._samplers[connector_id] = spawn(self._sample_periodically(connector_id, ref))
        if self.rules is not None:
            self._keepers[connector_id] = (
                spawn(self._keep_periodically(connector_id, ref)),
                spawn(self._keep_aligned(connector_id, ref)),
            )

    def _token(self, connector: ConnectorState) -> IdToken | None:
        tag = connector.transaction_id_tag
        if tag is None:
            return None
        token_type = self._token_types.get(connector.connector_id)
        return IdToken(tag) if token_type is None else IdToken(tag, token_type)

    def _answered(self, connector: ConnectorState, verdict: Verdict) -> None:
        transaction_id = self.outbox.start_answered(self._token(connector), verdict)
        if transaction_id is not None:
            connector.transaction_id = transaction_id
        self.station.connectors_changed()

    async def _not_accepted(self, connector_id: int) -> None:
        """Section 3.5.4: the CSMS did not accept the token of a running transaction."""
        station = self.station
        connector = station.connectors[connector_id]
        station.log.info(
            "Transaction {} not accepted for {}: stopping it",
            connector.transaction_id,
            connector.transaction_id_tag,
        )
        if self.settings.stop_on_invalid_id():
            # 2.0.1: ends the transaction, or only its authorization (E05.FR.09/10).
            await self.stop(connector_id, StopReason.DE_AUTHORIZED)
            return
        rules = self.rules
        if (
            rules is not None
            and TxPoint.ENERGY_TRANSFER in rules.stop_points()
            and self.settings.max_energy_on_invalid_id() <= 0
        ):
            # No energy left to transfer: the EnergyTransfer stop point (E05.FR.02 note).
            await self.stop(connector_id, StopReason.DE_AUTHORIZED)
            return
        self.advance(connector_id)
        self._suspended.add(connector_id)
        connector.status = "SuspendedEVSE"
        station.connectors_changed()
        if rules is not None:  # E05.FR.02
            await self._state_event(connector, TxCause.CHARGING_STATE, ChargeState.SUSPENDED_EVSE)
        await self.outbox.connector_changed(connector_id)

    async def _late_start(self, ref: int, verdict: Verdict) -> None:
        """A start's answer that came after the station carried on without it (offline, no
        answer in time), or none (reply None): the CSMS kept refusing the start and it was
        skipped. 2.0.1: the late answer to any authorization of the transaction."""
        connector_id = self._connector_of(ref)
        if connector_id is None:
            return  # already stopped: its stop follows in the queue
        connector = self.station.connectors[connector_id]
        if verdict.reply is None:
            self.station.log.warning(
                "The start on connector {} skipped after repeated CALLERRORs; the "
                "transaction ends here",
                connector_id,
            )
            await self.stop(connector_id, StopReason.OTHER)
            return
        self._answered(connector, verdict)
        if verdict.status not in _NOT_REFUSED and connector_id not in self._unauthorized:
            await self._not_accepted(connector_id)

    def _connector_of(self, ref: int) -> int | None:
        for cid in self.models:
            connector = self.station.connectors[cid]
            if connector.transaction_started and connector.transaction_ref == ref:
                return cid
        return None

    async def stop(
        self, connector_id: int, reason: StopReason | str = StopReason.LOCAL
    ) -> dict[str, Any] | None:
        """End the connector's transaction; the CSMS's reply (None when the station is offline
        or the CSMS did not answer: the end waits in the queue, and the connector is free
        either way). 2.0.1: a stop that ends only the authorization where the stop points
        say so (E06, F03.FR.02) stops the energy; the EV's leaving ends the transaction."""
        connector = self._connector(connector_id)
        ref = connector.transaction_ref
        if not connector.transaction_started or ref is None or connector_id in self._stopping:
            raise TransactionError(f"no transaction to stop on connector {connector_id}")
        why = StopReason(reason)
        rules = self.rules
        if (
            rules is not None
            and connector_id not in self._unauthorized
            and not stop_ends_transaction(why, rules.stop_points())
        ):
            return await self._end_authorization(connector, why)
        return await self._end(connector, why, TxCause.STOPPED)

    async def _end(
        self, connector: ConnectorState, reason: StopReason, cause: TxCause
    ) -> dict[str, Any] | None:
        connector_id = connector.connector_id
        ref = connector.transaction_ref
        assert ref is not None
        station = self.station
        template = station.template
        rules = self.rules
        model = self.models[connector_id]
        sampler = self._samplers.pop(connector_id, None)
        if sampler is not None and sampler is not asyncio.current_task():
            sampler.cancel()
        for keeper in self._keepers.pop(connector_id, ()):
            keeper.cancel()
        reading = self.advance(connector_id)
        self._stopping.add(connector_id)  # no energy after this reading
        self._advance_charging()
        timestamp = iso_timestamp(station.clock.now())
        end_measurands = ENERGY if rules is None else self._keeps_for_end()
        end = self.sample_format.meter_value(
            timestamp, model.sampled_values(end_measurands, reading, "Transaction.End")
        )
        outbox = self.outbox
        kept = template.transaction_data_meter_values if rules is None else bool(end_measurands)
        gone = reason is StopReason.EV_DISCONNECTED or cause is TxCause.EV_UNPLUGGED
        event = TxEvent(
            TxKind.ENDED,
            ref,
            connector_id,
            timestamp,
            cause,
            not outbox.online(),
            self._token(connector),
            model.energy_wh(reading),
            [*connector.transaction_data, end] if kept else None,
            [end] if template.begin_end_meter_values and rules is None else (),
            reason,
            state=None if rules is None else _ended_state(connector, gone=gone),
        )
        connector.end_transaction()
        station.smart_charging.transaction_ended(connector_id)
        if connector.scheduled_availability is not None:
            connector.availability = connector.scheduled_availability
            connector.scheduled_availability = None
        connector.status = stopped_status(connector, template.post_transaction_delay)
        self._stopping.discard(connector_id)
        self._suspended.discard(connector_id)
        self._unauthorized.discard(connector_id)
        self._token_types.pop(connector_id, None)
        self._thinned.pop(ref, None)
        station.connectors_changed()
        # The outbox queues the end's messages together, in their order, before it awaits.
        verdict = await outbox.transaction(event)
        await outbox.connector_changed(connector_id)
        release_later(station, connector_id)
        return _reply(verdict)

    async def stop_all(self, reason: StopReason | str = StopReason.LOCAL) -> None:
        for cid in self.models:
            connector = self.station.connectors[cid]
            if connector.transaction_started and cid not in self._stopping:
                with contextlib.suppress(TransactionError):
                    await self.stop(cid, reason)

    def transaction_connector(self, transaction_id: int | str) -> int | None:
        for cid in self.models:
            if self.station.connectors[cid].transaction_id == transaction_id:
                return cid
        return None

    def _connector(self, connector_id: int) -> ConnectorState:
        if connector_id not in self.models:
            raise TransactionError(f"no connector {connector_id}")
        return self.station.connectors[connector_id]

    def _bring_meter_to_now(self, connector_id: int) -> None:
        self.advance(connector_id)


def _ended_state(connector: ConnectorState, *, gone: bool) -> ChargeState:
    """The charging state an Ended event leaves: no EV when it left (or had left the
    transaction, SuspendedEV), else connected with no energy."""
    if gone or connector.status == "SuspendedEV":
        return ChargeState.IDLE
    return ChargeState.EV_CONNECTED


def _reply(verdict: Verdict) -> dict[str, Any] | None:
    reply = verdict.reply
    return reply if reply is None or isinstance(reply, dict) else dict(reply)


__all__ = ["Transactions", "connector_rng"]
