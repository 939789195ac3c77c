"""AuthorizationCacheEnabled (OCPP 1.6 sections 3.5.1, 9.1.2): whether the station keeps the
IdTagInfo the CSMS sends and answers from it, against the bundled CSMS."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from ocpp.v16 import call

from simulator.csms import CentralSystem
from simulator.station.rpc import ConnectionLost
from simulator.station.station import ChargingStation
from tests.test_ocpp16_local_auth import keys
from tests.test_station import booted, make_station

pytestmark = [pytest.mark.integration, pytest.mark.timeout(30)]


@pytest.fixture
async def csms() -> AsyncIterator[CentralSystem]:
    async with CentralSystem(heartbeat_interval=60) as central:
        yield central


async def disable_cache(csms: CentralSystem, station: ChargingStation) -> None:
    request = call.ChangeConfiguration(key="AuthorizationCacheEnabled", value="false")
    assert (await csms.call(station.spec.station_id, request)).status == "Accepted"


async def test_a_disabled_cache_learns_nothing_from_authorize(
    tmp_path: Path, csms: CentralSystem
) -> None:
    """Section 9.1.2: false: the Authorization Cache is disabled; Authorize.conf is not kept."""
    station, _ = make_station(
        tmp_path, csms.url, Configuration=keys(AuthorizationCacheEnabled="false")
    )
    async with booted(station, csms):
        assert await station.transactions.authorize("TAG-A")
        assert not station.authorization.state.cache


async def test_an_enabled_cache_authorizes_a_known_id_tag_offline(
    tmp_path: Path, csms: CentralSystem
) -> None:
    """Sections 3.5.1 and 9.1.12: with the cache enabled (the default) an idTag the CSMS
    accepted before is authorized from the cache while offline."""
    station, _ = make_station(tmp_path, csms.url)
    async with booted(station, csms):
        assert await station.transactions.authorize("TAG-A")
        await station.close_connection()
        assert await station.transactions.authorize("TAG-A")


async def test_a_disabled_cache_is_not_consulted_offline(
    tmp_path: Path, csms: CentralSystem
) -> None:
    """Section 9.1.2: once disabled, what the cache holds does not authorize: offline, the
    idTag is unknown (refused without AllowOfflineTxForUnknownId, section 3.5.4)."""
    station, _ = make_station(tmp_path, csms.url)
    async with booted(station, csms):
        assert await station.transactions.authorize("TAG-A")
        assert "TAG-A" in station.authorization.state.cache
        await disable_cache(csms, station)
        await station.close_connection()
        with pytest.raises(ConnectionLost):
            await station.transactions.authorize("TAG-A")


async def test_a_disabled_cache_does_not_pre_authorize(tmp_path: Path, csms: CentralSystem) -> None:
    """Sections 9.1.2 and 9.1.13: LocalPreAuthorize starts at once only for an idTag valid in
    the list or an enabled cache; with the cache disabled the station asks the CSMS."""
    station, _ = make_station(tmp_path, csms.url, Configuration=keys(LocalPreAuthorize="true"))
    station_id = station.spec.station_id
    async with booted(station, csms):
        assert await station.transactions.authorize("TAG-A")
        assert await station.transactions.authorize("TAG-A")
        assert len(csms.received(station_id, "Authorize")) == 1  # the second from the cache
        await disable_cache(csms, station)
        assert await station.transactions.authorize("TAG-A")
        assert len(csms.received(station_id, "Authorize")) == 2
