"""The core's smart charging (OCPP 1.6 sections 3.13, 5.5, 5.7, 5.16) with fake settings and
meters on a virtual clock: installed profiles, the limit they put on a connector now, the
composite. No socket, no station, no wire form."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from simulator.station.core.limits import (
    Period,
    Profile,
    ProfileStatus,
    Purpose,
    Schedule,
)
from simulator.station.core.model import ConnectorState
from simulator.station.core.smart_charging import SmartCharging
from simulator.template_model import ConnectorTemplate, StationTemplate
from tests.core.fake_services import FakeServices, core_spec

VOLTAGE = 230.0  # the default template: AC, 3 phases


@dataclass
class FakeSettings:
    supported: bool = True
    units: frozenset[str] = frozenset({"A", "W"})
    stack_level: int = 10
    periods: int = 24
    installed: int = 10
    switching: bool = False

    def smart_charging_supported(self) -> bool:
        return self.supported

    def allowed_units(self) -> frozenset[str]:
        return self.units

    def max_stack_level(self) -> int:
        return self.stack_level

    def max_periods(self) -> int:
        return self.periods

    def max_installed(self) -> int:
        return self.installed

    def phase_switching(self) -> bool:
        return self.switching


@dataclass
class FakeMeters:
    """The connectors' limits without profiles (what the station and cable allow)."""

    limits: dict[int, float]
    station_power_w: float | None = None
    models: dict[int, Any] = field(init=False)

    def __post_init__(self) -> None:
        self.models = dict.fromkeys(self.limits)

    def limit_w(self, connector_id: int, *, profile: bool = True) -> float:
        assert not profile, "smart charging reads the limit without its own profiles"
        return self.limits[connector_id]

    def advance(self, connector_id: int) -> Any:
        raise AssertionError("smart charging reads no meter")


class FakeStation(FakeServices):
    def __init__(self, maxima: dict[int, float] | None = None) -> None:
        super().__init__()
        self.template = StationTemplate.model_validate({"power": 22000})
        connector_templates = {
            cid: ConnectorTemplate.model_validate(
                {"maximumPower": (maxima or {}).get(cid)} if (maxima or {}).get(cid) else {}
            )
            for cid in range(3)
        }
        self.spec = core_spec(self.template, connector_templates)
        self.connectors = {cid: ConnectorState(cid) for cid in range(3)}
        self.transactions = FakeMeters({1: 11000.0, 2: 11000.0}, station_power_w=22000.0)

    def charge(self, connector_id: int, transaction_id: int) -> None:
        connector = self.connectors[connector_id]
        connector.transaction_started = True
        connector.transaction_id = transaction_id


def profile(
    purpose: Purpose = Purpose.TX_DEFAULT,
    *,
    id: int = 1,
    connector: int = 1,
    stack: int = 0,
    limits: tuple[tuple[int, float], ...] = ((0, 16.0),),
    unit: str = "A",
    kind: str = "Absolute",
    **fields: Any,
) -> Profile:
    periods = tuple(Period(start, limit) for start, limit in limits)
    return Profile(id, connector, stack, purpose, kind, Schedule(unit, periods), **fields)


def make(settings: FakeSettings | None = None) -> tuple[SmartCharging, FakeStation]:
    station = FakeStation()
    return SmartCharging(station, settings or FakeSettings()), station


def test_without_profiles_nothing_limits_a_connector() -> None:
    smart_charging, _ = make()
    assert smart_charging.limit_w(1) is None


def test_an_accepted_profile_is_persisted_and_a_rejected_one_is_not() -> None:
    """Section 3.13: installed profiles survive a restart."""
    smart_charging, station = make(FakeSettings(stack_level=3))
    assert smart_charging.install(profile(stack=4)) is ProfileStatus.REJECTED
    assert station.persisted == 0
    assert smart_charging.install(profile(stack=3)) is ProfileStatus.ACCEPTED
    assert station.persisted == 1


def test_the_settings_are_read_at_each_install() -> None:
    """A configuration change applies at once: the next profile meets the new limit."""
    settings = FakeSettings(units=frozenset({"A"}))
    smart_charging, _ = make(settings)
    assert smart_charging.install(profile(unit="W")) is ProfileStatus.NOT_SUPPORTED
    settings.units = frozenset({"A", "W"})
    assert smart_charging.install(profile(unit="W")) is ProfileStatus.ACCEPTED


def test_supported_follows_the_settings() -> None:
    settings = FakeSettings(supported=False)
    smart_charging, _ = make(settings)
    assert not smart_charging.supported()
    settings.supported = True
    assert smart_charging.supported()


