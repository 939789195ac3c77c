"""A station's installed charging profiles (OCPP 1.6 section 3.13) and the limit they impose.

The decisions are `limits`' pure functions; this object holds the installed profiles (persisted
with the station by issue 5, in the form the adapter's codec gives them) and reads the station's
settings, clock and transactions for them.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Protocol

from simulator.station.core import limits as cp
from simulator.station.core.metering import Electrical
from simulator.station.ports import SmartChargingHost


class ChargingSettings(Protocol):
    """The station's smart charging settings (1.6 section 9.4), read at each use so a change of
    configuration applies at once."""

    def smart_charging_supported(self) -> bool: ...

    def allowed_units(self) -> frozenset[str]: ...  # "A" and/or "W"

    def max_stack_level(self) -> int: ...

    def max_periods(self) -> int: ...  # per schedule

    def max_installed(self) -> int: ...

    def phase_switching(self) -> bool: ...  # from 3 phases to 1 within a schedule


class SmartCharging:
    def __init__(self, station: SmartChargingHost, settings: ChargingSettings) -> None:
        self.station = station
        self.settings = settings
        self.profiles: list[cp.Profile] = []
        self._transaction_starts: dict[int, datetime] = {}

    def supported(self) -> bool:
        return self.settings.smart_charging_supported()

    def electrical(self) -> Electrical:
        return Electrical.of(self.station.template)

    def allowed_units(self) -> frozenset[str]:
        return self.settings.allowed_units()

    def _rules(self, starting: int | None = None) -> cp.Rules:
        settings = self.settings
        transactions: dict[int, int | str | None] = {
            cid: connector.transaction_id
            for cid, connector in self.station.connectors.items()
            if connector.transaction_id is not None
        }
        if starting is not None:
            transactions[starting] = None
        return cp.Rules(
            max_stack_level=settings.max_stack_level(),
            allowed_units=settings.allowed_units(),
            max_periods=settings.max_periods(),
            max_installed=settings.max_installed(),
            transactions=transactions,
            phase_switching=settings.phase_switching(),
            station_phases=cp.phases_used(self.electrical(), None),
        )

    def context(self) -> cp.Context:
        transactions: dict[int, tuple[int | str, datetime]] = {}
        for cid, connector in self.station.connectors.items():
            if connector.transaction_id is not None:
                started = self._transaction_starts.get(cid) or self.station.clock.now()
                transactions[cid] = (connector.transaction_id, started)
        return cp.Context(self.electrical(), transactions)

    # -- installing and clearing ----------------------------------------------------------

    def install(self, profile: cp.Profile) -> cp.ProfileStatus:
        """A profile the CSMS sets (1.6 section 5.16) on a known connector."""
        return self._install(profile, self._rules())

    def install_for_start(self, profile: cp.Profile) -> cp.ProfileStatus:
        """The transaction profile of a remote start (1.6 section 5.16.2), for the transaction
        about to start on its connector; ended with that transaction."""
        if profile.purpose != cp.TX or profile.transaction_id is not None:
            return cp.ProfileStatus.REJECTED  # errata 3.41
        return self._install(profile, self._rules(starting=profile.connector_id))

    def _install(self, profile: cp.Profile, rules: cp.Rules) -> cp.ProfileStatus:
        status, self.profiles = cp.install(self.profiles, profile, rules)
        self.station.log.debug("Charging profile {} {}", profile.id, status.value)
        if status == cp.ProfileStatus.ACCEPTED:
            self.station.persist()  # section 3.13: installed profiles survive a restart
        return status

    def clear(
        self,
        *,
        profile_id: int | None = None,
        connector_id: int | None = None,
        purpose: cp.Purpose | None = None,
        stack_level: int | None = None,
    ) -> bool:
        """Clearing profiles (1.6 section 5.5); False when no profile matched."""
        self.profiles, cleared = cp.clear(
            self.profiles,
            profile_id=profile_id,
            connector_id=connector_id,
            purpose=purpose,
            stack_level=stack_level,
        )
        if cleared:
            self.station.persist()
        return bool(cleared)

    # -- transactions ---------------------------------------------------------------------

    def transaction_started(self, connector_id: int) -> None:
        """Relative schedules of the transaction count from now."""
        self._transaction_starts[connector_id] = self.station.clock.now()

    def transaction_ended(self, connector_id: int) -> None:
        """A transaction's profile ceases to be valid when it ends (1.6 section 7.10)."""
        self._transaction_starts.pop(connector_id, None)
        self.profiles, cleared = cp.clear(self.profiles, connector_id=connector_id, purpose=cp.TX)
        if cleared:
            self.station.persist()

    # -- persistence ----------------------------------------------------------------------

    def restore_profiles(self, profiles: Iterable[cp.Profile]) -> None:
        """Profiles a previous run persisted, installed as they were (not checked again: the
        station accepted them). A transaction's profile ended with that run, so it goes."""
        self.profiles = [profile for profile in profiles if profile.purpose != cp.TX]

    # -- limits ---------------------------------------------------------------------------

    def limit_w(self, connector_id: int) -> float | None:
        """The profiles' limit on the connector's power now, the station maximum shared by the
        connectors charging; None without profiles."""
        if not self.profiles:
            return None
        return cp.limit_w(
            self.profiles,
            connector_id,
            self.station.clock.now(),
            self.context(),
            sharing=self._charging(),
        )

    def _charging(self) -> int:
        """The connectors sharing the station maximum now."""
        return sum(1 for c in self.station.connectors.values() if c.transaction_started)

    def composite_schedule(self, connector_id: int, duration: int) -> cp.Composite:
        """The connector's composite schedule (1.6 section 5.7) from now."""
        start = self.station.clock.now()
        transactions = self.station.transactions
        if connector_id == 0:
            unlimited = transactions.station_power_w or sum(
                transactions.limit_w(cid, profile=False) for cid in transactions.models
            )
            # Connectors that each have a maximumPower draw no more than their sum together.
            maxima = [
                self.station.spec.connectors[cid].maximum_power for cid in transactions.models
            ]
            if maxima and all(maximum is not None for maximum in maxima):
                unlimited = min(unlimited, sum(m for m in maxima if m is not None))
        else:
            unlimited = transactions.limit_w(connector_id, profile=False)
        periods = cp.composite_schedule(
            self.profiles,
            connector_id,
            start,
            duration,
            self.context(),
            unlimited_w=unlimited,
            sharing=self._charging(),
        )
        return cp.Composite(start, duration, tuple(periods))


__all__ = ["ChargingSettings", "SmartCharging"]
