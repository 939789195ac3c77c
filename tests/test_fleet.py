"""The whole path: supervisor -> worker processes -> stations -> the bundled CSMS."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from websockets.asyncio.client import connect
from websockets.typing import Subprotocol

from simulator.config_loading import load_settings
from simulator.csms import CentralSystem
from simulator.supervisor import Supervisor
from simulator.ui.server import UiServer
from tests.fleet import quick_template, write_fleet

pytestmark = [pytest.mark.integration, pytest.mark.process, pytest.mark.timeout(180)]

FLEET = 50


@pytest.fixture
async def csms() -> AsyncIterator[CentralSystem]:
    async with CentralSystem(heartbeat_interval=60) as central:
        yield central


def fleet_settings(tmp_path: Path, url: str, count: int, **config: Any) -> Any:
    path = write_fleet(tmp_path, url, {"quick.json": (quick_template(), count)}, **config)
    return load_settings(path, environ={})


async def run_fleet(tmp_path: Path, csms: CentralSystem, worker: dict[str, Any]) -> Supervisor:
    settings = fleet_settings(tmp_path, csms.url, FLEET, worker=worker)
    supervisor = Supervisor(settings, use_uvloop=False)
    await supervisor.start()
    return supervisor


@pytest.mark.key("worker.processType")
@pytest.mark.parametrize(
    ("worker", "workers"),
    [
        ({"processType": "workerSet", "elementsPerWorker": 10, "startDelay": 20}, 5),
        ({"processType": "staticPool", "poolMaxSize": 3}, 3),
        ({"processType": "dynamicPool", "poolMinSize": 1, "poolMaxSize": 4}, 4),
    ],
    ids=["workerSet", "staticPool", "dynamicPool"],
)
async def test_fifty_stations_boot_under_each_worker_model(
    tmp_path: Path, csms: CentralSystem, worker: dict[str, Any], workers: int
) -> None:
    supervisor = await run_fleet(tmp_path, csms, worker)
    try:
        await csms.wait_booted(FLEET, 60)
        await supervisor.wait_for(lambda s: s.counts().booted == FLEET, 30)
        assert supervisor.pool is not None and supervisor.pool.worker_count == workers
        assert len(csms.connected) == FLEET
    finally:
        await supervisor.stop()
    await csms.wait_until(lambda: not csms.connected, 10, "every station disconnected")


async def test_station_removed_from_its_worker_closes_its_connection(
    tmp_path: Path, csms: CentralSystem
) -> None:
    settings = fleet_settings(
        tmp_path, csms.url, 3, worker={"processType": "staticPool", "poolMaxSize": 2}
    )
    supervisor = Supervisor(settings, use_uvloop=False)
    await supervisor.start()
    try:
        await csms.wait_booted(3, 30)
        removed = supervisor.plan[1]
        assert supervisor.pool is not None
        await supervisor.pool.remove(removed.hash_id)
        await csms.wait_until(lambda: removed.station_id not in csms.connected, 10)
        assert len(csms.connected) == 2
        await supervisor.wait_for(lambda s: removed.hash_id not in s.stations, 10)
    finally:
        await supervisor.stop()


async def test_fleet_reconnects_and_boots_again_after_csms_restart(
    tmp_path: Path, csms: CentralSystem
) -> None:
    supervisor = await run_fleet(tmp_path, csms, {"processType": "staticPool", "poolMaxSize": 2})
    try:
        await csms.wait_booted(FLEET, 60)
        await csms.stop()
        await supervisor.wait_for(lambda s: s.counts().connected == 0, 30)
        await csms.start()
        await csms.wait_until(
            lambda: all(
                len(csms.received(spec.station_id, "BootNotification")) >= 2
                for spec in supervisor.plan
            ),
            60,
            "every station booted twice",
        )
        await supervisor.wait_for(lambda s: s.counts().booted == FLEET, 30)
    finally:
        await supervisor.stop()


async def ui_call(url: str, procedure: str, payload: dict[str, Any]) -> dict[str, Any]:
    async with connect(url, subprotocols=[Subprotocol("ui0.0.1")], proxy=None) as websocket:
        await websocket.send(orjson.dumps(["id-1", procedure, payload]).decode())
        reply = orjson.loads(await websocket.recv())
    assert reply[0] == "id-1"
    result: dict[str, Any] = reply[1]
    return result


async def test_ui_lists_stations_and_stops_and_starts_the_simulator(
    tmp_path: Path, csms: CentralSystem
) -> None:
    settings = fleet_settings(
        tmp_path,
        csms.url,
        4,
        worker={"processType": "staticPool", "poolMaxSize": 2},
        uiServer={"enabled": True, "options": {"host": "127.0.0.1", "port": 0}},
    )
    supervisor = Supervisor(settings, use_uvloop=False)
    ui = UiServer(supervisor, settings.ui_server)
    await ui.start()
    url = f"ws://127.0.0.1:{ui.port}"
    try:
        await supervisor.start()
        await supervisor.wait_for(lambda s: s.counts().booted == 4, 30)
        listed = await ui_call(url, "listChargingStations", {})
        assert listed["status"] == "success"
        stations = listed["chargingStations"]
        assert len(stations) == 4
        entry = stations[0]
        assert set(entry["stationInfo"]) >= {
            "chargingStationId",
            "hashId",
            "templateName",
            "ocppVersion",
        }
        assert entry["started"] is True and entry["wsState"] == 1
        assert entry["bootNotificationResponse"]["status"] == "Accepted"
        assert entry["supervisionUrl"] == csms.url
        assert [c["connectorId"] for c in entry["connectors"]] == [0, 1, 2]
        assert entry["connectors"][1]["connectorStatus"]["status"] == "Available"

        assert (await ui_call(url, "stopSimulator", {}))["status"] == "success"
        await csms.wait_until(lambda: not csms.connected, 10)
        assert (await ui_call(url, "startSimulator", {}))["status"] == "success"
        await csms.wait_connected(4, 30)

        one = stations[0]["stationInfo"]["hashId"]
        closed = await ui_call(url, "closeConnection", {"hashIds": [one]})
        assert closed == {"status": "success", "hashIdsSucceeded": [one]}
        await csms.wait_until(lambda: len(csms.connected) == 3, 10)
    finally:
        await supervisor.stop()
        await ui.stop()


async def test_ui_answers_malformed_frames_with_a_failure(
    tmp_path: Path, csms: CentralSystem
) -> None:
    settings = fleet_settings(
        tmp_path,
        csms.url,
        1,
        uiServer={"enabled": True, "options": {"host": "127.0.0.1", "port": 0}},
    )
    supervisor = Supervisor(settings, use_uvloop=False)
    ui = UiServer(supervisor, settings.ui_server)
    await ui.start()
    try:
        async with connect(
            f"ws://127.0.0.1:{ui.port}", subprotocols=[Subprotocol("ui0.0.1")], proxy=None
        ) as websocket:
            for bad in ["not json", "[1, 2]", '["u", "noSuchProcedure", {}]']:
                await websocket.send(bad)
                reply = orjson.loads(await asyncio.wait_for(websocket.recv(), 5))
                assert reply[1]["status"] == "failure"
    finally:
        await ui.stop()


async def test_stations_of_a_killed_worker_are_back_and_booted(
    tmp_path: Path, csms: CentralSystem
) -> None:
    """A worker that dies is replaced; its stations connect and boot again (issue 5)."""
    supervisor = await run_fleet(tmp_path, csms, {"processType": "staticPool", "poolMaxSize": 2})
    try:
        await csms.wait_booted(FLEET, 60)
        assert supervisor.pool is not None
        victim = supervisor.pool.owner(supervisor.plan[0].hash_id)
        assert victim is not None
        moved = [s for s in supervisor.plan if supervisor.pool.owner(s.hash_id) == victim]
        os.kill(supervisor.worker_pids[victim], signal.SIGKILL)
        await csms.wait_until(
            lambda: all(len(csms.received(s.station_id, "BootNotification")) >= 2 for s in moved),
            30,
            "the killed worker's stations booted again",
        )
        await supervisor.wait_for(lambda s: s.counts().booted == FLEET, 30)
        assert supervisor.worker_exits == 1 and supervisor.pool.worker_count == 2
    finally:
        await supervisor.stop()
