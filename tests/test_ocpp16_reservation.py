"""Reservations (OCPP 1.6 sections 3.11, 5.1, 5.13) against the bundled CSMS."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from ocpp.v16 import call

from simulator.csms import CentralSystem
from simulator.station.clock import iso_timestamp
from simulator.station.core.errors import TransactionError
from simulator.station.ocpp16.core import start_on_connector
from simulator.station.station import ChargingStation
from tests.test_station import booted, make_station

pytestmark = pytest.mark.integration


@pytest.fixture
async def csms() -> AsyncIterator[CentralSystem]:
    async with CentralSystem(heartbeat_interval=60) as central:
        yield central


def keys(**values: str) -> dict[str, Any]:
    return {
        "configurationKey": [
            {"key": key, "readonly": True, "value": value} for key, value in values.items()
        ]
    }


def reserve(
    station: ChargingStation,
    connector_id: int,
    id_tag: str = "TAG-R",
    reservation_id: int = 1,
    *,
    seconds: float = 600,
    parent: str | None = None,
) -> call.ReserveNow:
    expiry = iso_timestamp(station.clock.now() + timedelta(seconds=seconds))
    return call.ReserveNow(
        connector_id=connector_id,
        expiry_date=expiry,
        id_tag=id_tag,
        reservation_id=reservation_id,
        parent_id_tag=parent,
    )


async def statuses(csms: CentralSystem, station: ChargingStation, count: int) -> list[Any]:
    """The (connectorId, status) of the station's StatusNotifications, once `count` came."""
    received = await csms.wait_received(station.spec.station_id, "StatusNotification", 10, count)
    return [(m.payload["connectorId"], m.payload["status"]) for m in received]


async def test_a_reserved_connector_reports_reserved(tmp_path: Path, csms: CentralSystem) -> None:
    """Section 5.13: Accepted; the connector is Reserved (section 4.9), told by a
    StatusNotification."""
    station, _ = make_station(tmp_path, csms.url)
    async with booted(station, csms):
        await statuses(csms, station, 3)  # the boot's
        result = await csms.call(station.spec.station_id, reserve(station, 1))
        assert result.status == "Accepted"
        assert (await statuses(csms, station, 4))[-1] == (1, "Reserved")
        assert station.connectors[1].status == "Reserved"


async def test_an_expired_reservation_makes_the_connector_available(
    tmp_path: Path, csms: CentralSystem
) -> None:
    """Section 5.13: at expiryDate the reservation ends and the connector is Available again,
    with a StatusNotification."""
    station, _ = make_station(tmp_path, csms.url)
    async with booted(station, csms):
        await statuses(csms, station, 3)
        await csms.call(station.spec.station_id, reserve(station, 1, seconds=0.3))
        assert (await statuses(csms, station, 5))[-2:] == [(1, "Reserved"), (1, "Available")]
        assert station.reservations.active == {}


async def test_a_reserved_connector_only_starts_for_its_id_tag(
    tmp_path: Path, csms: CentralSystem
) -> None:
    """Section 5.13: other idTags are refused; the reserved one starts with the reservationId
    in StartTransaction.req, which ends the reservation."""
    station, _ = make_station(tmp_path, csms.url)
    station_id = station.spec.station_id
    async with booted(station, csms):
        await csms.call(station_id, reserve(station, 1, reservation_id=42))
        with pytest.raises(TransactionError):
            await station.transactions.start(1, "TAG-OTHER")
        await station.transactions.start(1, "TAG-R")
        start = csms.received(station_id, "StartTransaction")[-1].payload
        assert start["reservationId"] == 42 and start["idTag"] == "TAG-R"
        assert station.reservations.active == {}
        assert station.connectors[1].status == "Charging"


