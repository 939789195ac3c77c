"""StatusNotification timing (OCPP 1.6 section 4.9, MinimumStatusDuration), on a virtual clock."""

from __future__ import annotations

from pathlib import Path

from tests.offline_station import make_station, shutdown
from tests.virtual_clock import VirtualClock


def minimum_status_duration(seconds: int) -> dict[str, object]:
    return {
        "configurationKey": [
            {"key": "MinimumStatusDuration", "readonly": False, "value": str(seconds)}
        ]
    }


async def test_a_status_shorter_than_minimum_status_duration_is_not_sent(tmp_path: Path) -> None:
    """Section 4.9: "MAY omit sending a StatusNotification.req if it was active for less time
    than defined in the optional configuration key MinimumStatusDuration"."""
    clock = VirtualClock()
    station = make_station(tmp_path, clock=clock, Configuration=minimum_status_duration(10))
    try:
        await station.send_status(1, report=True)  # as after the boot
        await station.change_status(1, "Preparing")
        await clock.run_for(5)
        await station.change_status(1, "Available")
        await clock.run_for(20)
        assert [p["status"] for p in station.csms.of("StatusNotification")] == ["Available"]
    finally:
        await shutdown(station)


async def test_a_status_that_lasts_is_sent_once_minimum_status_duration_passed(
    tmp_path: Path,
) -> None:
    clock = VirtualClock()
    station = make_station(tmp_path, clock=clock, Configuration=minimum_status_duration(10))
    try:
        await station.send_status(1, report=True)
        await station.change_status(1, "Preparing")
        await clock.run_for(9)
        assert len(station.csms.of("StatusNotification")) == 1
        await clock.run_for(2)
        sent = [s for s in station.csms.sent if s.action == "StatusNotification"]
        assert [(s.payload["status"], s.at) for s in sent] == [("Available", 0), ("Preparing", 10)]
    finally:
        await shutdown(station)


async def test_without_minimum_status_duration_each_transition_is_sent_at_once(
    tmp_path: Path,
) -> None:
    clock = VirtualClock()
    station = make_station(tmp_path, clock=clock)
    try:
        await station.send_status(1, report=True)
        await station.change_status(1, "Preparing")
        await station.change_status(1, "Available")
        statuses = [p["status"] for p in station.csms.of("StatusNotification")]
        assert statuses == ["Available", "Preparing", "Available"]
    finally:
        await shutdown(station)


async def test_minimum_status_duration_counts_from_the_moment_the_status_began(
    tmp_path: Path,
) -> None:
    """Sections 4.9 and 9.1.20: a status is sent once it has been active MinimumStatusDuration;
    Preparing lasted 9 s of 10 and is never sent, Charging (from t=9) is sent at t=19."""
    clock = VirtualClock()
    station = make_station(tmp_path, clock=clock, Configuration=minimum_status_duration(10))
    try:
        await station.send_status(1, report=True)
        await station.change_status(1, "Preparing")
        await clock.run_for(9)
        await station.change_status(1, "Charging")
        await clock.run_for(9.5)
        assert [p["status"] for p in station.csms.of("StatusNotification")] == ["Available"]
        await clock.run_for(1)
        sent = [s for s in station.csms.sent if s.action == "StatusNotification"]
        assert [(s.payload["status"], s.at) for s in sent] == [("Available", 0), ("Charging", 19)]
    finally:
        await shutdown(station)


async def test_a_status_between_two_short_ones_that_lasts_is_the_one_sent(
    tmp_path: Path,
) -> None:
    """Section 4.9: of Preparing (4 s), Charging (4 s) and SuspendedEV (lasting), only the
    one active for MinimumStatusDuration is sent, 10 s after it began."""
    clock = VirtualClock()
    station = make_station(tmp_path, clock=clock, Configuration=minimum_status_duration(10))
    try:
        await station.send_status(1, report=True)
        await station.change_status(1, "Preparing")
        await clock.run_for(4)
        await station.change_status(1, "Charging")
        await clock.run_for(4)
        await station.change_status(1, "SuspendedEV")
        await clock.run_for(30)
        sent = [s for s in station.csms.sent if s.action == "StatusNotification"]
        assert [(s.payload["status"], s.at) for s in sent] == [
            ("Available", 0),
            ("SuspendedEV", 18),
        ]
    finally:
        await shutdown(station)
