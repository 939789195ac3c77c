"""ConnectorSwitch3to1PhaseSupported (OCPP 1.6 section 9.4.4): charging schedules that ask a
three-phase station to charge on fewer phases (numberPhases, section 7.14)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from ocpp.v16 import call

from simulator.csms import CentralSystem
from simulator.station.core import limits as cp
from simulator.station.ocpp16 import profile_codec
from simulator.station.station import ChargingStation
from tests.test_ocpp16_smart_charging import charging_profile, set_profile
from tests.test_station import booted, make_station

VOLTAGE = 230  # the quick template's AC voltage, three phases


@pytest.fixture
async def csms() -> AsyncIterator[CentralSystem]:
    async with CentralSystem(heartbeat_interval=60) as central:
        yield central


def on_phases(number_phases: int, limit: float = 16.0) -> dict[str, Any]:
    profile = charging_profile(limit=limit)
    profile["chargingSchedule"]["chargingSchedulePeriod"][0]["numberPhases"] = number_phases
    return profile


def switching(supported: str) -> dict[str, Any]:
    """A template whose station says whether it switches phases (a read-only key)."""
    key = {"key": "ConnectorSwitch3to1PhaseSupported", "readonly": True, "value": supported}
    return {"configurationKey": [key]}


async def install(csms: CentralSystem, station: ChargingStation, profile: dict[str, Any]) -> str:
    result = await csms.call(station.spec.station_id, set_profile(1, profile))
    return str(result.status)


@pytest.mark.integration
@pytest.mark.timeout(30)
async def test_a_one_phase_schedule_is_rejected_when_the_station_cannot_switch_phases(
    tmp_path: Path, csms: CentralSystem
) -> None:
    """Section 9.4.4: only "if defined and true" does the station switch from 3 to 1 phase;
    section 5.16: a profile it cannot apply is Rejected."""
    station, _ = make_station(tmp_path, csms.url, Configuration=switching("false"))
    async with booted(station, csms):
        assert await install(csms, station, on_phases(1)) == "Rejected"
        assert station.smart_charging.profiles == []


@pytest.mark.integration
@pytest.mark.timeout(30)
async def test_a_three_phase_schedule_needs_no_switching(
    tmp_path: Path, csms: CentralSystem
) -> None:
    """Section 9.4.4: numberPhases 3 on a three-phase station switches nothing."""
    station, _ = make_station(tmp_path, csms.url, Configuration=switching("false"))
    async with booted(station, csms):
        assert await install(csms, station, on_phases(3)) == "Accepted"


@pytest.mark.integration
@pytest.mark.timeout(30)
async def test_a_one_phase_schedule_limits_the_power_of_one_phase_when_switching_is_supported(
    tmp_path: Path, csms: CentralSystem
) -> None:
    """Sections 9.4.4 and 7.14: the default station switches phases; a limit in A on
    numberPhases 1 is U x I of one phase, in the transaction and in the composite schedule."""
    station, _ = make_station(tmp_path, csms.url)
    async with booted(station, csms):
        assert station.configuration.get("ConnectorSwitch3to1PhaseSupported") == "true"
        assert await install(csms, station, on_phases(1, limit=16)) == "Accepted"
        await station.transactions.start(1, "TAG-A")
        assert station.transactions.limit_w(1) == 16 * VOLTAGE
        composite = await csms.call(
            station.spec.station_id,
            call.GetCompositeSchedule(connector_id=1, duration=60, charging_rate_unit="W"),
        )
        periods = composite.charging_schedule["charging_schedule_period"]
        assert [p["limit"] for p in periods] == [16 * VOLTAGE]


def test_a_single_phase_station_takes_one_phase_schedules_without_switching() -> None:
    """Section 9.4.4 is about switching from 3 to 1 phase: a station on one phase has nothing
    to switch."""
    rules = cp.Rules(
        max_stack_level=10,
        allowed_units=frozenset({"A"}),
        max_periods=5,
        max_installed=4,
        transactions={},
        phase_switching=False,
        station_phases=1,
    )
    profile = profile_codec.profile_from_wire(1, on_phases(1))
    status, installed = cp.install([], profile, rules)
    assert status is cp.ProfileStatus.ACCEPTED and installed == [profile]
