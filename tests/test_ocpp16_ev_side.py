"""evsim's EV plug model against the bundled CSMS: plugging in, unplugging at the EV side
(StopTransactionOnEVSideDisconnect, UnlockConnectorOnEVSideDisconnect) and the Preparing
timeout of ConnectionTimeOut (OCPP 1.6 sections 4.9, 4.10, 9.1)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from simulator.csms import CentralSystem
from simulator.station.core.errors import NotAuthorized
from simulator.station.core.plugs import PlugError, Unplugged, unplug_effect
from simulator.station.host import StationHost
from simulator.station.ocpp16.core import start_on_connector
from simulator.station.station import ChargingStation
from tests.fleet import specs_for
from tests.test_station import booted, make_station
from tests.waiting import eventually

pytestmark = [pytest.mark.integration, pytest.mark.timeout(30)]

TIMEOUT = 10
REFUSED_TAG = "BAD-TAG"


@pytest.fixture
async def csms() -> AsyncIterator[CentralSystem]:
    async with CentralSystem(heartbeat_interval=60, reject_id_tags=(REFUSED_TAG,)) as central:
        yield central


def keys(connection_timeout: int = 1, **values: str) -> dict[str, Any]:
    """The configuration keys of the station under test: ConnectionTimeOut and `values`."""
    entries = {"ConnectionTimeOut": str(connection_timeout), **values}
    return {
        "configurationKey": [
            {"key": key, "readonly": False, "value": value} for key, value in entries.items()
        ]
    }


def statuses(csms: CentralSystem, station: ChargingStation, connector_id: int) -> list[str]:
    """The statuses the CSMS received for one connector, in order."""
    return [
        m.payload["status"]
        for m in csms.received(station.spec.station_id, "StatusNotification")
        if m.payload["connectorId"] == connector_id
    ]


async def reported(
    csms: CentralSystem, station: ChargingStation, connector_id: int, expected: list[str]
) -> None:
    """Until the CSMS has received exactly `expected` for the connector."""
    await csms.wait_until(
        lambda: statuses(csms, station, connector_id) == expected,
        TIMEOUT,
        f"connector {connector_id} reported {expected}",
    )


@asynccontextmanager
async def online(station: ChargingStation, csms: CentralSystem) -> AsyncIterator[None]:
    """A booted station once the CSMS has its boot's statuses (connectors 0, 1 and 2), so
    that what a test does comes after them."""
    async with booted(station, csms):
        await csms.wait_received(station.spec.station_id, "StatusNotification", TIMEOUT, 3)
        yield


async def charging(station: ChargingStation, connector_id: int = 1) -> None:
    response = await start_on_connector(station, connector_id, "TAG", authorize=True)
    assert response is not None and response["idTagInfo"]["status"] == "Accepted"


# -- the decision -------------------------------------------------------------------------------


def test_an_unplug_without_transaction_leaves_the_lock_alone() -> None:
    """Section 4.10: the EV-side keys are about transactions."""
    effect = unplug_effect(False, stop_on_ev_side=True, unlock_on_ev_side=True)
    assert effect == (Unplugged.NO_TRANSACTION, False)


def test_an_unplug_stops_the_transaction_and_unlocks_as_the_keys_say() -> None:
    """Sections 4.10, 9.1.23, 9.1.33: stopped; unlocked only when
    UnlockConnectorOnEVSideDisconnect is true."""
    assert unplug_effect(True, stop_on_ev_side=True, unlock_on_ev_side=True) == (
        Unplugged.STOP,
        True,
    )
    assert unplug_effect(True, stop_on_ev_side=True, unlock_on_ev_side=False) == (
        Unplugged.STOP,
        False,
    )


def test_a_transaction_kept_open_keeps_its_cable_locked() -> None:
    """Section 4.10: StopTransactionOnEVSideDisconnect false has priority over
    UnlockConnectorOnEVSideDisconnect: the cable stays locked."""
    effect = unplug_effect(True, stop_on_ev_side=False, unlock_on_ev_side=True)
    assert effect == (Unplugged.SUSPEND, False)


# -- plugging in ----------------------------------------------------------------------------------


async def test_plugging_an_idle_connector_makes_it_preparing(
    tmp_path: Path, csms: CentralSystem
) -> None:
    """Section 4.9 A2: usage initiated (insert plug): Available -> Preparing."""
    station, _ = make_station(tmp_path, csms.url, Configuration=keys(60))
    async with online(station, csms):
        await station.plugs.plug(1)
        await reported(csms, station, 1, ["Available", "Preparing"])
        assert station.connectors[1].plugged
        assert station.connectors_data()[1]["connectorStatus"]["plugged"] is True


async def test_plugging_a_plugged_connector_is_refused(tmp_path: Path, csms: CentralSystem) -> None:
    """One cable per connector; and no unplug without a cable."""
    station, _ = make_station(tmp_path, csms.url, Configuration=keys(60))
    async with online(station, csms):
        with pytest.raises(PlugError):
            await station.plugs.unplug(1)
        await station.plugs.plug(1)
        with pytest.raises(PlugError):
            await station.plugs.plug(1)


async def test_unplugging_a_preparing_connector_makes_it_available(
    tmp_path: Path, csms: CentralSystem
) -> None:
    """Section 4.9 B1: intended usage ended (plug removed): Preparing -> Available."""
    station, _ = make_station(tmp_path, csms.url, Configuration=keys(60))
    async with online(station, csms):
        await station.plugs.plug(1)
        await station.plugs.unplug(1)
        await reported(csms, station, 1, ["Available", "Preparing", "Available"])
        assert not station.connectors[1].plugged


async def test_a_start_on_a_plugged_connector_goes_from_preparing_to_charging(
    tmp_path: Path, csms: CentralSystem
) -> None:
    """Section 4.9 B3: all prerequisites met, charging starts."""
    station, _ = make_station(tmp_path, csms.url, Configuration=keys(60))
    async with online(station, csms):
        await station.plugs.plug(1)
        await charging(station)
        await reported(csms, station, 1, ["Available", "Preparing", "Charging"])


# -- ConnectionTimeOut ----------------------------------------------------------------------------


async def test_a_plugged_connector_without_transaction_is_available_after_connection_timeout(
    tmp_path: Path, csms: CentralSystem
) -> None:
    """Section 9.1.6 (errata 3.77, 3.89) and 4.9 B6 (errata 3.21): from the beginning of
    Preparing, ConnectionTimeOut seconds without a transaction and the connector goes back
    to Available."""
    station, _ = make_station(tmp_path, csms.url, Configuration=keys(1))
    async with online(station, csms):
        await station.plugs.plug(1)
        loop = asyncio.get_running_loop()
        plugged_at = loop.time()
        await reported(csms, station, 1, ["Available", "Preparing", "Available"])
        assert loop.time() - plugged_at >= 0.9
        assert not station.connectors[1].transaction_started


async def test_a_transaction_started_within_connection_timeout_keeps_charging(
    tmp_path: Path, csms: CentralSystem
) -> None:
    """Section 9.1.6: the timeout cancels an incipient session only, not a started one."""
    station, _ = make_station(tmp_path, csms.url, Configuration=keys(1))
    async with online(station, csms):
        await station.plugs.plug(1)
        await charging(station)
        await asyncio.sleep(1.5)
        assert station.connectors[1].status == "Charging"
        assert statuses(csms, station, 1) == ["Available", "Preparing", "Charging"]


async def test_an_authorization_refused_on_a_plugged_connector_waits_out_connection_timeout(
    tmp_path: Path, csms: CentralSystem
) -> None:
    """Section 9.1.6 and 4.9 B6: the EV stays plugged, the connector Preparing for another
    idTag until ConnectionTimeOut, then Available."""
    station, _ = make_station(tmp_path, csms.url, Configuration=keys(1))
    async with online(station, csms):
        await station.plugs.plug(1)
        with pytest.raises(NotAuthorized):
            await start_on_connector(station, 1, REFUSED_TAG, authorize=True)
        assert station.connectors[1].status == "Preparing"
        await reported(csms, station, 1, ["Available", "Preparing", "Available"])


async def test_a_start_without_a_plug_that_is_not_authorized_is_available_at_once(
    tmp_path: Path, csms: CentralSystem
) -> None:
    """Section 4.9 B1: no EV waits, so the incipient session ends with the refusal."""
    station, _ = make_station(tmp_path, csms.url, Configuration=keys(60))
    async with online(station, csms):
        with pytest.raises(NotAuthorized):
            await start_on_connector(station, 1, REFUSED_TAG, authorize=True)
        assert station.connectors[1].status == "Available"
        await reported(csms, station, 1, ["Available", "Preparing", "Available"])


# -- unplugging during a transaction --------------------------------------------------------------


async def test_unplugging_stops_the_transaction_with_reason_ev_disconnected(
    tmp_path: Path, csms: CentralSystem
) -> None:
    """Section 9.1.23, StopTransactionOnEVSideDisconnect true (the default): the transaction
    stops with reason EVDisconnected (section 7.34)."""
    station, _ = make_station(tmp_path, csms.url, Configuration=keys(60))
    async with online(station, csms):
        await station.plugs.plug(1)
        await charging(station)
        await station.plugs.unplug(1)
        sid = station.spec.station_id
        stop = (await csms.wait_received(sid, "StopTransaction", TIMEOUT))[0].payload
        assert stop["reason"] == "EVDisconnected"
        assert not station.connectors[1].transaction_started
        await reported(csms, station, 1, ["Available", "Preparing", "Charging", "Available"])


async def test_unplugging_a_transaction_the_generator_started_stops_it(
    tmp_path: Path, csms: CentralSystem
) -> None:
    """A transaction started without plugConnector has its EV: unplugging it stops it."""
    station, _ = make_station(tmp_path, csms.url, Configuration=keys(60))
    async with online(station, csms):
        await station.transactions.start(2, "TAG")
        await station.plugs.unplug(2)
        stop = (await csms.wait_received(station.spec.station_id, "StopTransaction", TIMEOUT))[0]
        assert stop.payload["reason"] == "EVDisconnected"


@pytest.mark.parametrize(("unlock", "locked_after"), [("true", False), ("false", True)])
async def test_a_stopped_transaction_unlocks_per_unlock_connector_on_ev_side_disconnect(
    tmp_path: Path, csms: CentralSystem, unlock: str, locked_after: bool
) -> None:
    """Sections 4.10 and 9.1.33: with StopTransactionOnEVSideDisconnect true, the connector
    unlocks on an EV-side disconnect when UnlockConnectorOnEVSideDisconnect is true."""
    station, _ = make_station(
        tmp_path, csms.url, Configuration=keys(60, UnlockConnectorOnEVSideDisconnect=unlock)
    )
    async with online(station, csms):
        await station.plugs.plug(1)
        await charging(station)
        station.set_connector_locked(1, True)
        await station.plugs.unplug(1)
        assert not station.connectors[1].transaction_started
        assert station.connectors[1].locked is locked_after


async def test_unplugging_keeps_the_transaction_open_and_suspended_ev_when_not_stopping(
    tmp_path: Path, csms: CentralSystem
) -> None:
    """Sections 4.9 (SuspendedEV, errorCode NoError) and 9.1.23 false: the transaction is
    not stopped, the EV draws no energy, and the cable stays locked whatever
    UnlockConnectorOnEVSideDisconnect says (section 4.10)."""
    station, _ = make_station(
        tmp_path,
        csms.url,
        Configuration=keys(
            60, StopTransactionOnEVSideDisconnect="false", UnlockConnectorOnEVSideDisconnect="true"
        ),
    )
    async with online(station, csms):
        await station.plugs.plug(1)
        await charging(station)
        station.set_connector_locked(1, True)
        await asyncio.sleep(0.2)
        await station.plugs.unplug(1)
        await reported(csms, station, 1, ["Available", "Preparing", "Charging", "SuspendedEV"])
        suspended = csms.received(station.spec.station_id, "StatusNotification")[-1].payload
        assert suspended["errorCode"] == "NoError"
        register = station.transactions.advance(1).register_wh
        await asyncio.sleep(0.3)
        assert station.transactions.advance(1).register_wh == register
        connector = station.connectors[1]
        assert connector.transaction_id is not None and connector.locked
        assert csms.received(station.spec.station_id, "StopTransaction") == []


async def test_plugging_the_ev_back_resumes_the_suspended_transaction(
    tmp_path: Path, csms: CentralSystem
) -> None:
    """Section 4.10: with StopTransactionOnEVSideDisconnect false, a reconnected EV may draw
    energy again (section 4.9 SuspendedEV -> Charging)."""
    station, _ = make_station(
        tmp_path, csms.url, Configuration=keys(60, StopTransactionOnEVSideDisconnect="false")
    )
    async with online(station, csms):
        await station.plugs.plug(1)
        await charging(station)
        transaction_id = station.connectors[1].transaction_id
        await station.plugs.unplug(1)
        register = station.transactions.advance(1).register_wh
        await station.plugs.plug(1)
        await asyncio.sleep(0.3)
        assert station.transactions.advance(1).register_wh > register
        assert station.connectors[1].transaction_id == transaction_id
        await reported(
            csms, station, 1, ["Available", "Preparing", "Charging", "SuspendedEV", "Charging"]
        )


# -- the host's commands --------------------------------------------------------------------------


async def test_the_host_runs_plug_and_unplug_connector(tmp_path: Path, csms: CentralSystem) -> None:
    """The UI's plugConnector / unplugConnector (evsim extensions), as the host runs them; a
    connector without an EV is that station's failure."""
    spec = specs_for(tmp_path, csms.url, 1, Configuration=keys(60))[0]
    host = StationHost(lambda event: None, {"configure_logging": False, "statistics_interval": 0})
    await host.add(spec.hash_id, spec)
    station = host.stations[spec.hash_id]
    try:
        await csms.wait_booted(1, TIMEOUT)
        plugged = await host.request(None, {"procedure": "plugConnector", "connectorId": 2})
        assert plugged["succeeded"] == [spec.hash_id]
        await eventually(lambda: station.connectors[2].status == "Preparing", TIMEOUT)
        await host.request(None, {"procedure": "unplugConnector", "connectorId": 2})
        again = await host.request(None, {"procedure": "unplugConnector", "connectorId": 2})
        assert [f["hashId"] for f in again["failed"]] == [spec.hash_id]
        assert station.connectors[2].status == "Available"
    finally:
        await host.stop()
