"""A station's installed charging profiles (OCPP 1.6 section 3.13) and the limit they impose.

The decisions are `charging_profiles`' pure functions; this object holds the installed profiles
(persisted with the station by issue 5) and reads the station's configuration, clock and
transactions for them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from simulator.station import charging_profiles as cp
from simulator.station.core.metering import Electrical
from simulator.station.ports import SmartChargingHost

FEATURE_PROFILE = "SmartCharging"
DEFAULT_MAX_STACK_LEVEL = 10
DEFAULT_MAX_PERIODS = 24
DEFAULT_MAX_INSTALLED = 10
# Section 9.4.4: "If defined and true": a station without the key does not switch phases.
PHASE_SWITCHING_KEY = "ConnectorSwitch3to1PhaseSupported"


class SmartCharging:
    def __init__(self, station: SmartChargingHost) -> None:
        self.station = station
        self.profiles: list[cp.Profile] = []
        self._transaction_starts: dict[int, datetime] = {}

    def supported(self) -> bool:
        profiles = self.station.configuration.get("SupportedFeatureProfiles") or ""
        return FEATURE_PROFILE.lower() in (p.strip().lower() for p in profiles.split(","))

    def electrical(self) -> Electrical:
        return Electrical.of(self.station.template)

    def allowed_units(self) -> frozenset[str]:
        return cp.allowed_units(
            self.station.configuration.get("ChargingScheduleAllowedChargingRateUnit")
        )

    def _rules(self, starting: int | None = None) -> cp.Rules:
        configuration = self.station.configuration
        transactions: dict[int, int | None] = {
            cid: connector.transaction_id
            for cid, connector in self.station.connectors.items()
            if connector.transaction_id is not None
        }
        if starting is not None:
            transactions[starting] = None
        return cp.Rules(
            max_stack_level=configuration.get_int(
                "ChargeProfileMaxStackLevel", DEFAULT_MAX_STACK_LEVEL
            ),
            allowed_units=self.allowed_units(),
            max_periods=configuration.get_int("ChargingScheduleMaxPeriods", DEFAULT_MAX_PERIODS),
            max_installed=configuration.get_int(
                "MaxChargingProfilesInstalled", DEFAULT_MAX_INSTALLED
            ),
            transactions=transactions,
            phase_switching=(configuration.get(PHASE_SWITCHING_KEY) or "").lower() == "true",
            station_phases=cp.phases_used(self.electrical(), None),
        )

    def context(self) -> cp.Context:
        transactions: dict[int, tuple[int, datetime]] = {}
        for cid, connector in self.station.connectors.items():
            if connector.transaction_id is not None:
                started = self._transaction_starts.get(cid) or self.station.clock.now()
                transactions[cid] = (connector.transaction_id, started)
        return cp.Context(self.electrical(), transactions)

    # -- SetChargingProfile, ClearChargingProfile -------------------------------------------

    def set_profile(self, connector_id: int, profile: dict[str, Any]) -> cp.ProfileStatus:
        """SetChargingProfile.req (section 5.16) on a known connector."""
        return self._install(cp.Profile.from_wire(connector_id, profile), self._rules())

    def install_tx_profile(self, connector_id: int, profile: dict[str, Any]) -> cp.ProfileStatus:
        """The TxProfile of a RemoteStartTransaction.req (section 5.16.2), for the transaction
        about to start on the connector; ended with that transaction."""
        parsed = cp.Profile.from_wire(connector_id, profile)
        if parsed.purpose != cp.TX or parsed.transaction_id is not None:
            return cp.ProfileStatus.REJECTED  # errata 3.41
        return self._install(parsed, self._rules(starting=connector_id))

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
        purpose: str | None = None,
        stack_level: int | None = None,
    ) -> bool:
        """ClearChargingProfile.req (section 5.5); False when no profile matched."""
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
        """A TxProfile ceases to be valid when its transaction ends (section 7.10)."""
        self._transaction_starts.pop(connector_id, None)
        self.profiles, cleared = cp.clear(self.profiles, connector_id=connector_id, purpose=cp.TX)
        if cleared:
            self.station.persist()

    # -- persistence ----------------------------------------------------------------------

    def as_data(self) -> list[dict[str, Any]]:
        """The installed profiles as SetChargingProfile.req carries them."""
        return [
            {"connectorId": profile.connector_id, "csChargingProfiles": _wire(profile)}
            for profile in self.profiles
        ]

    def restore(self, data: list[dict[str, Any]]) -> None:
        """Profiles a previous run persisted, installed as they were (not checked again: the
        station accepted them). A TxProfile's transaction ended with that run, so it goes."""
        profiles = []
        for entry in data:
            profile = cp.Profile.from_wire(int(entry["connectorId"]), entry["csChargingProfiles"])
            if profile.purpose != cp.TX:
                profiles.append(profile)
        self.profiles = profiles

    # -- limits ---------------------------------------------------------------------------

    def limit_w(self, connector_id: int) -> float | None:
        """The profiles' limit on the connector's power now, the ChargePointMaxProfile shared
        by the connectors charging; None without profiles."""
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
        """The connectors sharing the ChargePointMaxProfile now."""
        return sum(1 for c in self.station.connectors.values() if c.transaction_started)

    def composite(self, connector_id: int, duration: int, unit: str) -> dict[str, Any]:
        """GetCompositeSchedule.conf's chargingSchedule (section 5.7), from now."""
        start = self.station.clock.now()
        electrical = self.electrical()
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
        return cp.composite_wire(periods, start, duration, unit, electrical)


def _time(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _wire(profile: cp.Profile) -> dict[str, Any]:
    """The csChargingProfiles of section 7.8 that Profile.from_wire reads back."""
    schedule = profile.schedule
    wire_schedule: dict[str, Any] = {
        "chargingRateUnit": schedule.unit,
        "chargingSchedulePeriod": [
            {
                "startPeriod": period.start,
                "limit": period.limit,
                **({"numberPhases": period.number_phases} if period.number_phases else {}),
            }
            for period in schedule.periods
        ],
    }
    optional_schedule = {
        "duration": schedule.duration,
        "startSchedule": _time(schedule.start),
        "minChargingRate": schedule.min_charging_rate,
    }
    wire_schedule.update({k: v for k, v in optional_schedule.items() if v is not None})
    wire: dict[str, Any] = {
        "chargingProfileId": profile.id,
        "stackLevel": profile.stack_level,
        "chargingProfilePurpose": profile.purpose,
        "chargingProfileKind": profile.kind,
        "chargingSchedule": wire_schedule,
    }
    optional = {
        "recurrencyKind": profile.recurrency,
        "validFrom": _time(profile.valid_from),
        "validTo": _time(profile.valid_to),
        "transactionId": profile.transaction_id,
    }
    wire.update({k: v for k, v in optional.items() if v is not None})
    return wire
