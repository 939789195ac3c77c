"""The connectors' meters as their transactions draw on them: the power each connector may
draw now, the meter brought to now, and what a suspended transaction may still draw (OCPP 1.6
sections 3.5.4, 9.1.14; 2.0.1 E05.FR.03). `metering.MeterModel` is the physics.

A mixin of `Transactions` (transactions.py), which decides when a transaction charges.
"""

from __future__ import annotations

from simulator.station.core.metering import (
    MeterModel,
    Reading,
    amperage_limit_a,
    connector_power_limit_w,
)
from simulator.station.core.model import ConnectorState
from simulator.station.core.tx_ports import Settings
from simulator.station.light_random import LightRandom, Rng
from simulator.station.ports import TransactionsHost


def connector_rng(seed: int, purpose: str, connector_id: int) -> Rng:
    """An independent, reproducible stream per connector and purpose: the meter's draws do not
    shift the ATG's, and neither depends on how other connectors interleave."""
    return LightRandom(f"{seed}:{purpose}:{connector_id}")


class TransactionMeters:
    """The meter half of `Transactions`: what it reads of its host, declared here."""

    station: TransactionsHost
    settings: Settings
    models: dict[int, MeterModel]
    station_power_w: float | None
    _rngs: dict[int, Rng]
    _stopping: set[int]
    # Transactions that draw nothing now, or a refused token's allowance (SuspendedEVSE).
    _suspended: set[int]
    # Transactions open without authorization (2.0.1: started at the plug, or their
    # authorization ended before their stop point): no energy at all.
    _unauthorized: set[int]
    # connector -> (transaction ref, its session Wh when its token was refused)
    _invalidated_at_wh: dict[int, tuple[int | None, float]]

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
        charging = (
            connector.transaction_started
            and connector_id not in self._stopping
            and connector_id not in self._unauthorized
        )
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

    def suspend(self, connector_id: int) -> None:
        """The EV left, its transaction kept open (section 9.1.23): metered so far, no more."""
        self.advance(connector_id)
        self._suspended.add(connector_id)

    def resume(self, connector_id: int) -> None:
        """The EV is back (section 4.10): energy flows from now, none for its time away."""
        self.advance(connector_id)
        self._suspended.discard(connector_id)


__all__ = ["TransactionMeters", "connector_rng"]
