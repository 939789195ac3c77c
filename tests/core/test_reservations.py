"""The core's reservations (OCPP 1.6 sections 5.1, 5.13) with fake connectors, settings and
authorization on a virtual clock: no socket, no station."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta

import pytest

from simulator.station.core.model import ConnectorState
from simulator.station.core.reservations import (
    Reservation,
    ReservationRefused,
    Reservations,
    ReserveStatus,
)
from simulator.station.core.tokens import TokenInfo, TokenStatus
from tests.core.fake_services import FakeServices


class FakeStation(FakeServices):
    def __init__(self, connectors: int = 2) -> None:
        super().__init__()
        self.connectors = {cid: ConnectorState(cid) for cid in range(connectors + 1)}
        self.statuses: list[tuple[int, str]] = []
        self.changes = 0

    async def change_status(self, connector_id: int, status: str) -> bool:
        self.connectors[connector_id].status = status
        self.statuses.append((connector_id, status))
        return True

    def connectors_changed(self) -> None:
        self.changes += 1


@dataclass
class FakeSettings:
    supported: bool = True
    connector_zero: bool = False

    def reservations_supported(self) -> bool:
        return self.supported

    def reserve_connector_zero(self) -> bool:
        return self.connector_zero


@dataclass
class FakeTokens:
    groups: dict[str, str] = field(default_factory=dict)

    def known(self, token: str) -> TokenInfo | None:
        group = self.groups.get(token)
        return TokenInfo(TokenStatus.ACCEPTED, group=group) if group is not None else None


@dataclass
class Setup:
    station: FakeStation
    settings: FakeSettings
    tokens: FakeTokens
    reservations: Reservations

    def request(
        self, connector_id: int, token: str = "R", *, seconds: float = 600, rid: int = 1
    ) -> Reservation:
        expiry = self.station.clock.now() + timedelta(seconds=seconds)
        return Reservation(rid, connector_id, token, expiry, parent_id_tag="G")


@pytest.fixture
async def setup() -> AsyncIterator[Setup]:
    station, settings, tokens = FakeStation(), FakeSettings(), FakeTokens()
    yield Setup(station, settings, tokens, Reservations(station, settings, tokens))
    await station.close()


async def test_an_accepted_reservation_turns_its_connector_reserved(setup: Setup) -> None:
    """Section 5.13."""
    answer = await setup.reservations.reserve(setup.request(1))
    await setup.station.settled()

    assert answer is ReserveStatus.ACCEPTED
    assert setup.station.statuses == [(1, "Reserved")]


async def test_a_reservation_ends_at_its_expiry_on_the_clock(setup: Setup) -> None:
    """Section 5.13: the connector is Available again once the expiryDate passed."""
    await setup.reservations.reserve(setup.request(1, seconds=600))
    await setup.station.clock.run_for(599)
    held_before = dict(setup.reservations.active)

    await setup.station.clock.run_for(2)

    assert list(held_before) == [1]
    assert setup.reservations.active == {}
    assert setup.station.statuses == [(1, "Reserved"), (1, "Available")]


async def test_a_cancelled_reservation_does_not_expire_later(setup: Setup) -> None:
    """Section 5.1: cancelled, the connector is Available; its expiry timer is gone."""
    await setup.reservations.reserve(setup.request(1, seconds=600))
    await setup.station.settled()

    assert setup.reservations.cancel(1)
    await setup.station.clock.run_for(700)

    assert setup.station.statuses == [(1, "Reserved"), (1, "Available")]


async def test_a_station_without_reservations_rejects(setup: Setup) -> None:
    """Section 7.40 (ReservationStatus Rejected)."""
    setup.settings.supported = False

    assert await setup.reservations.reserve(setup.request(1)) is ReserveStatus.REJECTED


async def test_connector_zero_is_rejected_unless_supported(setup: Setup) -> None:
    """Section 9.4.1 ReserveConnectorZeroSupported."""
    assert await setup.reservations.reserve(setup.request(0)) is ReserveStatus.REJECTED
    setup.settings.connector_zero = True
    assert await setup.reservations.reserve(setup.request(0)) is ReserveStatus.ACCEPTED


async def test_a_connector_in_use_is_occupied(setup: Setup) -> None:
    setup.station.connectors[1].status = "Charging"

    assert await setup.reservations.reserve(setup.request(1)) is ReserveStatus.OCCUPIED


async def test_a_token_of_the_reservations_group_may_start(setup: Setup) -> None:
    """Section 5.13: an idTag whose parent is the reservation's parentIdTag."""
    request = setup.request(1)
    await setup.reservations.reserve(request)
    setup.tokens.groups["MEMBER"] = "G"

    assert setup.reservations.for_start(1, "MEMBER") is request


async def test_another_token_may_not_start_on_a_reserved_connector(setup: Setup) -> None:
    await setup.reservations.reserve(setup.request(1))

    with pytest.raises(ReservationRefused):
        setup.reservations.for_start(1, "OTHER")


async def test_a_faulted_connector_ends_its_reservation(setup: Setup) -> None:
    """Section 5.13: a reservation ends when its connector turns Faulted."""
    await setup.reservations.reserve(setup.request(1))
    setup.station.connectors[1].status = "Faulted"

    assert setup.reservations.for_start(1, "OTHER") is None
    assert setup.reservations.active == {}
