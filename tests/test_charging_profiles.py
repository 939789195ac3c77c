"""Charging profiles and their composition (OCPP 1.6 section 3.13), as pure functions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from simulator.station.core import limits as cp
from simulator.station.core.metering import Electrical
from simulator.station.ocpp16 import profile_codec

AC3 = Electrical("AC", 230.0, 3)
AC1 = Electrical("AC", 230.0, 1)
T0 = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)  # a Monday
IDLE = cp.Context(AC3, {})
RULES = cp.Rules(
    max_stack_level=10,
    allowed_units=frozenset({"A", "W"}),
    max_periods=5,
    max_installed=4,
    transactions={1: 7},
)


def profile(
    purpose: str = cp.TX_DEFAULT,
    *,
    id: int = 1,
    connector: int = 1,
    stack: int = 0,
    limits: tuple[tuple[int, float], ...] = ((0, 16.0),),
    unit: str = "A",
    kind: str = "Absolute",
    start: datetime | None = T0,
    duration: int | None = None,
    **fields: Any,
) -> cp.Profile:
    return cp.Profile(
        id=id,
        connector_id=connector,
        stack_level=stack,
        purpose=purpose,
        kind=kind,
        schedule=cp.Schedule(
            unit, tuple(cp.Period(s, limit) for s, limit in limits), duration, start
        ),
        **fields,
    )


def watts(amperes: float, electrical: Electrical = AC3) -> float:
    return cp.to_watts(amperes, electrical)


# --- one profile ---------------------------------------------------------------------------


def test_an_absolute_schedule_steps_through_its_periods() -> None:
    """Section 7.14: startPeriod also ends the previous period."""
    p = profile(limits=((0, 16.0), (3600, 8.0)))
    assert cp.limit_w([p], 1, T0 + timedelta(minutes=59), IDLE) == watts(16)
    assert cp.limit_w([p], 1, T0 + timedelta(hours=1), IDLE) == watts(8)
    assert cp.limit_w([p], 1, T0 - timedelta(seconds=1), IDLE) is None


def test_a_schedule_gives_no_limit_after_its_duration() -> None:
    p = profile(duration=600)
    assert cp.limit_w([p], 1, T0 + timedelta(seconds=599), IDLE) == watts(16)
    assert cp.limit_w([p], 1, T0 + timedelta(seconds=600), IDLE) is None


def test_a_profile_applies_from_valid_from_until_valid_to() -> None:
    """Section 7.8: validFrom / validTo."""
    p = profile(valid_from=T0 + timedelta(hours=1), valid_to=T0 + timedelta(hours=2))
    assert cp.limit_w([p], 1, T0 + timedelta(minutes=30), IDLE) is None
    assert cp.limit_w([p], 1, T0 + timedelta(minutes=90), IDLE) == watts(16)
    assert cp.limit_w([p], 1, T0 + timedelta(hours=2), IDLE) is None


def test_a_daily_recurring_schedule_repeats_every_day() -> None:
    """Section 3.13.7: 6 kW from 08:00 to 20:00 every day."""
    morning = T0.replace(hour=8)
    p = profile(
        kind="Recurring",
        recurrency="Daily",
        start=morning,
        unit="W",
        limits=((0, 6000.0), (12 * 3600, 22000.0)),
    )
    three_days_later = morning + timedelta(days=3)
    assert cp.limit_w([p], 1, three_days_later + timedelta(hours=1), IDLE) == 6000
    assert cp.limit_w([p], 1, three_days_later + timedelta(hours=13), IDLE) == 22000
    assert cp.limit_w([p], 1, three_days_later - timedelta(hours=1), IDLE) == 22000


def test_a_weekly_recurrence_stops_at_the_end_of_its_duration() -> None:
    """Errata 3.43: after the duration, no limit until the next recurrence."""
    p = profile(
        kind="Recurring", recurrency="Weekly", duration=86400, unit="W", limits=((0, 3000.0),)
    )
    assert cp.limit_w([p], 1, T0 + timedelta(hours=23), IDLE) == 3000
    assert cp.limit_w([p], 1, T0 + timedelta(days=3), IDLE) is None
    assert cp.limit_w([p], 1, T0 + timedelta(days=7, hours=1), IDLE) == 3000


def test_a_relative_schedule_counts_from_the_start_of_the_transaction() -> None:
    p = profile(kind="Relative", start=None, limits=((0, 10.0), (1800, 20.0)))
    started = T0 + timedelta(hours=5)
    running = cp.Context(AC3, {1: (7, started)})
    assert cp.limit_w([p], 1, started + timedelta(minutes=29), running) == watts(10)
    assert cp.limit_w([p], 1, started + timedelta(minutes=30), running) == watts(20)


def test_amperes_count_the_phases_of_the_period_up_to_the_stations() -> None:
    """Section 7.14 (3 phases by default) and errata 3.34 (never more than the station has)."""
    assert cp.to_watts(10, AC3) == 6900
    assert cp.to_watts(10, AC3, number_phases=1) == 2300
    assert cp.to_watts(10, AC1, number_phases=3) == 2300
    assert cp.to_watts(10, Electrical("DC", 400.0, 0)) == 4000


@given(
    amperes=st.floats(min_value=0, max_value=1000, allow_nan=False),
    phases=st.sampled_from([None, 1, 2, 3]),
    electrical=st.sampled_from([AC1, AC3, Electrical("DC", 400.0, 0)]),
)
def test_amperes_and_watts_convert_back_and_forth(
    amperes: float, phases: int | None, electrical: Electrical
) -> None:
    watts_ = cp.to_watts(amperes, electrical, phases)
    assert abs(cp.to_amperes(watts_, electrical, phases) - amperes) < 1e-9 * max(1.0, amperes)


# --- composition ---------------------------------------------------------------------------


def test_the_charge_point_max_profile_caps_the_transaction() -> None:
    """Section 3.13.3: the minimum of the purposes."""
    station_max = profile(cp.STATION_MAX, id=2, connector=0, limits=((0, 10.0),))
    default = profile(limits=((0, 32.0),))
    assert cp.limit_w([station_max, default], 1, T0, IDLE) == watts(10)


def test_the_charge_point_max_profile_is_shared_by_the_connectors_charging() -> None:
    """Section 3.13.3: its limit is for all connectors combined."""
    station_max = profile(cp.STATION_MAX, connector=0, unit="W", limits=((0, 20000.0),))
    assert cp.limit_w([station_max], 1, T0, IDLE, sharing=2) == 10000
    assert cp.limit_w([station_max], 0, T0, IDLE, sharing=2) == 20000


def test_a_tx_profile_overrides_the_default_profile_of_its_transaction() -> None:
    """Section 3.13.1: TxProfile overrules TxDefaultProfile for the current transaction."""
    default = profile(limits=((0, 32.0),))
    tx = profile(cp.TX, id=2, limits=((0, 6.0),))
    running = cp.Context(AC3, {1: (7, T0)})
    assert cp.limit_w([default, tx], 1, T0, running) == watts(6)
    assert cp.limit_w([default, tx], 1, T0, IDLE) == watts(32)  # no transaction: no TxProfile


def test_a_tx_profile_of_another_transaction_does_not_apply() -> None:
    tx = profile(cp.TX, transaction_id=99, limits=((0, 6.0),))
    assert cp.limit_w([tx], 1, T0, cp.Context(AC3, {1: (7, T0)})) is None


def test_a_connectors_default_profile_wins_over_connector_zeros_at_its_stack_level() -> None:
    """Section 3.13.1: a TxDefaultProfile on a connector replaces connector 0's for it."""
    everywhere = profile(connector=0, limits=((0, 32.0),))
    here = profile(id=2, connector=1, limits=((0, 8.0),))
    assert cp.limit_w([everywhere, here], 1, T0, IDLE) == watts(8)
    assert cp.limit_w([everywhere, here], 2, T0, IDLE) == watts(32)