async def test_an_id_tag_whose_parent_is_reserved_may_start(
    tmp_path: Path, csms: CentralSystem
) -> None:
    """Section 5.13: the parent idTag, looked up in the Local Authorization List."""
    station, _ = make_station(tmp_path, csms.url)
    station_id = station.spec.station_id
    async with booted(station, csms):
        member = {"idTag": "TAG-M", "idTagInfo": {"status": "Accepted", "parentIdTag": "FLEET"}}
        await csms.call(
            station_id,
            call.SendLocalList(
                list_version=1, update_type="Full", local_authorization_list=[member]
            ),
        )
        await csms.call(station_id, reserve(station, 1, id_tag="TAG-R", parent="FLEET"))
        await station.transactions.start(1, "TAG-M")
        assert csms.received(station_id, "StartTransaction")[-1].payload["reservationId"] == 1


async def test_a_busy_or_reserved_connector_is_occupied(
    tmp_path: Path, csms: CentralSystem
) -> None:
    """Section 5.13: Occupied when the connector is in use or reserved for another
    reservation."""
    station, _ = make_station(tmp_path, csms.url)
    station_id = station.spec.station_id
    async with booted(station, csms):
        await station.transactions.start(1, "TAG-A")
        assert (await csms.call(station_id, reserve(station, 1))).status == "Occupied"
        assert (await csms.call(station_id, reserve(station, 2))).status == "Accepted"
        other = reserve(station, 2, id_tag="TAG-S", reservation_id=2)
        assert (await csms.call(station_id, other)).status == "Occupied"


async def test_a_faulted_or_unavailable_connector_cannot_be_reserved(
    tmp_path: Path, csms: CentralSystem
) -> None:
    """Section 7.40: Faulted, Unavailable."""
    station, _ = make_station(tmp_path, csms.url)
    station_id = station.spec.station_id
    async with booted(station, csms):
        station.set_connector_status(1, "Faulted", "GroundFailure")
        station.set_connector_status(2, "Unavailable", None)
        assert (await csms.call(station_id, reserve(station, 1))).status == "Faulted"
        assert (await csms.call(station_id, reserve(station, 2))).status == "Unavailable"
        assert station.reservations.active == {}


async def test_a_reservation_ends_when_its_connector_faults(
    tmp_path: Path, csms: CentralSystem
) -> None:
    """Section 5.13 (3): a Faulted connector terminates its reservation."""
    station, _ = make_station(tmp_path, csms.url)
    station_id = station.spec.station_id
    async with booted(station, csms):
        await csms.call(station_id, reserve(station, 1, reservation_id=3))
        await csms.wait_until(lambda: station.connectors[1].status == "Reserved", 10)
        station.set_connector_status(1, "Faulted", "GroundFailure")
        cancelled = await csms.call(station_id, call.CancelReservation(reservation_id=3))
        assert cancelled.status == "Rejected"
        assert station.reservations.active == {}


async def test_connector_zero_is_rejected_without_reserve_connector_zero_supported(
    tmp_path: Path, csms: CentralSystem
) -> None:
    """Section 5.13 and 9.3.1."""
    station, _ = make_station(tmp_path, csms.url)
    async with booted(station, csms):
        result = await csms.call(station.spec.station_id, reserve(station, 0))
        assert result.status == "Rejected"


async def test_a_station_without_the_reservation_profile_rejects(
    tmp_path: Path, csms: CentralSystem
) -> None:
    """Section 7.40: Rejected when the station is not configured to accept reservations."""
    station, _ = make_station(
        tmp_path, csms.url, Configuration=keys(SupportedFeatureProfiles="Core")
    )
    async with booted(station, csms):
        assert (await csms.call(station.spec.station_id, reserve(station, 1))).status == "Rejected"


