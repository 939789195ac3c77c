"""A 2.0.1 station against the bundled CSMS (written on the `ocpp` library's v201 classes, an
independent implementation), in one process: real sockets on 127.0.0.1. Every message either
side sends is validated against the v201 schemas (the CSMS's library validates what it
receives and what the station answers: a violation fails the test, tests/conftest.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from ocpp.v201 import call

from simulator.csms import CentralSystem
from simulator.station.clock import SystemClock
from simulator.station.station import ChargingStation
from tests.fleet201 import specs_201
from tests.waiting import eventually

pytestmark = pytest.mark.integration

WAIT = 10.0


@pytest.fixture
async def csms() -> AsyncIterator[CentralSystem]:
    async with CentralSystem(heartbeat_interval=60) as central:
        yield central


def make_station(tmp_path: Path, url: str, **template: Any) -> ChargingStation:
    [spec] = specs_201(tmp_path, url, 1, **template)
    return ChargingStation(spec, clock=SystemClock(), on_change=lambda s, d: None)


@asynccontextmanager
async def booted(station: ChargingStation, csms: CentralSystem) -> AsyncIterator[str]:
    await station.start()
    try:
        await csms.wait_booted(1, WAIT)
        yield station.spec.station_id
    finally:
        await station.stop()


async def test_a_201_station_connects_with_the_ocpp201_subprotocol_and_boots_b01_fr_01(
    tmp_path: Path, csms: CentralSystem
) -> None:
    station = make_station(tmp_path, csms.url)
    async with booted(station, csms) as station_id:
        assert csms.ocpp_version(station_id) == "2.0.1"
        [boot] = csms.received(station_id, "BootNotification")
        assert boot.payload["reason"] == "PowerUp"
        assert boot.payload["chargingStation"]["model"] == "Test AC 2.0.1"


async def test_after_an_accepted_boot_each_connector_reports_its_status_b01_fr_05(
    tmp_path: Path, csms: CentralSystem
) -> None:
    station = make_station(tmp_path, csms.url)
    async with booted(station, csms) as station_id:
        await eventually(
            lambda: len(csms.received(station_id, "StatusNotification")) >= 2, WAIT, "statuses"
        )
        reported = {
            (m.payload["evseId"], m.payload["connectorId"], m.payload["connectorStatus"])
            for m in csms.received(station_id, "StatusNotification")
        }
    assert reported == {(1, 1, "Available"), (2, 1, "Available")}
