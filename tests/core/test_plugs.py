"""The core's EV plug model (OCPP 1.6 sections 4.9, 4.10, 9.1.6) with fake connectors,
transactions and settings on a virtual clock: no socket, no station."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest

from simulator.station.core.model import ConnectorState
from simulator.station.core.plugs import EvPlugs
from simulator.station.core.reservations import Reservation
from tests.core.fake_services import FakeServices


@dataclass
class FakeSettings:
    stop_on_ev_side: bool = True
    unlock_on_ev_side: bool = True
    timeout: int = 30

    def stop_on_ev_side_disconnect(self) -> bool:
        return self.stop_on_ev_side

    def unlock_on_ev_side_disconnect(self) -> bool:
        return self.unlock_on_ev_side

    def connection_timeout(self) -> int:
        return self.timeout


@dataclass
class FakeTransactions:
    stopped: list[tuple[int, str]] = field(default_factory=list)
    suspended: list[int] = field(default_factory=list)

    async def stop(self, connector_id: int, reason: str = "Local") -> object:
        self.stopped.append((connector_id, reason))
        return None

    def suspend(self, connector_id: int) -> None:
        self.suspended.append(connector_id)

    def resume(self, connector_id: int) -> None:
        self.suspended.remove(connector_id)

    async def ev_changed(self, connector_id: int, plugged: bool) -> None:
        pass  # what a version with transaction points says of it (2.0.1)


@dataclass
class NoReservations:
    active: dict[int, Reservation] = field(default_factory=dict)


class FakeStation(FakeServices):
    def __init__(self) -> None:
        super().__init__()
        self.connectors = {cid: ConnectorState(cid) for cid in (0, 1)}
        self.transactions = FakeTransactions()
        self.reservations = NoReservations()
        self.statuses: list[str] = []

    async def change_status(self, connector_id: int, status: str) -> bool:
        self.connectors[connector_id].status = status
        self.statuses.append(status)
        return True

    def connectors_changed(self) -> None:
        pass


@dataclass
class Setup:
    station: FakeStation
    settings: FakeSettings
    plugs: EvPlugs

    def in_transaction(self) -> None:
        connector = self.station.connectors[1]
        connector.transaction_started, connector.transaction_id = True, 7
        connector.status, connector.locked = "Charging", True


@pytest.fixture
async def setup() -> AsyncIterator[Setup]:
    station, settings = FakeStation(), FakeSettings()
    yield Setup(station, settings, EvPlugs(station, settings))
    await station.close()


async def test_a_plugged_connector_without_transaction_is_available_after_the_timeout(
    setup: Setup,
) -> None:
    """Section 9.1.6 ConnectionTimeOut: Preparing, then back to Available."""
    await setup.plugs.plug(1)
    await setup.station.clock.run_for(29)
    preparing = setup.station.statuses[:]

    await setup.station.clock.run_for(2)

    assert preparing == ["Preparing"]
    assert setup.station.statuses == ["Preparing", "Available"]


async def test_a_zero_connection_timeout_keeps_the_connector_preparing(setup: Setup) -> None:
    setup.settings.timeout = 0
    await setup.plugs.plug(1)

    await setup.station.clock.run_for(3600)

    assert setup.station.statuses == ["Preparing"]


async def test_an_ev_leaving_stops_the_transaction_and_unlocks(setup: Setup) -> None:
    """Sections 4.10, 9.1.23 StopTransactionOnEVSideDisconnect true: reason EVDisconnected."""
    setup.in_transaction()

    await setup.plugs.unplug(1)

    assert setup.station.transactions.stopped == [(1, "EVDisconnected")]
    assert setup.station.connectors[1].locked is False


async def test_an_ev_leaving_suspends_the_transaction_kept_open(setup: Setup) -> None:
    """Section 4.10, StopTransactionOnEVSideDisconnect false: SuspendedEV, the cable locked."""
    setup.settings.stop_on_ev_side = False
    setup.in_transaction()

    await setup.plugs.unplug(1)

    assert setup.station.transactions.suspended == [1]
    assert setup.station.statuses == ["SuspendedEV"]
    assert setup.station.connectors[1].locked is True


async def test_the_ev_coming_back_resumes_charging(setup: Setup) -> None:
    """Section 4.10: the transaction kept open draws energy again."""
    setup.settings.stop_on_ev_side = False
    setup.in_transaction()
    await setup.plugs.unplug(1)

    await setup.plugs.plug(1)

    assert setup.station.transactions.suspended == []
    assert setup.station.statuses == ["SuspendedEV", "Charging"]
