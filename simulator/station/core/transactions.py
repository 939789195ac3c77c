"""Transactions of the station's connectors and their metering, in core terms: each start,
meter value and end is a `TxEvent` to the adapter's `Outbox`, whose `Verdict` comes back.

Start (OCPP 1.6 section 4.8), connector to Charging; a token the CSMS refuses stops the
transaction at once (DeAuthorized) when `Settings.stop_on_invalid_id`, else it stays open,
SuspendedEVSE, drawing at most `max_energy_on_invalid_id` Wh more (section 9.1, C5 of 4.9).
End (4.10), connector back to Available (after postTransactionDelay, post_transaction.py). In
between, meter values (4.7) periodic, clock-aligned and the template's beginEndMeterValues /
transactionDataMeterValues extras. `metering.MeterModel` is the physics; this module decides
when to sample and what."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import timedelta
from typing import Any

from simulator.station.clock import iso_timestamp
from simulator.station.core.errors import TransactionError
from simulator.station.core.metering import (
    ENERGY,
    MeterModel,
    Reading,
    SampleFormat,
    amperage_limit_a,
    connector_power_limit_w,
    meter_model,
    station_power_w,
)
from simulator.station.core.model import ConnectorState
from simulator.station.core.post_transaction import release_later, stopped_status
from simulator.station.core.queue import TransactionQueue
from simulator.station.core.tokens import IdToken, TokenStatus, Verdict
from simulator.station.core.tx_ports import (
    Outbox,
    Samples,
    Settings,
    StopReason,
    TxCause,
    TxEvent,
    TxKind,
)
from simulator.station.light_random import LightRandom, Rng
from simulator.station.ports import TransactionsHost

# The end's kept samples per transaction: a long session sampled every few seconds must not
# grow a station's memory (or its end message) without bound.
MAX_TRANSACTION_DATA = 100
_NOT_REFUSED = (None, TokenStatus.ACCEPTED)


def connector_rng(seed: int, purpose: str, connector_id: int) -> Rng:
    """An independent, reproducible stream per connector and purpose: the meter's draws do not
    shift the ATG's, and neither depends on how other connectors interleave."""
    return LightRandom(f"{seed}:{purpose}:{connector_id}")