async def test_station_wide_reservations_keep_a_connector_free(
    tmp_path: Path, csms: CentralSystem
) -> None:
    """Section 5.13: with connectorId 0 one connector stays available for the reserved idTag:
    as many station-wide reservations as free connectors, and other drivers may not take the
    last ones."""
    station, _ = make_station(
        tmp_path, csms.url, Configuration=keys(ReserveConnectorZeroSupported="true")
    )
    station_id = station.spec.station_id
    async with booted(station, csms):
        first = await csms.call(station_id, reserve(station, 0, "TAG-R", 1))
        second = await csms.call(station_id, reserve(station, 0, "TAG-S", 2))
        third = await csms.call(station_id, reserve(station, 0, "TAG-T", 3))
        assert (first.status, second.status, third.status) == ("Accepted", "Accepted", "Occupied")
        assert {c.status for c in station.connectors.values()} == {"Available"}
        with pytest.raises(TransactionError):
            await station.transactions.start(1, "TAG-OTHER")
        await station.transactions.start(2, "TAG-S")
        assert csms.received(station_id, "StartTransaction")[-1].payload["reservationId"] == 2


async def test_cancel_reservation_frees_the_connector(tmp_path: Path, csms: CentralSystem) -> None:
    """Section 5.1: Accepted for a known reservation, the connector Available again; Rejected
    for an unknown one."""
    station, _ = make_station(tmp_path, csms.url)
    station_id = station.spec.station_id
    async with booted(station, csms):
        await statuses(csms, station, 3)
        await csms.call(station_id, reserve(station, 1, reservation_id=9))
        cancelled = await csms.call(station_id, call.CancelReservation(reservation_id=9))
        assert cancelled.status == "Accepted"
        assert (await statuses(csms, station, 5))[-2:] == [(1, "Reserved"), (1, "Available")]
        again = await csms.call(station_id, call.CancelReservation(reservation_id=9))
        assert again.status == "Rejected"


async def test_a_reservation_with_a_known_id_is_replaced(
    tmp_path: Path, csms: CentralSystem
) -> None:
    """Section 5.13: the same reservationId replaces the reservation."""
    station, _ = make_station(tmp_path, csms.url)
    station_id = station.spec.station_id
    async with booted(station, csms):
        await csms.call(station_id, reserve(station, 1, id_tag="TAG-R", reservation_id=5))
        result = await csms.call(station_id, reserve(station, 1, id_tag="TAG-N", reservation_id=5))
        assert result.status == "Accepted"
        assert [r.id_tag for r in station.reservations.active.values()] == ["TAG-N"]


async def test_a_local_start_on_a_reserved_connector_goes_through_preparing(
    tmp_path: Path, csms: CentralSystem
) -> None:
    """Section 4.9: Reserved -> Preparing (E2, the reserved idTag presented) -> Charging (B3);
    Reserved -> Charging is no transition. The UI's startTransaction takes the remote
    start's path."""
    station, _ = make_station(tmp_path, csms.url)
    async with booted(station, csms):
        await statuses(csms, station, 3)
        await csms.call(station.spec.station_id, reserve(station, 1))
        await statuses(csms, station, 4)
        response = await start_on_connector(station, 1, "TAG-R", authorize=True)
        assert response is not None and response["idTagInfo"]["status"] == "Accepted"
        reported = [s for c, s in await statuses(csms, station, 6) if c == 1]
        assert reported == ["Available", "Reserved", "Preparing", "Charging"]


async def test_a_local_start_for_another_id_tag_leaves_the_connector_reserved(
    tmp_path: Path, csms: CentralSystem
) -> None:
    """Section 5.13: refused before the connector leaves Reserved (Preparing -> Reserved
    would be no section 4.9 transition)."""
    station, _ = make_station(tmp_path, csms.url)
    async with booted(station, csms):
        await statuses(csms, station, 3)
        await csms.call(station.spec.station_id, reserve(station, 1))
        await statuses(csms, station, 4)
        with pytest.raises(TransactionError):
            await start_on_connector(station, 1, "TAG-OTHER", authorize=True)
        assert station.connectors[1].status == "Reserved"
        assert len(csms.received(station.spec.station_id, "StatusNotification")) == 4