def test_a_lower_stack_level_takes_over_when_the_higher_one_ends() -> None:
    """Errata 3.43: fall back to the profile with a lower stackLevel."""
    base = profile(stack=0, limits=((0, 32.0),))
    exception = profile(id=2, stack=1, duration=3600, limits=((0, 6.0),))
    assert cp.limit_w([base, exception], 1, T0 + timedelta(minutes=30), IDLE) == watts(6)
    assert cp.limit_w([base, exception], 1, T0 + timedelta(hours=2), IDLE) == watts(32)


limits_a = st.floats(min_value=0, max_value=80, allow_nan=False).map(lambda x: round(x, 1))
schedules = st.lists(st.tuples(st.integers(min_value=1, max_value=7200), limits_a), max_size=4).map(
    lambda rest: ((0, 0.0), *sorted(dict(rest).items()))
)


@given(low=st.integers(0, 9), gap=st.integers(1, 10), low_limit=limits_a, high_limit=limits_a)
def test_the_higher_stack_level_always_wins(
    low: int, gap: int, low_limit: float, high_limit: float
) -> None:
    """Section 3.13.2: the prevailing profile has the highest stackLevel."""
    lower = profile(stack=low, limits=((0, low_limit),))
    higher = profile(id=2, stack=low + gap, limits=((0, high_limit),))
    assert cp.limit_w([lower, higher], 1, T0, IDLE) == watts(high_limit)
    assert cp.limit_w([higher, lower], 1, T0, IDLE) == watts(high_limit)


