"""Transactions started on the station itself (the ATG, the UI) and their metering.

Start (OCPP 1.6 section 4.8): StartTransaction with meterStart, connector to Charging; a
transaction whose idTag the CSMS does not accept is stopped at once with reason DeAuthorized
when StopTransactionOnInvalidId is true (the default); false: it stays open, SuspendedEVSE, and
draws at most MaxEnergyOnInvalidId Wh more (section 9.1, transition C5 of section 4.9).
Stop (section 4.10): StopTransaction with meterStop and the reason, connector back to
Available (after postTransactionDelay, post_transaction.py). In between, MeterValues (section
4.7) every MeterValueSampleInterval with MeterValuesSampledData, every ClockAlignedDataInterval
with MeterValuesAlignedData, and the template's beginEndMeterValues / transactionDataMeterValues
extras. The physics is `meter_values.MeterModel`; this module decides when to sample and what.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import timedelta
from typing import Any

from simulator.station.clock import iso_timestamp
from simulator.station.connectors import ConnectorState
from simulator.station.light_random import LightRandom, Rng
from simulator.station.meter_values import (
    ENERGY,
    MeterModel,
    Reading,
    amperage_limit_a,
    connector_power_limit_w,
    meter_model,
    meter_value,
    station_power_w,
)
from simulator.station.ports import TransactionsHost
from simulator.station.post_transaction import release_later, stopped_status
from simulator.station.rpc import CallFailed, ConnectionLost
from simulator.station.transaction_queue import (
    METER_VALUES,
    START,
    STOP,
    QueuedMessage,
    TransactionQueue,
)

ACCEPTED = "Accepted"
DEFAULT_SAMPLE_INTERVAL = 60
# StopTransaction.transactionData kept per transaction: a long session sampled every few seconds
# must not grow a station's memory (or its StopTransaction) without bound.
MAX_TRANSACTION_DATA = 100

_SEND_ERRORS = (TimeoutError, CallFailed, ConnectionLost)


class TransactionError(Exception):
    """A start or stop the connector's state does not allow."""


class NotAuthorized(TransactionError):
    """The idTag may not start a transaction (Authorize.conf, the local list or cache)."""


def connector_rng(seed: int, purpose: str, connector_id: int) -> Rng:
    """An independent, reproducible stream per connector and purpose: the meter's draws do not
    shift the ATG's, and neither depends on how other connectors interleave."""
    return LightRandom(f"{seed}:{purpose}:{connector_id}")


