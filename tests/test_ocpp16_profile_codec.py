"""The 1.6 forms of charging profiles (OCPP 1.6 sections 7.8, 7.13, 9.4.2): the codec between
csChargingProfiles and the core's profiles."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from simulator.station.core.limits import Composite, CompositePeriod, Purpose
from simulator.station.core.metering import Electrical
from simulator.station.ocpp16 import profile_codec as cp

BASE_STATE = Path(__file__).parent / "data" / "state-ebd1ce3.json"

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


def test_the_persisted_profiles_are_written_as_the_base_commit_wrote_them() -> None:
    """The state document's chargingProfiles (tests/data/state-ebd1ce3.json) read and written
    back give the same JSON text, key order included."""
    state = json.loads(BASE_STATE.read_text(encoding="utf-8"))
    written = cp.stored_profiles(cp.restored_profiles(state["chargingProfiles"]))
    assert json.dumps(written) == json.dumps(state["chargingProfiles"])


def test_the_station_maximum_is_named_charge_point_max_profile() -> None:
    """Section 7.9: ChargePointMaxProfile, the core's station maximum."""
    assert cp.purpose_of("ChargePointMaxProfile") is Purpose.STATION_MAX
    assert cp.PURPOSE_NAMES[Purpose.STATION_MAX] == "ChargePointMaxProfile"
    assert cp.purpose_of(None) is None


def test_the_composite_in_amperes_names_the_station_phases() -> None:
    """Section 7.13: a composite in A gives the phases its limit is for, rounded down to one
    decimal (section 7.14) so it never exceeds the limit in W."""
    composite = Composite(T0, 600, (CompositePeriod(0, 10000.0),))
    schedule = cp.composite_schedule_wire(composite, "A", Electrical("AC", 230.0, 3))
    assert schedule["startSchedule"] == "2026-01-05T10:00:00.000Z"
    assert schedule["chargingSchedulePeriod"] == [
        {"startPeriod": 0, "limit": 14.4, "numberPhases": 3}
    ]