class Transactions:
    """The transactions and meters of one station's connectors."""

    def __init__(
        self,
        station: TransactionsHost,
        queue: TransactionQueue,
        outbox: Outbox,
        settings: Settings,
        sample_format: SampleFormat,
    ) -> None:
        """`queue`: the one `outbox` fills, kept for what the station shows and persists."""
        self.station = station
        self.outbox = outbox
        self.settings = settings
        self.sample_format = sample_format
        template = station.template
        self.models: dict[int, MeterModel] = {
            cid: meter_model(template, connector, sample_format)
            for cid, connector in station.spec.connectors.items()
            if cid > 0
        }
        self._rngs: dict[int, Rng] = {}  # made on first use: most stations idle
        self.station_power_w = station_power_w(template, station.spec.seed)
        self._samplers: dict[int, asyncio.Task[None]] = {}
        self._stopping: set[int] = set()
        # Transactions kept open for a refused token (Settings.stop_on_invalid_id false).
        self._suspended: set[int] = set()
        # connector -> (transaction ref, its session Wh when its token was refused)
        self._invalidated_at_wh: dict[int, tuple[int | None, float]] = {}
        self.queue = queue
        queue.on_late = self._late_start

    # -- the meter ------------------------------------------------------------------------

    def _rng(self, connector_id: int) -> Rng:
        rng = self._rngs.get(connector_id)
        if rng is None:
            rng = self._rngs[connector_id] = connector_rng(
                self.station.spec.seed, "meter", connector_id
            )
        return rng

    def active_count(self) -> int:
        return sum(1 for cid in self.models if self.station.connectors[cid].transaction_started)

    def limit_w(self, connector_id: int, *, profile: bool = True) -> float:
        """The power the connector may draw now; `profile` False: before charging profiles."""
        template = self.station.template
        amperage = amperage_limit_a(
            self.settings.amperage_limit(), template.amperage_limitation_unit
        )
        return connector_power_limit_w(
            self.models[connector_id].electrical,
            station_power_w=self.station_power_w,
            connectors=len(self.models),
            active=self.active_count(),
            shared=template.power_shared_by_connectors,
            amperage_a=amperage,
            profile_limit_w=self.station.smart_charging.limit_w(connector_id) if profile else None,
            connector_max_w=self.station.spec.connectors[connector_id].maximum_power,
        )

    def advance(self, connector_id: int) -> Reading:
        """Bring the connector's meter to now and read it."""
        connector = self.station.connectors[connector_id]
        model = self.models[connector_id]
        now = self.station.clock.monotonic()
        limit = self.limit_w(connector_id)
        seconds = now - connector.last_metered
        # A connector being stopped has drawn its last Wh at meterStop.
        charging = connector.transaction_started and connector_id not in self._stopping
        if charging and connector_id in self._suspended:
            reading = self._advance_suspended(connector, seconds, limit)
        elif charging:
            connector.meter, reading = model.advance(
                connector.meter, seconds, limit, self._rng(connector_id)
            )
        else:
            reading = model.idle_reading(connector.meter, limit)
        connector.last_metered = now
        return reading

    def _advance_suspended(
        self, connector: ConnectorState, seconds: float, limit: float
    ) -> Reading:
        """A suspended transaction: one kept open for a refused token (SuspendedEVSE) draws
        up to MaxEnergyOnInvalidId Wh from its invalidation (sections 3.5.4, 9.1.14), then
        nothing; one whose EV left draws nothing."""
        cid = connector.connector_id
        model = self.models[cid]
        if connector.status != "SuspendedEVSE" or seconds <= 0:
            return model.idle_reading(connector.meter, limit)
        ref = connector.transaction_ref
        invalidated = self._invalidated_at_wh.get(cid)
        if invalidated is None or invalidated[0] != ref:
            invalidated = self._invalidated_at_wh[cid] = (ref, connector.meter.session_wh)  # anew
        allowance_wh = self.settings.max_energy_on_invalid_id()
        left_wh = allowance_wh - (connector.meter.session_wh - invalidated[1])
        if left_wh <= 0:
            return model.idle_reading(connector.meter, limit)
        rng = self._rng(cid)
        draws = rng.getstate()
        meter, reading = model.advance(connector.meter, seconds, limit, rng)
        drawn_wh = meter.session_wh - connector.meter.session_wh
        if drawn_wh > left_wh:
            # The EV charged until the allowance ran out: the same draws over less time.
            rng.setstate(draws)
            meter, reading = model.advance(
                connector.meter, seconds * left_wh / drawn_wh, limit, rng
            )
        connector.meter = meter
        return reading

    def _advance_charging(self) -> None:
        # The power divider is about to change: what was drawn so far was drawn under the old one.
        if self.station.template.power_shared_by_connectors:
            for cid in self.models:
                if self.station.connectors[cid].transaction_started:
                    self.advance(cid)

    # -- start and stop -------------------------------------------------------------------

    async def authorize(self, id_tag: str) -> bool:
        """True when the token may charge (the CSMS, the local list or cache, section 3.5)."""
        return await self.station.authorization.authorize(id_tag)

    async def start(self, connector_id: int, id_tag: str) -> dict[str, Any] | None:
        """`begin`, answered with the CSMS's reply as the wire gave it (None: none now)."""
        return _reply(await self.begin(connector_id, id_tag))

    async def begin(self, connector_id: int, id_tag: str) -> Verdict:
        """Start a transaction; the CSMS's verdict, its status None when the station is offline
        or the CSMS did not answer in time: the transaction then runs offline (section 3.5.4)
        and its start waits in the queue (section 3.7). Raises TransactionError when the
        connector is not free, and what the session raises when the CSMS kept refusing the
        start (the connector is then free again)."""
        connector = self._connector(connector_id)
        if connector.transaction_started:
            raise TransactionError(f"connector {connector_id} already has a transaction")
        if connector.availability != "Operative":
            raise TransactionError(f"connector {connector_id} is {connector.availability}")
        station = self.station
        outbox = self.outbox
        if not outbox.can_start():
            raise TransactionError("starting a transaction is disabled by commandsSupport")
        reservation = station.reservations.for_start(connector_id, id_tag)
        model = self.models[connector_id]
        self._advance_charging()
        ref = self.queue.new_ref()
        connector.transaction_started = True
        connector.transaction_ref = ref
        connector.transaction_id_tag = id_tag
        connector.meter = model.begin_session(connector.meter, self._rng(connector_id))
        connector.last_metered = station.clock.monotonic()
        meter_start = model.energy_wh(connector.meter)
        connector.meter_start = meter_start
        timestamp = connector.transaction_start = iso_timestamp(station.clock.now())
        begin = self.sample_format.meter_value(
            timestamp,
            model.sampled_values(
                ENERGY, model.idle_reading(connector.meter, 0.0), "Transaction.Begin"
            ),
        )
        connector.transaction_data = (
            [begin] if station.template.transaction_data_meter_values else []
        )
        if reservation is not None:
            station.reservations.used(reservation)
        station.smart_charging.transaction_started(connector_id)
        try:
            verdict = await outbox.transaction(
                TxEvent(
                    TxKind.STARTED,
                    ref,
                    connector_id,
                    timestamp,
                    TxCause.AUTHORIZED,
                    not outbox.online(),
                    IdToken(id_tag),
                    meter_start,
                    # Section 5.13: the reservation this transaction ends.
                    reservation_id=reservation.id if reservation is not None else None,
                )
            )
        except BaseException:
            if connector.transaction_ref == ref:
                connector.end_transaction()
                station.smart_charging.transaction_ended(connector_id)
                station.connectors_changed()
            raise
        if verdict.status is not None:
            self._answered(connector, verdict)
            if verdict.status is not TokenStatus.ACCEPTED:
                await self._not_accepted(connector_id)
                return verdict
        connector.status = "Charging"
        station.connectors_changed()
        await outbox.connector_changed(connector_id)
        if station.template.begin_end_meter_values:
            await self._send_meter_values(
                connector_id, ref, [begin], timestamp, TxCause.METER_BEGIN
            )
        self._samplers[connector_id] = station.spawn(self._sample_periodically(connector_id, ref))
        return verdict

    def _answered(self, connector: ConnectorState, verdict: Verdict) -> None:
        tag = connector.transaction_id_tag
        token = IdToken(tag) if tag is not None else None
        connector.transaction_id = self.outbox.start_answered(token, verdict)
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
            await self.stop(connector_id, StopReason.DE_AUTHORIZED)
            return
        self.advance(connector_id)
        self._suspended.add(connector_id)
        connector.status = "SuspendedEVSE"
        station.connectors_changed()
        await self.outbox.connector_changed(connector_id)

    async def _late_start(self, ref: int, verdict: Verdict) -> None:
        """A start's answer that came after the station carried on without it (offline, no
        answer in time), or none (reply None): the CSMS kept refusing the start and it was
        skipped."""
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
        if verdict.status not in _NOT_REFUSED:
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
        either way)."""
        connector = self._connector(connector_id)
        ref = connector.transaction_ref
        if not connector.transaction_started or ref is None or connector_id in self._stopping:
            raise TransactionError(f"no transaction to stop on connector {connector_id}")
        station = self.station
        template = station.template
        model = self.models[connector_id]
        sampler = self._samplers.pop(connector_id, None)
        if sampler is not None and sampler is not asyncio.current_task():
            sampler.cancel()
        reading = self.advance(connector_id)
        self._stopping.add(connector_id)  # no energy after this reading
        self._advance_charging()
        timestamp = iso_timestamp(station.clock.now())
        end = self.sample_format.meter_value(
            timestamp, model.sampled_values(ENERGY, reading, "Transaction.End")
        )
        id_tag = connector.transaction_id_tag
        outbox = self.outbox
        kept = template.transaction_data_meter_values
        event = TxEvent(
            TxKind.ENDED,
            ref,
            connector_id,
            timestamp,
            TxCause.STOPPED,
            not outbox.online(),
            IdToken(id_tag) if id_tag is not None else None,
            model.energy_wh(reading),
            [*connector.transaction_data, end] if kept else None,
            [end] if template.begin_end_meter_values else (),
            StopReason(reason),
        )
        connector.end_transaction()
        station.smart_charging.transaction_ended(connector_id)
        if connector.scheduled_availability is not None:
            connector.availability = connector.scheduled_availability
            connector.scheduled_availability = None
        connector.status = stopped_status(connector, template.post_transaction_delay)
        self._stopping.discard(connector_id)
        self._suspended.discard(connector_id)
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

    def transaction_connector(self, transaction_id: int) -> int | None:
        for cid in self.models:
            if self.station.connectors[cid].transaction_id == transaction_id:
                return cid
        return None

    def _connector(self, connector_id: int) -> ConnectorState:
        if connector_id not in self.models:
            raise TransactionError(f"no connector {connector_id}")
        return self.station.connectors[connector_id]

    def suspend(self, connector_id: int) -> None:
        """The EV left, its transaction kept open (section 9.1.23): metered so far, no more."""
        self.advance(connector_id)
        self._suspended.add(connector_id)

    def resume(self, connector_id: int) -> None:
        """The EV is back (section 4.10): energy flows from now, none for its time away."""
        self.advance(connector_id)
        self._suspended.discard(connector_id)

    # -- sampling -------------------------------------------------------------------------

    async def _sample_periodically(self, connector_id: int, ref: int) -> None:
        """Meter values every sample interval from the start of the transaction."""
        station = self.station
        settings = self.settings
        meter_value = self.sample_format.meter_value
        model = self.models[connector_id]
        connector = station.connectors[connector_id]
        while True:
            interval = settings.sample_interval()
            if interval <= 0:
                return
            await station.clock.sleep(interval)
            if connector.transaction_ref != ref or connector_id in self._stopping:
                return
            reading = self.advance(connector_id)
            timestamp = iso_timestamp(station.clock.now())
            stop_measurands = settings.ended_measurands()
            if station.template.transaction_data_meter_values and stop_measurands:
                self._keep_transaction_data(
                    connector,
                    timestamp,
                    model.sampled_values(stop_measurands, reading, "Sample.Periodic"),
                )
            station.connectors_changed()
            sampled = model.sampled_values(
                settings.sampled_measurands(), reading, "Sample.Periodic"
            )
            if sampled:
                await self._send_meter_values(
                    connector_id,
                    ref,
                    [meter_value(timestamp, sampled)],
                    timestamp,
                    TxCause.METER_PERIODIC,
                )

    async def sample_clock_aligned(self) -> None:
        """Meter values of every connector at each clock-aligned interval boundary counted
        from midnight (section 9.1.5), while the station is online. Read at each boundary, so a
        change applies from the next one; 0 turns it off until the next boot."""
        station = self.station
        settings = self.settings
        meter_value = self.sample_format.meter_value
        while True:
            interval = settings.aligned_interval()
            if interval <= 0:
                return
            now = station.clock.now()
            midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
            elapsed = (now - midnight) / timedelta(seconds=1)
            await station.clock.sleep(interval - elapsed % interval)
            measurands = settings.aligned_measurands()
            stop_measurands = settings.ended_aligned_measurands()
            timestamp = iso_timestamp(station.clock.now())
            for cid, model in self.models.items():
                connector = station.connectors[cid]
                reading = self.advance(cid)
                ref = connector.transaction_ref if connector.transaction_started else None
                if (
                    ref is not None
                    and stop_measurands
                    and station.template.transaction_data_meter_values
                ):
                    self._keep_transaction_data(
                        connector,
                        timestamp,
                        model.sampled_values(stop_measurands, reading, "Sample.Clock"),
                    )
                sampled = model.sampled_values(measurands, reading, "Sample.Clock")
                if sampled:
                    await self._send_meter_values(
                        cid, ref, [meter_value(timestamp, sampled)], timestamp, TxCause.METER_CLOCK
                    )

    def _keep_transaction_data(
        self, connector: ConnectorState, timestamp: str, sampled: list[dict[str, Any]]
    ) -> None:
        if sampled and len(connector.transaction_data) < MAX_TRANSACTION_DATA:
            connector.transaction_data.append(self.sample_format.meter_value(timestamp, sampled))

    async def _send_meter_values(
        self, connector_id: int, ref: int | None, values: Samples, at: str, cause: TxCause
    ) -> None:
        """Meter values of a transaction (`ref`) through the queue, never lost; without one,
        sent now or not at all (not transaction-related, section 3.7)."""
        outbox = self.outbox
        if ref is None:
            await outbox.meter_report(connector_id, values)
            return
        offline = not outbox.online()
        await outbox.transaction(
            TxEvent(TxKind.UPDATED, ref, connector_id, at, cause, offline, samples=values)
        )


def _reply(verdict: Verdict) -> dict[str, Any] | None:
    reply = verdict.reply
    return reply if reply is None or isinstance(reply, dict) else dict(reply)


__all__ = ["Transactions", "connector_rng"]