profile_sets = st.tuples(
    st.tuples(schedules, limits_a),
    st.lists(
        st.tuples(
            st.integers(0, 3),
            schedules,
            st.integers(-3600, 3600),
            st.sampled_from(["A", "W"]),
            st.sampled_from(["Absolute", "Relative", "Recurring"]),
        ),
        max_size=3,
    ),
    st.integers(60, 4 * 3600),
)


def build(
    station: tuple[tuple[tuple[int, float], ...], float],
    defaults: list[tuple[int, tuple[tuple[int, float], ...], int, str, str]],
) -> tuple[cp.Profile, list[cp.Profile]]:
    periods, first = station
    station_max = profile(cp.STATION_MAX, id=100, connector=0, limits=((0, first), *periods[1:]))
    others = [
        profile(
            id=i,
            stack=stack,
            kind=kind,
            recurrency="Daily" if kind == "Recurring" else None,
            start=T0 + timedelta(seconds=shift),
            duration=3600 if kind == "Recurring" else None,
            unit=unit,
            limits=tuple((s, limit * (230 if unit == "W" else 1)) for s, limit in periods),
        )
        for i, (stack, periods, shift, unit, kind) in enumerate(defaults)
    ]
    return station_max, [station_max, *others]


@given(profile_sets)
def test_the_composite_never_exceeds_the_charge_point_max_profile(
    case: tuple[Any, Any, int],
) -> None:
    """Section 3.13.3: at any time the composite is at most the ChargePointMaxProfile."""
    station, defaults, duration = case
    station_max, profiles = build(station, defaults)
    periods = cp.composite_schedule(profiles, 1, T0, duration, IDLE, unlimited_w=1e6)
    for period in periods:
        at = T0 + timedelta(seconds=period.start)
        cap = cp.limit_w([station_max], 1, at, IDLE)
        assert cap is not None and period.limit_w <= cap
        schedule = profile_codec.composite_wire([period], T0, duration, "A", AC3)
        wire = schedule["chargingSchedulePeriod"][0]
        assert cp.to_watts(wire["limit"], AC3) <= cap + 1e-6


@given(profile_sets)
def test_composite_periods_are_contiguous_and_ordered(case: tuple[Any, Any, int]) -> None:
    """Section 7.13: the first period starts at 0, each ends where the next starts."""
    station, defaults, duration = case
    _, profiles = build(station, defaults)
    periods = cp.composite_schedule(profiles, 1, T0, duration, IDLE, unlimited_w=1e6)
    starts = [p.start for p in periods]
    assert starts[0] == 0
    assert starts == sorted(set(starts)) and starts[-1] < duration
    assert all(a.limit_w != b.limit_w for a, b in pairwise(periods))


