"""How a station keeps its connection: dead-peer detection, reconnect after any close it did not
ask for, and the worker's bucket on new connections (DESIGN.md, issue 5). Real sockets on
127.0.0.1."""

from __future__ import annotations

import asyncio
import socket
import struct
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from ocpp.v16 import call
from websockets.asyncio.server import ServerConnection, serve
from websockets.typing import Subprotocol

from simulator.config_loading import load_settings
from simulator.csms import CentralSystem
from simulator.station.clock import SystemClock
from simulator.station.connect_rate import ConnectRate
from simulator.station.host import StationHost
from simulator.station.station import OPEN, ChargingStation
from simulator.supervisor import pool_options
from tests.fleet import quick_template, specs_for, write_fleet
from tests.tcp_proxy import TcpProxy
from tests.transports import EACH
from tests.waiting import eventually

pytestmark = [pytest.mark.integration, EACH]

PING_INTERVAL = 1
# A silent peer is noticed at most 2 intervals after it fell silent (the next ping, its
# timeout), then given one more for the close frame it will not send (close_timeout).
DEAD_PEER_SECONDS = 3 * PING_INTERVAL
# Back-off before the first retry (at most EXPONENTIAL_BASE_SECONDS) and scheduling slack.
RECONNECT_SLACK = 1.5


def ignore_changes(station: ChargingStation, delta: dict[str, Any]) -> None:
    pass


def configuration_with(**keys: str) -> dict[str, Any]:
    entries = list(quick_template()["Configuration"]["configurationKey"])
    entries += [{"key": key, "readonly": False, "value": value} for key, value in keys.items()]
    return {"configurationKey": entries}


def make_stations(
    tmp_path: Path,
    url: str,
    count: int = 1,
    connect_rate: ConnectRate | None = None,
    **template: Any,
) -> list[ChargingStation]:
    return [
        ChargingStation(
            spec, clock=SystemClock(), on_change=ignore_changes, connect_rate=connect_rate
        )
        for spec in specs_for(tmp_path, url, count, **template)
    ]


@pytest.fixture
async def csms() -> AsyncIterator[CentralSystem]:
    async with CentralSystem(heartbeat_interval=60) as central:
        yield central


@pytest.fixture
async def proxy(csms: CentralSystem) -> AsyncIterator[TcpProxy]:
    async with TcpProxy(csms.port) as tcp_proxy:
        yield tcp_proxy


async def stopped(stations: list[ChargingStation]) -> None:
    await asyncio.gather(*(station.stop() for station in stations))


# -- dead peer ---------------------------------------------------------------------------------


@pytest.mark.timeout(30)
async def test_a_csms_that_stops_answering_pings_is_left_within_three_ping_intervals(
    tmp_path: Path, csms: CentralSystem, proxy: TcpProxy
) -> None:
    """OCPP 1.6 section 9.1.34 WebSocketPingInterval, OCPP-J 5.3: the station pings every
    interval; a peer that leaves a ping unanswered for an interval is given up (after at most
    one more interval waiting for its close frame), and the station reconnects."""
    [station] = make_stations(
        tmp_path,
        proxy.url,
        Configuration=configuration_with(WebSocketPingInterval=str(PING_INTERVAL)),
    )
    await station.start()
    try:
        await csms.wait_booted(1, 10)
        loop = asyncio.get_running_loop()
        proxy.freeze()
        frozen_at = loop.time()
        await eventually(lambda: len(proxy.accepted) == 2, DEAD_PEER_SECONDS + 10, "reconnect")
        assert proxy.accepted[1] - frozen_at <= DEAD_PEER_SECONDS + RECONNECT_SLACK
        await eventually(lambda: station.booted and station.ws_state == OPEN, 10, "rebooted")
    finally:
        await station.stop()


@pytest.mark.timeout(30)
async def test_without_websocket_pings_a_silent_csms_goes_unnoticed(
    tmp_path: Path, csms: CentralSystem, proxy: TcpProxy
) -> None:
    """WebSocketPingInterval 0 disables the station's pings (section 9.1.34): the contrast that
    shows the pings, not something else, detect the dead peer above."""
    [station] = make_stations(
        tmp_path, proxy.url, Configuration=configuration_with(WebSocketPingInterval="0")
    )
    await station.start()
    try:
        await csms.wait_booted(1, 10)
        proxy.freeze()
        await asyncio.sleep(DEAD_PEER_SECONDS + RECONNECT_SLACK)
        assert len(proxy.accepted) == 1
        assert station.ws_state == OPEN
        proxy.drop()  # else stop() waits close_timeout for the silent peer
    finally:
        await station.stop()