class Transactions:
    """The transactions and meters of one station's connectors."""

    def __init__(self, station: TransactionsHost) -> None:
        self.station = station
        template = station.template
        self.models: dict[int, MeterModel] = {
            cid: meter_model(template, connector)
            for cid, connector in station.spec.connectors.items()
            if cid > 0
        }
        self._rngs: dict[int, Rng] = {}  # made on first use: most stations idle
        self.station_power_w = station_power_w(template, station.spec.seed)
        self._samplers: dict[int, asyncio.Task[None]] = {}
        self._stopping: set[int] = set()
        # Transactions kept open for an invalid idTag (StopTransactionOnInvalidId false).
        self._suspended: set[int] = set()
        # connector -> (transaction ref, its session Wh when its idTag was invalidated)
        self._invalidated_at_wh: dict[int, tuple[int | None, float]] = {}
        self.queue = TransactionQueue(station, max_length=template.transaction_queue_max_length)
        self.queue.on_late_start = self._late_start

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
        key = template.amperage_limitation_ocpp_key
        amperage = (
            amperage_limit_a(self.station.configuration.get(key), template.amperage_limitation_unit)
            if key
            else None
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
        """A suspended transaction: one kept open for an invalid idTag (SuspendedEVSE) draws
        up to MaxEnergyOnInvalidId Wh from its invalidation (sections 3.5.4, 9.1.14), then
        nothing; one whose EV left draws nothing."""
        cid = connector.connector_id
        model = self.models[cid]
        if connector.status != "SuspendedEVSE" or seconds <= 0:
            return model.idle_reading(connector.meter, limit)
        ref = connector.transaction_ref
        invalidated = self._invalidated_at_wh.get(cid)
        if invalidated is None or invalidated[0] != ref:
            # The first reading since the invalidation: what was drawn before it does not count.
            invalidated = self._invalidated_at_wh[cid] = (ref, connector.meter.session_wh)
        allowance_wh = self.station.configuration.get_int("MaxEnergyOnInvalidId", 0)
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
        """Authorize.req (section 4.1), or the local list and cache (section 3.5): True when
        the idTag may charge."""
        return await self.station.authorization.authorize(id_tag)

    async def start(self, connector_id: int, id_tag: str) -> dict[str, Any] | None:
        """StartTransaction.req; the response, or None when the station is offline or the
        CSMS did not answer in time: the transaction then runs offline (section 3.5.4) and
        its start waits in the queue (section 3.7). Raises TransactionError when the
        connector is not free, and CallFailed when the CSMS kept refusing the start (the
        connector is then free again)."""
        connector = self._connector(connector_id)
        if connector.transaction_started:
            raise TransactionError(f"connector {connector_id} already has a transaction")
        if connector.availability != "Operative":
            raise TransactionError(f"connector {connector_id} is {connector.availability}")
        station = self.station
        if not station.outgoing_supported("StartTransaction"):
            raise TransactionError("StartTransaction is disabled by commandsSupport")
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
        begin = meter_value(
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
            response = await self.queue.submit(
                START,
                {
                    "connectorId": connector_id,
                    "idTag": id_tag,
                    "meterStart": meter_start,
                    "timestamp": timestamp,
                    # Section 5.13: the reservation this transaction ends.
                    **({"reservationId": reservation.id} if reservation is not None else {}),
                },
                ref,
                boundary=True,
            )
        except BaseException:
            if connector.transaction_ref == ref:
                connector.end_transaction()
                station.smart_charging.transaction_ended(connector_id)
                station.connectors_changed()
            raise
        if response is not None:
            self._answered(connector, response)
            if response["idTagInfo"]["status"] != ACCEPTED:
                await self._not_accepted(connector_id)
                return response
        connector.status = "Charging"
        station.connectors_changed()
        await self._send_status(connector_id)
        if station.template.begin_end_meter_values:
            await self._send_meter_values(connector_id, ref, [begin], boundary=True)
        self._samplers[connector_id] = station.spawn(self._sample_periodically(connector_id, ref))
        return response

    def _answered(self, connector: ConnectorState, response: dict[str, Any]) -> None:
        connector.transaction_id = int(response["transactionId"])
        if connector.transaction_id_tag is not None:
            self.station.authorization.remember(connector.transaction_id_tag, response["idTagInfo"])
        self.station.connectors_changed()

    async def _not_accepted(self, connector_id: int) -> None:
        """Section 3.5.4: the CSMS did not accept the idTag of a running transaction."""
        station = self.station
        connector = station.connectors[connector_id]
        station.log.info(
            "Transaction {} not accepted for {}: stopping it",
            connector.transaction_id,
            connector.transaction_id_tag,
        )
        if (station.configuration.get("StopTransactionOnInvalidId") or "").lower() != "false":
            await self.stop(connector_id, "DeAuthorized")
            return
        self.advance(connector_id)
        self._suspended.add(connector_id)
        connector.status = "SuspendedEVSE"
        station.connectors_changed()
        await self._send_status(connector_id)

    async def _late_start(self, ref: int, response: dict[str, Any] | None) -> None:
        """A StartTransaction.conf that came after the station carried on without it (offline,
        no answer in time), or None: the CSMS kept refusing the start and it was skipped."""
        connector_id = self._connector_of(ref)
        if connector_id is None:
            return  # already stopped: its stop follows in the queue
        connector = self.station.connectors[connector_id]
        if response is None:
            self.station.log.warning(
                "StartTransaction on connector {} skipped after repeated CALLERRORs; the "
                "transaction ends here",
                connector_id,
            )
            await self.stop(connector_id, "Other")
            return
        self._answered(connector, response)
        if response["idTagInfo"]["status"] != ACCEPTED:
            await self._not_accepted(connector_id)

    def _connector_of(self, ref: int) -> int | None:
        for cid in self.models:
            connector = self.station.connectors[cid]
            if connector.transaction_started and connector.transaction_ref == ref:
                return cid
        return None

    async def stop(self, connector_id: int, reason: str = "Local") -> dict[str, Any] | None:
        """StopTransaction.req of the connector's transaction; its response (None when the
        station is offline or the CSMS did not answer: the stop waits in the queue, and the
        connector is free either way)."""
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
        meter_stop = model.energy_wh(reading)
        timestamp = iso_timestamp(station.clock.now())
        end = meter_value(timestamp, model.sampled_values(ENERGY, reading, "Transaction.End"))
        payload: dict[str, Any] = {
            "meterStop": meter_stop,
            "timestamp": timestamp,
            "reason": reason,
        }
        id_tag = connector.transaction_id_tag
        if id_tag is not None:
            payload["idTag"] = id_tag
        if template.transaction_data_meter_values:
            payload["transactionData"] = [*connector.transaction_data, end]
        end_out_of_order = template.out_of_order_end_meter_values
        connector.end_transaction()
        station.smart_charging.transaction_ended(connector_id)
        if connector.scheduled_availability is not None:
            connector.availability = connector.scheduled_availability
            connector.scheduled_availability = None
        connector.status = stopped_status(connector, template.post_transaction_delay)
        self._stopping.discard(connector_id)
        self._suspended.discard(connector_id)
        station.connectors_changed()
        # Queued together, in their order, before anything may await.
        queue = self.queue
        if template.begin_end_meter_values and not end_out_of_order:
            self._queue_meter_values(connector_id, ref, [end], boundary=True)
        stop = queue.put(STOP, payload, ref, boundary=True, wait=True)
        if template.begin_end_meter_values and end_out_of_order:
            self._queue_meter_values(connector_id, ref, [end], boundary=True)
        response: dict[str, Any] | None = None
        try:
            response = await queue.deliver(stop)
        except CallFailed as exc:
            station.log.warning("StopTransaction on connector {} failed: {}", connector_id, exc)
        if response is not None and id_tag is not None and "idTagInfo" in response:
            station.authorization.remember(id_tag, response["idTagInfo"])
        await self._send_status(connector_id)
        release_later(station, connector_id)
        return response

    async def stop_all(self, reason: str = "Local") -> None:
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
        """The EV left with its transaction kept open (StopTransactionOnEVSideDisconnect
        false, section 9.1.23): what it drew so far is metered, nothing from now on."""
        self.advance(connector_id)
        self._suspended.add(connector_id)

    def resume(self, connector_id: int) -> None:
        """The EV is back (section 4.10): energy flows again from now, none for the time it
        was away."""
        self.advance(connector_id)
        self._suspended.discard(connector_id)

    # -- sampling -------------------------------------------------------------------------

    async def _sample_periodically(self, connector_id: int, ref: int) -> None:
        """MeterValues every MeterValueSampleInterval from the start of the transaction."""
        station = self.station
        configuration = station.configuration
        model = self.models[connector_id]
        connector = station.connectors[connector_id]
        while True:
            interval = configuration.get_int("MeterValueSampleInterval", DEFAULT_SAMPLE_INTERVAL)
            if interval <= 0:
                return
            await station.clock.sleep(interval)
            if connector.transaction_ref != ref or connector_id in self._stopping:
                return
            reading = self.advance(connector_id)
            timestamp = iso_timestamp(station.clock.now())
            stop_measurands = configuration.get("StopTxnSampledData")
            if station.template.transaction_data_meter_values and stop_measurands:
                self._keep_transaction_data(
                    connector,
                    meter_value(
                        timestamp, model.sampled_values(stop_measurands, reading, "Sample.Periodic")
                    ),
                )
            station.connectors_changed()
            measurands = configuration.get("MeterValuesSampledData") or ENERGY
            sampled = model.sampled_values(measurands, reading, "Sample.Periodic")
            if sampled:
                await self._send_meter_values(connector_id, ref, [meter_value(timestamp, sampled)])

    async def sample_clock_aligned(self) -> None:
        """MeterValues of every connector at each ClockAlignedDataInterval boundary counted
        from midnight (section 9.1.5), while the station is online. Read at each boundary, so a
        ChangeConfiguration applies from the next one; 0 turns it off until the next boot."""
        station = self.station
        configuration = station.configuration
        while True:
            interval = configuration.get_int("ClockAlignedDataInterval", 0)
            if interval <= 0:
                return
            now = station.clock.now()
            midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
            elapsed = (now - midnight) / timedelta(seconds=1)
            await station.clock.sleep(interval - elapsed % interval)
            measurands = configuration.get("MeterValuesAlignedData") or ""
            stop_measurands = configuration.get("StopTxnAlignedData") or ""
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
                        meter_value(
                            timestamp,
                            model.sampled_values(stop_measurands, reading, "Sample.Clock"),
                        ),
                    )
                sampled = model.sampled_values(measurands, reading, "Sample.Clock")
                if sampled:
                    await self._send_meter_values(cid, ref, [meter_value(timestamp, sampled)])

    def _keep_transaction_data(self, connector: ConnectorState, value: dict[str, Any]) -> None:
        if value["sampledValue"] and len(connector.transaction_data) < MAX_TRANSACTION_DATA:
            connector.transaction_data.append(value)

    async def _send_meter_values(
        self,
        connector_id: int,
        ref: int | None,
        values: list[dict[str, Any]],
        *,
        boundary: bool = False,
    ) -> None:
        """MeterValues.req: of a transaction (`ref`) through the queue, never lost; without
        one, sent now or not at all (not transaction-related, section 3.7)."""
        if ref is not None:
            await self.queue.deliver(
                self._queue_meter_values(connector_id, ref, values, boundary=boundary)
            )
            return
        payload: dict[str, Any] = {"connectorId": connector_id, "meterValue": values}
        try:
            await self.station.call(METER_VALUES, payload)
        except _SEND_ERRORS as exc:
            self.station.log.debug("MeterValues of connector {} not sent: {}", connector_id, exc)

    def _queue_meter_values(
        self, connector_id: int, ref: int, values: list[dict[str, Any]], *, boundary: bool
    ) -> QueuedMessage:
        payload: dict[str, Any] = {"connectorId": connector_id, "meterValue": values}
        return self.queue.put(METER_VALUES, payload, ref, boundary=boundary)

    async def _send_status(self, connector_id: int) -> None:
        try:
            await self.station.send_status(connector_id)
        except _SEND_ERRORS as exc:
            self.station.log.debug("StatusNotification {} not sent: {}", connector_id, exc)


__all__ = ["TransactionError", "Transactions", "connector_rng"]