@given(profile_sets, st.sampled_from([None, 7]))
def test_the_composite_gives_the_limit_at_every_instant(
    case: tuple[Any, Any, int], transaction: int | None
) -> None:
    """The composite is the limit at each instant, with or without a transaction (whose
    start Relative schedules count from)."""
    station, defaults, duration = case
    _, profiles = build(station, defaults)
    context = cp.Context(
        AC3, {} if transaction is None else {1: (transaction, T0 - timedelta(minutes=10))}
    )
    periods = cp.composite_schedule(profiles, 1, T0, duration, context, unlimited_w=1e6)
    for second in range(0, duration, max(1, duration // 50)):
        at = T0 + timedelta(seconds=second)
        expected = cp.limit_w(profiles, 1, at, context, fallback_start=T0)
        running = [p for p in periods if p.start <= second][-1]
        assert running.limit_w == min(expected if expected is not None else 1e6, 1e6)


def test_the_composite_shares_the_charge_point_max_profile_as_the_limit_does() -> None:
    """Section 3.13.3: two connectors charging each get half of ChargePointMaxProfile, in the
    composite (section 5.7) as in the limit the meter follows."""
    station_max = profile(cp.STATION_MAX, connector=0, unit="W", limits=((0, 11000.0),))
    periods = cp.composite_schedule([station_max], 1, T0, 600, IDLE, unlimited_w=1e6, sharing=2)
    assert periods == [cp.CompositePeriod(0, 5500)]
    assert periods[0].limit_w == cp.limit_w([station_max], 1, T0, IDLE, sharing=2)


def test_the_composite_without_profiles_is_the_stations_own_limit() -> None:
    assert cp.composite_schedule([], 1, T0, 600, IDLE, unlimited_w=11000) == [
        cp.CompositePeriod(0, 11000)
    ]


# --- installing and clearing -----------------------------------------------------------------


def test_a_profile_with_the_same_id_replaces_the_installed_one() -> None:
    """Section 5.16.4."""
    status, installed = cp.install([profile(stack=1)], profile(stack=2), RULES)
    assert status is cp.ProfileStatus.ACCEPTED
    assert [p.stack_level for p in installed] == [2]


def test_a_profile_with_the_same_stack_level_and_purpose_replaces_the_installed_one() -> None:
    """Section 3.13.2."""
    status, installed = cp.install([profile(id=1)], profile(id=2), RULES)
    assert status is cp.ProfileStatus.ACCEPTED and [p.id for p in installed] == [2]


def test_a_default_profile_on_a_connector_leaves_connector_zeros_in_place() -> None:
    """Section 3.13.1: replaced only for that specific connector."""
    _, installed = cp.install([profile(id=1, connector=0)], profile(id=2, connector=1), RULES)
    assert [p.id for p in installed] == [1, 2]


def test_a_tx_profile_needs_a_transaction_on_its_connector() -> None:
    """Section 3.13.1: discarded with an error status without a transaction."""
    assert cp.install([], profile(cp.TX, connector=2), RULES)[0] is cp.ProfileStatus.REJECTED
    assert cp.install([], profile(cp.TX, connector=1), RULES)[0] is cp.ProfileStatus.ACCEPTED
    wrong = profile(cp.TX, connector=1, transaction_id=8)
    assert cp.install([], wrong, RULES)[0] is cp.ProfileStatus.REJECTED


def test_the_charge_point_max_profile_only_goes_on_connector_zero() -> None:
    bad = profile(cp.STATION_MAX, connector=1)
    assert cp.install([], bad, RULES)[0] is cp.ProfileStatus.REJECTED


def test_the_station_limits_stack_levels_periods_units_and_profiles() -> None:
    """Section 9.4: ChargeProfileMaxStackLevel, ChargingScheduleMaxPeriods,
    ChargingScheduleAllowedChargingRateUnit, MaxChargingProfilesInstalled."""
    rejected = cp.ProfileStatus.REJECTED
    assert cp.install([], profile(stack=11), RULES)[0] is rejected
    many = tuple((i * 60, 10.0) for i in range(6))
    assert cp.install([], profile(limits=many), RULES)[0] is rejected
    amps_only = cp.Rules(10, frozenset({"A"}), 5, 4, {})
    assert cp.install([], profile(unit="W"), amps_only)[0] is cp.ProfileStatus.NOT_SUPPORTED
    full = [profile(id=i, stack=i) for i in range(4)]
    assert cp.install(full, profile(id=9, stack=9), RULES)[0] is rejected


def test_a_schedule_must_start_at_zero_and_go_forward() -> None:
    """Errata 3.45: the first startPeriod is 0."""
    rejected = cp.ProfileStatus.REJECTED
    assert cp.install([], profile(limits=((10, 16.0),)), RULES)[0] is rejected
    assert cp.install([], profile(limits=((0, 16.0), (0, 8.0))), RULES)[0] is rejected


def test_clearing_matches_all_given_criteria() -> None:
    """Errata 3.25: logical AND of the fields; none clears everything."""
    installed = [
        profile(id=1, connector=0, stack=0),
        profile(id=2, connector=1, stack=0),
        profile(cp.STATION_MAX, id=3, connector=0, stack=0),
    ]
    kept, cleared = cp.clear(installed, connector_id=0, purpose=cp.TX_DEFAULT)
    assert [p.id for p in cleared] == [1] and [p.id for p in kept] == [2, 3]
    assert cp.clear(installed, profile_id=3)[1] == [installed[2]]
    assert cp.clear(installed)[0] == []
    assert cp.clear(installed, stack_level=5)[1] == []
