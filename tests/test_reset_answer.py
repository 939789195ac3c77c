"""A Reset is answered before the station goes down (OCPP 1.6 section 5.14, OCPP-J 4.1.1):
the Reset.conf leaves, the station waits resetCloseDelay, then closes its WebSocket."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from ocpp.v16 import call

from simulator.csms import CentralSystem
from simulator.station.station import OPEN
from tests.test_station import booted, make_station
from tests.waiting import eventually

pytestmark = pytest.mark.integration

TIMEOUT = 10
ROUNDS = 5


@pytest.fixture
async def csms() -> AsyncIterator[CentralSystem]:
    async with CentralSystem(heartbeat_interval=60) as central:
        yield central


@pytest.mark.key("resetCloseDelay")
@pytest.mark.timeout(60)
async def test_every_reset_conf_reaches_the_csms_before_the_station_goes_down(
    tmp_path: Path, csms: CentralSystem
) -> None:
    """Section 5.14: the station answers Reset.req, then resets. Against the bundled CSMS
    (the `ocpp` library's ChargePoint) the answer arrives in each of ROUNDS resets: the close
    does not overtake it."""
    station, _ = make_station(tmp_path, csms.url, resetTime=0)
    async with booted(station, csms):
        sid = station.spec.station_id
        for round_ in range(1, ROUNDS + 1):
            answer = await csms.call(sid, call.Reset(type="Soft" if round_ % 2 else "Hard"))
            assert answer.status == "Accepted", f"round {round_}"
            assert sid in csms.connected, f"round {round_}: gone as the answer arrived"
            await csms.wait_received(sid, "BootNotification", TIMEOUT, round_ + 1)
            await eventually(lambda: station.booted and station.ws_state == OPEN, TIMEOUT)


@pytest.mark.key("resetCloseDelay")
@pytest.mark.timeout(30)
async def test_the_station_stays_connected_reset_close_delay_after_its_reset_conf(
    tmp_path: Path, csms: CentralSystem
) -> None:
    """resetCloseDelay: the WebSocket closes that many seconds after the Reset.conf, not
    before; resetTime (the time away) is counted from the close."""
    station, _ = make_station(tmp_path, csms.url, resetTime=0, resetCloseDelay=1.5)
    async with booted(station, csms):
        sid = station.spec.station_id
        loop = asyncio.get_running_loop()
        assert (await csms.call(sid, call.Reset(type="Soft"))).status == "Accepted"
        answered = loop.time()
        await csms.wait_until(lambda: sid not in csms.connected, TIMEOUT, "disconnected")
        assert loop.time() - answered >= 1.0  # 0.5 s left for the CSMS to read the answer
        await csms.wait_received(sid, "BootNotification", TIMEOUT, 2)
