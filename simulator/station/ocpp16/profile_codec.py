"""The 1.6 forms of the core's charging profiles: csChargingProfiles (section 7.8) to
`limits.Profile` and back, the purposes' names, the units of
ChargingScheduleAllowedChargingRateUnit (section 9.4.2), and the composite as
GetCompositeSchedule.conf's chargingSchedule (section 7.13)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from simulator.station.clock import iso_timestamp
from simulator.station.core.limits import (
    Composite,
    CompositePeriod,
    Period,
    Profile,
    Purpose,
    Schedule,
    phases_used,
    to_amperes,
)
from simulator.station.core.metering import Electrical

PURPOSE_NAMES = {
    Purpose.STATION_MAX: "ChargePointMaxProfile",
    Purpose.TX_DEFAULT: "TxDefaultProfile",
    Purpose.TX: "TxProfile",
}
PURPOSES = {name: purpose for purpose, name in PURPOSE_NAMES.items()}
UNIT_BY_QUANTITY = {"current": "A", "power": "W"}


def purpose_of(name: str | None) -> Purpose | None:
    """chargingProfilePurpose (section 7.9) as the core's purpose; None stays None."""
    return None if name is None else PURPOSES[name]


def allowed_units(value: str | None) -> frozenset[str]:
    """ChargingScheduleAllowedChargingRateUnit (section 9.4.2): "Current", "Power" -> A, W."""
    names = (part.strip().lower() for part in (value or "").split(","))
    return frozenset(UNIT_BY_QUANTITY[name] for name in names if name in UNIT_BY_QUANTITY)


def _parse_time(value: str | None) -> datetime | None:
    if value is None:
        return None
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def profile_from_wire(connector_id: int, data: Mapping[str, Any]) -> Profile:
    """A csChargingProfiles as SetChargingProfile.req carries it (section 7.8)."""
    schedule = data["chargingSchedule"]
    return Profile(
        id=int(data["chargingProfileId"]),
        connector_id=connector_id,
        stack_level=int(data["stackLevel"]),
        purpose=PURPOSES[data["chargingProfilePurpose"]],
        kind=data["chargingProfileKind"],
        recurrency=data.get("recurrencyKind"),
        valid_from=_parse_time(data.get("validFrom")),
        valid_to=_parse_time(data.get("validTo")),
        transaction_id=data.get("transactionId"),
        schedule=Schedule(
            unit=schedule["chargingRateUnit"],
            periods=tuple(
                Period(int(p["startPeriod"]), float(p["limit"]), p.get("numberPhases"))
                for p in schedule["chargingSchedulePeriod"]
            ),
            duration=schedule.get("duration"),
            start=_parse_time(schedule.get("startSchedule")),
            min_charging_rate=schedule.get("minChargingRate"),
        ),
    )


def _time(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def profile_wire(profile: Profile) -> dict[str, Any]:
    """The csChargingProfiles of section 7.8 that profile_from_wire reads back."""
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
        "chargingProfilePurpose": PURPOSE_NAMES[profile.purpose],
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


# -- the persisted chargingProfiles section ------------------------------------------------


def stored_profiles(profiles: Iterable[Profile]) -> list[dict[str, Any]]:
    """The installed profiles as SetChargingProfile.req carries them: the state document's
    chargingProfiles, as every version of evsim wrote it."""
    return [
        {"connectorId": profile.connector_id, "csChargingProfiles": profile_wire(profile)}
        for profile in profiles
    ]


def restored_profiles(data: Iterable[Mapping[str, Any]]) -> list[Profile]:
    return [
        profile_from_wire(int(entry["connectorId"]), entry["csChargingProfiles"]) for entry in data
    ]


# -- the composite ----------------------------------------------------------------------------


def floor_one_decimal(value: float) -> float:
    """Limits carry one decimal (section 7.14); rounded down so a converted limit never
    exceeds the one it comes from."""
    return math.floor(value * 10 + 1e-9) / 10


def composite_wire(
    periods: Sequence[CompositePeriod],
    start: datetime,
    duration: int,
    unit: str,
    electrical: Electrical,
) -> dict[str, Any]:
    """A ChargingSchedule (section 7.13) of the composite in `unit`."""
    phases = phases_used(electrical, None)
    wire_periods: list[dict[str, Any]] = []
    for period in periods:
        limit = to_amperes(period.limit_w, electrical) if unit == "A" else period.limit_w
        entry: dict[str, Any] = {"startPeriod": period.start, "limit": floor_one_decimal(limit)}
        if unit == "A":
            entry["numberPhases"] = phases
        wire_periods.append(entry)
    return {
        "duration": duration,
        "startSchedule": iso_timestamp(start),
        "chargingRateUnit": unit,
        "chargingSchedulePeriod": wire_periods,
    }


def composite_schedule_wire(
    composite: Composite, unit: str, electrical: Electrical
) -> dict[str, Any]:
    return composite_wire(composite.periods, composite.start, composite.duration, unit, electrical)


__all__ = [
    "PURPOSES",
    "PURPOSE_NAMES",
    "Period",
    "allowed_units",
    "composite_schedule_wire",
    "composite_wire",
    "floor_one_decimal",
    "profile_from_wire",
    "profile_wire",
    "purpose_of",
    "restored_profiles",
    "stored_profiles",
]
