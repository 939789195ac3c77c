"""The 1.6 forms of charging profiles (OCPP 1.6 sections 7.8, 7.13, 9.4.2): the codec between
csChargingProfiles and the core's profiles."""

from __future__ import annotations

from datetime import UTC, datetime

from simulator.station.ocpp16 import profile_codec as cp

T0 = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)  # a Monday


def test_allowed_units_read_the_configuration_key() -> None:
    assert cp.allowed_units("Current,Power") == {"A", "W"}
    assert cp.allowed_units("Power") == {"W"}
    assert cp.allowed_units(None) == frozenset()


def test_profiles_read_from_the_wire() -> None:
    """Section 7.8 field names."""
    p = cp.profile_from_wire(
        1,
        {
            "chargingProfileId": 5,
            "stackLevel": 2,
            "chargingProfilePurpose": "TxDefaultProfile",
            "chargingProfileKind": "Recurring",
            "recurrencyKind": "Daily",
            "validTo": "2026-02-01T00:00:00Z",
            "chargingSchedule": {
                "chargingRateUnit": "W",
                "startSchedule": "2026-01-05T08:00:00Z",
                "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 6000, "numberPhases": 1}],
            },
        },
    )
    assert p.valid_to == datetime(2026, 2, 1, tzinfo=UTC)
    assert p.schedule.start == T0.replace(hour=8)
    assert p.schedule.periods == (cp.Period(0, 6000.0, 1),)
