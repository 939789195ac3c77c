"""When a transaction's meter is sampled and what is sent or kept of it: the periodic meter
values from the start of the transaction, the clock-aligned ones counted from midnight, and the
samples kept for the end (OCPP 1.6 sections 4.7, 9.1.5; 2.0.1 J01, J02, E06.FR.11).

A mixin of `Transactions` (transactions.py), which owns the meters and the connectors: kept
apart so each module holds one idea, the decisions of start and end there, of sampling here.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from simulator.station.clock import iso_timestamp
from simulator.station.core.errors import TransactionError
from simulator.station.core.metering import MeterModel, Reading, SampleFormat
from simulator.station.core.model import ConnectorState
from simulator.station.core.tx_ports import (
    Outbox,
    Samples,
    Settings,
    TxCause,
    TxEvent,
    TxKind,
    TxRules,
)
from simulator.station.ports import TransactionsHost

# The end's kept samples per transaction: a long session sampled every few seconds must not
# grow a station's memory (or its end message) without bound.
MAX_TRANSACTION_DATA = 100


def thin_out(data: list[dict[str, Any]], cursor: int) -> int:
    """Make room in a full list of kept samples the 2.0.1 way (E06.FR.13): drop intermediate
    values first (the 1st after the begin value, then the 3rd, the 5th...), never the begin
    value nor the newest, and keep adding. `cursor`: where the last pass stopped; the next."""
    victim = cursor if 1 <= cursor < len(data) - 1 else 1
    if victim < len(data) - 1:
        del data[victim]
    return victim + 1


class TransactionSampling:
    """The sampling half of `Transactions`: what it reads of its host, declared here."""

    station: TransactionsHost
    settings: Settings
    rules: TxRules | None
    sample_format: SampleFormat
    models: dict[int, MeterModel]
    outbox: Outbox
    _stopping: set[int]
    _thinned: dict[int, int]  # transaction ref -> thin_out's cursor

    def advance(self, connector_id: int) -> Reading:
        raise NotImplementedError  # Transactions' meter

    def active_count(self) -> int:
        raise NotImplementedError  # Transactions' meter

    def _keeps_for_end(self) -> str:
        """The measurands of the samples kept for the end ("": none): 1.6 keeps them when the
        template says so (transactionDataMeterValues), 2.0.1 when TxEndedMeasurands names any."""
        measurands = self.settings.ended_measurands()
        if self.rules is None and not self.station.template.transaction_data_meter_values:
            return ""
        return measurands

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
            stop_measurands = self._keeps_for_end() if self.rules is None else ""
            if stop_measurands:
                self._keep_transaction_data(
                    connector,
                    timestamp,
                    model.sampled_values(stop_measurands, reading, "Sample.Periodic"),
                )
            station.meters_moved()
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

    async def _keep_periodically(self, connector_id: int, ref: int) -> None:
        """2.0.1: the samples kept for the end, every TxEndedInterval from the start
        (E06.FR.11; 0: the begin and end values only)."""
        rules = self.rules
        if rules is None:
            return
        station = self.station
        model = self.models[connector_id]
        connector = station.connectors[connector_id]
        while (interval := rules.ended_interval()) > 0:
            await station.clock.sleep(interval)
            if connector.transaction_ref != ref or connector_id in self._stopping:
                return
            measurands = self._keeps_for_end()
            if measurands:
                reading = self.advance(connector_id)
                timestamp = iso_timestamp(station.clock.now())
                self._keep_transaction_data(
                    connector,
                    timestamp,
                    model.sampled_values(measurands, reading, "Sample.Periodic"),
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
            await _until_boundary(station, interval)
            measurands = settings.aligned_measurands()
            # 2.0.1 keeps aligned samples at their own interval (_keep_aligned).
            stop_measurands = settings.ended_aligned_measurands() if self.rules is None else ""
            timestamp = iso_timestamp(station.clock.now())
            if (
                self.rules is not None
                and self.rules.aligned_only_when_idle()
                and self.active_count() > 0
            ):
                continue  # 2.0.1 J01.FR.20: AlignedDataCtrlr.SendDuringIdle, a transaction runs
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

    async def _keep_aligned(self, connector_id: int, ref: int) -> None:
        """2.0.1: clock-aligned samples kept for the end, at each AlignedDataCtrlr
        TxEndedInterval boundary from midnight (E06.FR.11, J01.FR.09 for the Ended event)."""
        rules = self.rules
        if rules is None:
            return
        station = self.station
        model = self.models[connector_id]
        connector = station.connectors[connector_id]
        while (interval := rules.ended_aligned_interval()) > 0:
            await _until_boundary(station, interval)
            if connector.transaction_ref != ref or connector_id in self._stopping:
                return
            measurands = self.settings.ended_aligned_measurands()
            if measurands:
                reading = self.advance(connector_id)
                timestamp = iso_timestamp(station.clock.now())
                self._keep_transaction_data(
                    connector, timestamp, model.sampled_values(measurands, reading, "Sample.Clock")
                )

    def _keep_transaction_data(
        self, connector: ConnectorState, timestamp: str, sampled: list[dict[str, Any]]
    ) -> None:
        if not sampled:
            return
        data = connector.transaction_data
        if len(data) >= MAX_TRANSACTION_DATA:
            ref = connector.transaction_ref
            if self.rules is None or ref is None:
                return  # 1.6: the first ones kept, the rest not
            self._thinned[ref] = thin_out(data, self._thinned.get(ref, 1))
        data.append(self.sample_format.meter_value(timestamp, sampled))

    async def report_now(self, connector_id: int, overrides: dict[str, Any] | None = None) -> None:
        """An update of the connector's transaction now, asked for (a TriggerMessage, 2.0.1
        F06.FR.07; the UI's transactionEvent with its `overrides`): the meter as it is, in the
        periodic measurands, through the queue like any update."""
        station = self.station
        connector = station.connectors.get(connector_id)
        ref = connector.transaction_ref if connector is not None else None
        if connector is None or not connector.transaction_started or ref is None:
            raise TransactionError(f"no transaction on connector {connector_id}")
        reading = self.advance(connector_id)
        timestamp = iso_timestamp(station.clock.now())
        sampled = self.models[connector_id].sampled_values(
            self.settings.sampled_measurands(), reading, "Trigger"
        )
        samples = [self.sample_format.meter_value(timestamp, sampled)] if sampled else None
        outbox = self.outbox
        await outbox.transaction(
            TxEvent(
                TxKind.UPDATED,
                ref,
                connector_id,
                timestamp,
                TxCause.TRIGGERED,
                not outbox.online(),
                samples=samples,
                overrides=overrides,
            )
        )

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


async def _until_boundary(station: TransactionsHost, interval: int) -> None:
    """Sleep until the next multiple of `interval` seconds from midnight."""
    now = station.clock.now()
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    elapsed = (now - midnight) / timedelta(seconds=1)
    await station.clock.sleep(interval - elapsed % interval)


__all__ = ["MAX_TRANSACTION_DATA", "TransactionSampling", "thin_out"]