@pytest.mark.timeout(30)
async def test_a_websocket_ping_interval_changed_by_the_csms_applies_at_the_next_connection(
    tmp_path: Path, csms: CentralSystem, proxy: TcpProxy
) -> None:
    """Section 9.1.34 WebSocketPingInterval is RW: a ChangeConfiguration is accepted and the
    websocket options are read again when the station next connects (the open connection keeps
    the interval it was opened with)."""
    [station] = make_stations(
        tmp_path, proxy.url, Configuration=configuration_with(WebSocketPingInterval="0")
    )
    await station.start()
    try:
        await csms.wait_booted(1, 10)
        sid = station.spec.station_id
        change = call.ChangeConfiguration(key="WebSocketPingInterval", value=str(PING_INTERVAL))
        assert (await csms.call(sid, change)).status == "Accepted"
        await station.close_connection()
        await station.open_connection()
        await eventually(lambda: len(proxy.accepted) == 2 and station.booted, 10, "reconnected")
        await eventually(lambda: station.ws_state == OPEN, 10, "open")
        loop = asyncio.get_running_loop()
        proxy.freeze()
        frozen_at = loop.time()
        await eventually(lambda: len(proxy.accepted) == 3, DEAD_PEER_SECONDS + 10, "reconnect")
        assert proxy.accepted[2] - frozen_at <= DEAD_PEER_SECONDS + RECONNECT_SLACK
    finally:
        await station.stop()


# -- closes the station did not ask for ---------------------------------------------------------


def reset(connection: ServerConnection) -> None:
    """An abrupt TCP reset: SO_LINGER 0, then close, so the kernel sends RST, not FIN."""
    sock = connection.transport.get_extra_info("socket")
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    connection.transport.abort()


@pytest.mark.timeout(30)
@pytest.mark.parametrize("close", [1000, 1001, 1011, "reset"])
async def test_a_close_the_station_did_not_ask_for_leads_to_a_reconnect(
    tmp_path: Path, close: int | str
) -> None:
    """DESIGN.md: any close code from the CSMS, and a network error, is followed by a
    reconnect (after the back-off), not by a station that stays offline."""
    connections = 0

    async def accept_boot_then_close(connection: ServerConnection) -> None:
        nonlocal connections
        connections += 1
        frame = orjson.loads(await connection.recv())
        answer = {"status": "Accepted", "currentTime": "2026-01-01T00:00:00.000Z", "interval": 60}
        await connection.send(orjson.dumps([3, frame[1], answer]).decode())
        if close == "reset":
            reset(connection)
        else:
            await connection.close(int(close), "bye")

    async with serve(
        accept_boot_then_close, "127.0.0.1", 0, subprotocols=[Subprotocol("ocpp1.6")]
    ) as server:
        port = server.sockets[0].getsockname()[1]
        [station] = make_stations(tmp_path, f"ws://127.0.0.1:{port}")
        await station.start()
        try:
            await eventually(lambda: connections >= 3, 15, "two reconnects")
            assert station.started
        finally:
            await station.stop()


# -- the worker's bucket on new connections -----------------------------------------------------


@pytest.mark.timeout(60)
async def test_stations_behind_a_connect_rate_reconnect_within_its_bound_after_a_csms_restart(
    tmp_path: Path, csms: CentralSystem, proxy: TcpProxy
) -> None:
    """DESIGN.md: a per-worker token bucket limits new connections per second, so a CSMS
    restart does not become a storm. Counted where the CSMS would see them (every connection
    the proxy accepts, refused upstream or not): in any window t, at most burst + rate * t.
    Without the bucket these stations come back within half a second of each other."""
    rate, burst, count = 10.0, 2.0, 20
    bucket = ConnectRate(rate, burst, clock=SystemClock())
    stations = make_stations(tmp_path, proxy.url, count, connect_rate=bucket)
    for station in stations:
        await station.start()
    try:
        await csms.wait_booted(count, 30)
        before_restart = len(proxy.accepted)
        await csms.stop()
        await csms.start()
        await eventually(lambda: len(csms.connected) == count, 30, "all reconnected")
        assert len(proxy.accepted) >= before_restart + count
        times = sorted(proxy.accepted)
        # Generous: two connections of slack for the varying time between a grant and its
        # accept (a machine busy for 0.2 s). Without the bucket, 20 arrive in under 0.5 s.
        for first in range(len(times)):
            for last in range(first, len(times)):
                seen = last - first + 1
                assert seen <= burst + rate * (times[last] - times[first]) + 2
    finally:
        await stopped(stations)


async def test_connection_rate_per_worker_reaches_each_worker_host(tmp_path: Path) -> None:
    """config.json connectionRatePerWorker (evsim extension): the supervisor hands it to every
    worker's StationHost, whose one bucket its stations share."""
    path = write_fleet(
        tmp_path, "ws://127.0.0.1:9", {"t.json": (quick_template(), 2)}, connectionRatePerWorker=7
    )
    settings = load_settings(path, environ={})
    options = {**pool_options(settings, 2).host_options, "configure_logging": False}
    host = StationHost(
        lambda event: None, {**options, "auto_start": False, "statistics_interval": 0}
    )
    try:
        assert host._connect_rate.rate == 7
    finally:
        await host.stop()