def test_a_profile_in_amperes_limits_the_connector_over_the_station_phases() -> None:
    smart_charging, _ = make()
    smart_charging.install(profile(limits=((0, 10.0),)))
    assert smart_charging.limit_w(1) == 10 * VOLTAGE * 3


def test_a_remote_start_profile_is_for_the_transaction_about_to_start() -> None:
    """Section 5.16.2: accepted without a running transaction on the connector."""
    smart_charging, _ = make()
    assert smart_charging.install(profile(Purpose.TX)) is ProfileStatus.REJECTED
    assert smart_charging.install_for_start(profile(Purpose.TX)) is ProfileStatus.ACCEPTED


def test_a_remote_start_profile_must_be_a_transaction_profile_naming_no_transaction() -> None:
    """Errata 3.41."""
    smart_charging, _ = make()
    named = profile(Purpose.TX, transaction_id=4)
    assert smart_charging.install_for_start(named) is ProfileStatus.REJECTED
    assert smart_charging.install_for_start(profile()) is ProfileStatus.REJECTED
    assert smart_charging.profiles == []


def test_a_transaction_profile_ends_with_its_transaction() -> None:
    """Section 7.10: a TxProfile ceases to be valid when its transaction ends."""
    smart_charging, station = make()
    station.charge(1, 7)
    smart_charging.install(profile(Purpose.TX, id=2, limits=((0, 6.0),)))
    smart_charging.install(profile(id=3))
    persisted = station.persisted
    smart_charging.transaction_ended(1)
    assert [p.id for p in smart_charging.profiles] == [3]
    assert station.persisted == persisted + 1


def test_clearing_by_purpose_keeps_the_other_purposes() -> None:
    """Section 5.5: every profile matching all the criteria given."""
    smart_charging, _ = make()
    smart_charging.install(profile(Purpose.STATION_MAX, id=1, connector=0))
    smart_charging.install(profile(id=2))
    assert smart_charging.clear(purpose=Purpose.TX_DEFAULT)
    assert [p.id for p in smart_charging.profiles] == [1]
    assert not smart_charging.clear(purpose=Purpose.TX_DEFAULT)


def test_restored_profiles_leave_out_the_ended_transactions_profiles() -> None:
    """A TxProfile's transaction ended with the run that persisted it."""
    smart_charging, _ = make()
    kept = profile(id=1)
    smart_charging.restore_profiles([kept, profile(Purpose.TX, id=2, stack=1)])
    assert smart_charging.profiles == [kept]


def test_the_station_maximum_is_shared_by_the_connectors_charging() -> None:
    """Section 3.13.3: its limit is for all connectors together."""
    smart_charging, station = make()
    smart_charging.install(profile(Purpose.STATION_MAX, connector=0, unit="W", limits=((0, 9000),)))
    station.charge(1, 7)
    assert smart_charging.limit_w(1) == 9000
    station.charge(2, 8)
    assert smart_charging.limit_w(1) == 4500
    assert smart_charging.limit_w(0) == 9000


async def test_a_relative_schedule_counts_from_the_start_of_the_transaction() -> None:
    """Section 7.13: Relative periods start with the transaction."""
    smart_charging, station = make()
    station.charge(1, 7)
    smart_charging.install(
        profile(Purpose.TX, kind="Relative", unit="W", limits=((0, 3000), (600, 6000)))
    )
    await station.clock.run_for(300)
    smart_charging.transaction_started(1)
    await station.clock.run_for(599)
    assert smart_charging.limit_w(1) == 3000
    await station.clock.run_for(1)
    assert smart_charging.limit_w(1) == 6000


def test_the_composite_starts_now_and_fills_the_gaps_with_the_connectors_own_limit() -> None:
    """Section 5.7: where no profile limits the connector, what it can draw without one."""
    smart_charging, station = make()
    start = station.clock.now()
    smart_charging.install(
        profile(unit="W", limits=((0, 4000),), valid_to=start + timedelta(hours=1))
    )
    composite = smart_charging.composite_schedule(1, 7200)
    assert composite.start == start and composite.duration == 7200
    assert [(p.start, p.limit_w) for p in composite.periods] == [(0, 4000), (3600, 11000)]


def test_connector_zeros_composite_is_at_most_the_sum_of_the_connectors_maxima() -> None:
    """maximumPower on every connector caps the station's composite at their sum."""
    station = FakeStation(maxima={1: 3000.0, 2: 4000.0})
    smart_charging = SmartCharging(station, FakeSettings())
    composite = smart_charging.composite_schedule(0, 600)
    assert [(p.start, p.limit_w) for p in composite.periods] == [(0, 7000.0)]
