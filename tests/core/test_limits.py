"""The core's charging limits (OCPP 1.6 section 3.13) in core terms: purposes, installing and
the limit of a connector, with no wire form. The composition's properties are in
tests/test_charging_profiles.py; these are the rules that file leaves out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from simulator.station.core import limits
from simulator.station.core.limits import Period, Profile, ProfileStatus, Purpose, Rules, Schedule
from simulator.station.core.metering import Electrical

AC3 = Electrical("AC", 230.0, 3)
T0 = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)  # a Monday
IDLE = limits.Context(AC3, {})


def rules(**changes: Any) -> Rules:
    given: dict[str, Any] = {
        "max_stack_level": 10,
        "allowed_units": frozenset({"A", "W"}),
        "max_periods": 5,
        "max_installed": 4,
        "transactions": {1: 7},
        **changes,
    }
    return Rules(**given)


def profile(
    purpose: Purpose = Purpose.TX_DEFAULT,
    *,
    id: int = 1,
    connector: int = 1,
    stack: int = 0,
    periods: tuple[Period, ...] = (Period(0, 16.0),),
    unit: str = "A",
    **fields: Any,
) -> Profile:
    schedule = Schedule(unit, periods, start=T0)
    return Profile(id, connector, stack, purpose, "Absolute", schedule, **fields)


def test_the_transaction_purposes_are_named_as_both_versions_name_them() -> None:
    """TxDefaultProfile and TxProfile in 1.6 (section 7.9) and 2.0.1 alike."""
    assert Purpose.TX_DEFAULT.value == "TxDefaultProfile"
    assert Purpose.TX.value == "TxProfile"


def test_connector_zero_is_limited_by_the_station_maximum_only() -> None:
    """Connector 0 is the grid connection: a transaction default there is for the connectors."""
    default = profile(connector=0, periods=(Period(0, 6.0),))
    station_max = profile(
        Purpose.STATION_MAX, id=2, connector=0, unit="W", periods=(Period(0, 9000),)
    )
    assert limits.limit_w([default], 0, T0, IDLE) is None
    assert limits.limit_w([default, station_max], 0, T0, IDLE) == 9000


def test_a_profile_of_another_purpose_may_not_name_a_transaction() -> None:
    """Section 7.8: transactionId only for a TxProfile."""
    named = profile(transaction_id=7)
    assert limits.install([], named, rules())[0] is ProfileStatus.REJECTED


def test_a_recurring_profile_needs_a_known_recurrency() -> None:
    """Section 7.11: Daily or Weekly."""
    schedule = Schedule("A", (Period(0, 16.0),), start=T0)
    monthly = Profile(1, 1, 0, Purpose.TX_DEFAULT, "Recurring", schedule, recurrency="Monthly")
    daily = Profile(1, 1, 0, Purpose.TX_DEFAULT, "Recurring", schedule, recurrency="Daily")
    assert limits.install([], monthly, rules())[0] is ProfileStatus.REJECTED
    assert limits.install([], daily, rules())[0] is ProfileStatus.ACCEPTED


def test_without_phase_switching_a_period_may_not_ask_for_fewer_phases() -> None:
    """Section 9.4.4: a three-phase station that does not switch refuses one-phase periods."""
    one_phase = profile(periods=(Period(0, 16.0, 1),))
    fixed = rules(phase_switching=False, station_phases=3)
    assert limits.install([], one_phase, fixed)[0] is ProfileStatus.REJECTED
    assert limits.install([], one_phase, rules(phase_switching=True))[0] is ProfileStatus.ACCEPTED


def test_a_period_on_one_phase_limits_the_power_of_one_phase() -> None:
    """Section 7.14: numberPhases of the period."""
    one_phase = profile(periods=(Period(0, 10.0, 1),))
    assert limits.limit_w([one_phase], 1, T0, IDLE) == 2300


def test_a_lower_stack_level_takes_over_when_the_higher_ones_schedule_ends() -> None:
    """Errata 3.43: the prevailing profile is the highest one giving a limit then."""
    base = profile(id=1, stack=0, periods=(Period(0, 32.0),))
    short = Profile(
        2, 1, 1, Purpose.TX_DEFAULT, "Absolute", Schedule("A", (Period(0, 8.0),), 600, T0)
    )
    assert limits.limit_w([base, short], 1, T0 + timedelta(seconds=599), IDLE) == 8 * 690
    assert limits.limit_w([base, short], 1, T0 + timedelta(seconds=600), IDLE) == 32 * 690
