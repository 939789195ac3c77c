"""Charging profiles and their composition (OCPP 1.6 section 3.13, the same in 2.0.1 K01-K08):
pure functions, no I/O, in core terms (the adapters' codecs read and write the wire forms).

A profile gives a limit at an instant when it is valid then (validFrom/validTo) and its schedule
has a period running then (Absolute from startSchedule, Recurring from the last Daily/Weekly
recurrence, Relative from the start of the transaction). Within a purpose the profile with the
highest stackLevel that gives a limit prevails; when its schedule has ended the next lower one
takes over (errata 3.43). A transaction's profile overrides the transaction default of its
connector, and the station maximum caps the result (section 3.13.3: the minimum of the purposes).

Limits are compared in W: a limit in A counts U x I x phases, with the phases of the period
(3 when absent, section 7.14) but never more than the station has (errata 3.34).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from itertools import pairwise

from simulator.station.core.metering import Electrical


class Purpose(StrEnum):
    """What a profile limits. The values of the transaction purposes are the names both OCPP
    versions give them; the station maximum is named by each version's codec
    (ChargePointMaxProfile in 1.6, ChargingStationMaxProfile in 2.0.1)."""

    STATION_MAX = "StationMaxProfile"  # the grid connection, connector 0
    TX_DEFAULT = "TxDefaultProfile"  # any transaction on a connector (or on all: connector 0)
    TX = "TxProfile"  # the running transaction of a connector


STATION_MAX = Purpose.STATION_MAX
TX_DEFAULT = Purpose.TX_DEFAULT
TX = Purpose.TX

DEFAULT_PHASES = 3  # section 7.14: "numberPhases=3 will be assumed unless another number is given"
_RECURRENCE = {"Daily": timedelta(days=1), "Weekly": timedelta(weeks=1)}
# Recurrences without startSchedule start at midnight UTC, and weekly ones on a Monday.
_RECURRENCE_EPOCH = datetime(1970, 1, 5, tzinfo=UTC)


class ProfileStatus(StrEnum):
    ACCEPTED = "Accepted"
    REJECTED = "Rejected"
    NOT_SUPPORTED = "NotSupported"


@dataclass(frozen=True, slots=True)
class Period:
    start: int  # seconds from the start of the schedule
    limit: float  # in the schedule's unit
    number_phases: int | None = None


@dataclass(frozen=True, slots=True)
class Schedule:
    unit: str  # "A" | "W"
    periods: tuple[Period, ...]
    duration: int | None = None
    start: datetime | None = None
    min_charging_rate: float | None = None


@dataclass(frozen=True, slots=True)
class Profile:
    id: int
    connector_id: int
    stack_level: int
    purpose: Purpose
    kind: str  # "Absolute" | "Recurring" | "Relative"
    schedule: Schedule
    recurrency: str | None = None  # "Daily" | "Weekly"
    valid_from: datetime | None = None
    valid_to: datetime | None = None
    transaction_id: int | str | None = None


# --- units -----------------------------------------------------------------------------------


def phases_used(electrical: Electrical, number_phases: int | None) -> int:
    """The phases a limit in A applies to: the period's (3 by default), at most the station's."""
    if electrical.current_type != "AC":
        return 1
    return max(1, min(number_phases or DEFAULT_PHASES, electrical.factor))


def to_watts(amperes: float, electrical: Electrical, number_phases: int | None = None) -> float:
    return amperes * electrical.voltage * phases_used(electrical, number_phases)


def to_amperes(watts: float, electrical: Electrical, number_phases: int | None = None) -> float:
    return watts / (electrical.voltage * phases_used(electrical, number_phases))


def limit_in_watts(limit: float, unit: str, electrical: Electrical, phases: int | None) -> float:
    return to_watts(limit, electrical, phases) if unit == "A" else limit


# --- one profile -----------------------------------------------------------------------------


def is_valid_at(profile: Profile, at: datetime) -> bool:
    """validFrom inclusive, validTo exclusive (section 7.8)."""
    if profile.valid_from is not None and at < profile.valid_from:
        return False
    return profile.valid_to is None or at < profile.valid_to


def schedule_start(profile: Profile, at: datetime, relative_start: datetime) -> datetime:
    """Where the profile's schedule periods count from, for the instant `at`.

    `relative_start`: the start of the transaction, or of the composite when there is none.
    """
    schedule = profile.schedule
    if profile.kind == "Recurring":
        recurrence = _RECURRENCE.get(profile.recurrency or "", timedelta(days=1))
        anchor = schedule.start or _RECURRENCE_EPOCH
        return anchor + recurrence * math.floor((at - anchor) / recurrence)
    if profile.kind == "Absolute" and schedule.start is not None:
        return schedule.start
    # Relative, and Absolute without startSchedule ("relative to start of charging", 7.13).
    return relative_start


def _schedule_end(profile: Profile, start: datetime) -> datetime | None:
    """The end of a run of the schedule: its duration, cut at the recurrence (errata 3.44)."""
    ends: list[datetime] = []
    if profile.schedule.duration is not None:
        ends.append(start + timedelta(seconds=profile.schedule.duration))
    if profile.kind == "Recurring":
        ends.append(start + _RECURRENCE.get(profile.recurrency or "", timedelta(days=1)))
    return min(ends) if ends else None


def period_at(profile: Profile, at: datetime, relative_start: datetime) -> Period | None:
    """The period of the profile running at `at`; None when the profile gives no limit then."""
    if not is_valid_at(profile, at):
        return None
    start = schedule_start(profile, at, relative_start)
    end = _schedule_end(profile, start)
    if at < start or (end is not None and at >= end):
        return None
    offset = (at - start).total_seconds()
    running: Period | None = None
    for period in profile.schedule.periods:
        if period.start > offset:
            break
        running = period
    return running


def _boundaries(
    profile: Profile, begin: datetime, end: datetime, relative_start: datetime
) -> Iterator[datetime]:
    """Instants where the profile's limit may change, from the schedule run in force at
    `begin` until `end` (and its validity bounds, wherever they are)."""
    for moment in (profile.valid_from, profile.valid_to):
        if moment is not None:
            yield moment
    start = schedule_start(profile, begin, relative_start)
    recurrence = _RECURRENCE.get(profile.recurrency or "", timedelta(days=1))
    while start < end:
        for period in profile.schedule.periods:
            yield start + timedelta(seconds=period.start)
        run_end = _schedule_end(profile, start)
        if run_end is not None:
            yield run_end
        if profile.kind != "Recurring":
            break
        start += recurrence


# --- composition -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Context:
    """What the composition needs to know about the station at the time."""

    electrical: Electrical
    # connector -> (transaction id, start) of the running transaction
    transactions: dict[int, tuple[int | str, datetime]]


def _prevailing_w(
    profiles: Iterable[Profile], at: datetime, relative_start: datetime, electrical: Electrical
) -> float | None:
    """The limit of the highest stack level giving one at `at` (ties: a connector's own
    profile before connector 0's, section 3.13.1)."""
    ranked = sorted(profiles, key=lambda p: (p.stack_level, p.connector_id), reverse=True)
    for profile in ranked:
        period = period_at(profile, at, relative_start)
        if period is not None:
            unit = profile.schedule.unit
            return limit_in_watts(period.limit, unit, electrical, period.number_phases)
    return None


def limit_w(
    profiles: Sequence[Profile],
    connector_id: int,
    at: datetime,
    context: Context,
    *,
    fallback_start: datetime | None = None,
    sharing: int = 1,
) -> float | None:
    """The composite limit of a connector at `at` in W; None when no profile limits it.

    Connector 0 is the grid connection: only the ChargePointMaxProfile applies.
    `fallback_start`: where Relative schedules start without a transaction (the composite's
    start); `at` by default.
    """
    station_max = _prevailing_w(
        (p for p in profiles if p.purpose == STATION_MAX),
        at,
        fallback_start or at,
        context.electrical,
    )
    if connector_id == 0:
        return station_max
    if station_max is not None:
        station_max /= max(1, sharing)
    running = context.transactions.get(connector_id)
    relative_start = running[1] if running else (fallback_start or at)
    transaction_limit = None
    if running is not None:
        transaction_limit = _prevailing_w(
            (
                p
                for p in profiles
                if p.purpose == TX
                and p.connector_id == connector_id
                and p.transaction_id in (None, running[0])
            ),
            at,
            relative_start,
            context.electrical,
        )
    if transaction_limit is None:
        transaction_limit = _prevailing_w(
            (
                p
                for p in profiles
                if p.purpose == TX_DEFAULT and p.connector_id in (0, connector_id)
            ),
            at,
            relative_start,
            context.electrical,
        )
    limits = [limit for limit in (station_max, transaction_limit) if limit is not None]
    return min(limits) if limits else None


@dataclass(frozen=True, slots=True)
class CompositePeriod:
    start: int  # seconds from the start of the composite
    limit_w: float


@dataclass(frozen=True, slots=True)
class Composite:
    """The composite schedule of a connector from `start` for `duration` s."""

    start: datetime
    duration: int
    periods: tuple[CompositePeriod, ...]


def composite_schedule(
    profiles: Sequence[Profile],
    connector_id: int,
    start: datetime,
    duration: int,
    context: Context,
    *,
    unlimited_w: float,
    sharing: int = 1,
) -> list[CompositePeriod]:
    """The composite of a connector from `start` for `duration` s (section 5.7): contiguous
    periods in order, the first at 0, neighbours with different limits. Where no profile
    limits the connector, the station's own maximum `unlimited_w` applies. `sharing`: as in
    limit_w, so the schedule reported is the power the connector draws."""
    end = start + timedelta(seconds=duration)
    running = context.transactions.get(connector_id)
    relative_start = running[1] if running else start
    offsets = {0}
    for profile in profiles:
        # As in limit_w: only the transaction's own purposes count from its start.
        counted_from = start if profile.purpose == STATION_MAX else relative_start
        for moment in _boundaries(profile, start, end, counted_from):
            if start < moment < end:
                # startPeriod is in whole seconds: a change within a second shows from the next.
                offsets.add(min(duration, math.ceil((moment - start).total_seconds())))
    offsets.discard(duration)
    offsets.add(0)
    periods: list[CompositePeriod] = []
    for offset in sorted(offsets):
        moment = start + timedelta(seconds=offset)
        limit = limit_w(
            profiles, connector_id, moment, context, fallback_start=start, sharing=sharing
        )
        value = unlimited_w if limit is None else min(limit, unlimited_w)
        if not periods or periods[-1].limit_w != value:
            periods.append(CompositePeriod(offset, value))
    return periods


# --- installing and clearing -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Rules:
    """The station's limits on profiles (section 9.4) and what it is doing now."""

    max_stack_level: int
    allowed_units: frozenset[str]  # "A" and/or "W"
    max_periods: int
    max_installed: int
    # connector -> id of its running transaction (None: starting, the CSMS has not given it yet)
    transactions: dict[int, int | str | None]
    # Whether the station switches from 3 to 1 phase (section 9.4.4): False, a period may not
    # ask for fewer phases than the station charges on.
    phase_switching: bool = True
    station_phases: int = DEFAULT_PHASES


def install(
    installed: Sequence[Profile], profile: Profile, rules: Rules
) -> tuple[ProfileStatus, list[Profile]]:
    """Installing a profile (1.6 section 5.16): the answer and the profiles installed after.

    A profile replaces the one with its id and the one with its stackLevel and purpose on its
    connector (sections 3.13.2, 5.16.3: a TxDefaultProfile on a connector replaces connector 0's
    only for that connector, so the connector is part of the match).
    """
    schedule = profile.schedule
    starts = [period.start for period in schedule.periods]
    if schedule.unit not in rules.allowed_units:
        return ProfileStatus.NOT_SUPPORTED, list(installed)
    rejected = (
        (profile.purpose == STATION_MAX and profile.connector_id != 0)
        or (profile.purpose == TX and not _tx_target_running(profile, rules))
        or (profile.purpose != TX and profile.transaction_id is not None)
        or profile.stack_level > rules.max_stack_level
        or len(schedule.periods) > rules.max_periods
        or starts[0] != 0  # errata 3.45
        or any(later <= earlier for earlier, later in pairwise(starts))
        or (profile.kind == "Recurring" and profile.recurrency not in _RECURRENCE)
        or (not rules.phase_switching and _fewer_phases(schedule, rules.station_phases))
    )
    if rejected:
        return ProfileStatus.REJECTED, list(installed)
    kept = [
        p
        for p in installed
        if p.id != profile.id
        and (p.connector_id, p.stack_level, p.purpose)
        != (profile.connector_id, profile.stack_level, profile.purpose)
    ]
    if len(kept) + 1 > rules.max_installed:
        return ProfileStatus.REJECTED, list(installed)
    return ProfileStatus.ACCEPTED, [*kept, profile]


def _fewer_phases(schedule: Schedule, station_phases: int) -> bool:
    return any(
        period.number_phases is not None and period.number_phases < station_phases
        for period in schedule.periods
    )


def _tx_target_running(profile: Profile, rules: Rules) -> bool:
    if profile.connector_id not in rules.transactions:
        return False
    return (
        profile.transaction_id is None
        or profile.transaction_id == rules.transactions[profile.connector_id]
    )


def clear(
    installed: Sequence[Profile],
    *,
    profile_id: int | None = None,
    connector_id: int | None = None,
    purpose: Purpose | None = None,
    stack_level: int | None = None,
) -> tuple[list[Profile], list[Profile]]:
    """Clearing profiles (1.6 section 5.5, errata 3.25): (kept, cleared). The profile with the
    id, or every profile matching all the given criteria; no criteria clear everything."""

    def matches(p: Profile) -> bool:
        if profile_id is not None:
            return p.id == profile_id
        return (
            (connector_id is None or p.connector_id == connector_id)
            and (purpose is None or p.purpose == purpose)
            and (stack_level is None or p.stack_level == stack_level)
        )

    cleared = [p for p in installed if matches(p)]
    return [p for p in installed if not matches(p)], cleared
