"""A running simulator behind its UI server, with the bundled CSMS, and UI clients that speak
the protocol over WebSocket or HTTP: what the UI tests drive."""

from __future__ import annotations

import asyncio
import base64
import itertools
import urllib.error
import urllib.request
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import orjson
from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Subprotocol

from simulator.config_loading import load_settings
from simulator.csms import CentralSystem
from simulator.supervisor import Supervisor
from simulator.ui.server import UiServer
from tests.fleet import quick_template, write_fleet

UI_PROTOCOL = Subprotocol("ui0.0.1")
TEMPLATE = "quick"


class UiClient(Protocol):
    async def call(
        self, procedure: str, payload: dict[str, Any] | None = None
    ) -> dict[str, Any]: ...


class WebSocketClient:
    """One WebSocket connection; replies matched to requests by uuid, pushes kept aside."""

    def __init__(self, websocket: ClientConnection) -> None:
        self.websocket = websocket
        self._ids = itertools.count(1)
        self.pushes: list[Any] = []

    async def call(self, procedure: str, payload: dict[str, Any] | None = None) -> dict[str, Any]:
        uuid = f"req-{next(self._ids)}"
        await self.websocket.send(orjson.dumps([uuid, procedure, payload or {}]).decode())
        return await self.reply(uuid)

    async def reply(self, uuid: str, timeout: float = 60) -> dict[str, Any]:
        async with asyncio.timeout(timeout):
            while True:
                frame = orjson.loads(await self.websocket.recv())
                if len(frame) == 2 and frame[0] == uuid:
                    result: dict[str, Any] = frame[1]
                    return result
                self.pushes.append(frame)


class HttpClient:
    """POST /ui/0.0.1/<procedure>, one connection per request (stdlib, no proxy)."""

    def __init__(self, base_url: str, credentials: tuple[str, str] | None = None) -> None:
        self.base_url = base_url
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        self._headers = {"Content-Type": "application/json"}
        if credentials is not None:
            token = base64.b64encode(":".join(credentials).encode()).decode()
            self._headers["Authorization"] = f"Basic {token}"
        self.last_status = 0

    async def call(self, procedure: str, payload: dict[str, Any] | None = None) -> dict[str, Any]:
        status, body = await self.post(f"/ui/0.0.1/{procedure}", orjson.dumps(payload or {}))
        self.last_status = status
        result: dict[str, Any] = orjson.loads(body)
        return result

    async def post(self, path: str, body: bytes) -> tuple[int, bytes]:
        return await self.request("POST", path, body)

    async def request(self, method: str, path: str, body: bytes | None = None) -> tuple[int, bytes]:
        request = urllib.request.Request(
            self.base_url + path, data=body, method=method, headers=self._headers
        )

        def send() -> tuple[int, bytes]:
            try:
                with self._opener.open(request, timeout=60) as response:
                    return int(response.status), bytes(response.read())
            except urllib.error.HTTPError as error:
                return int(error.code), bytes(error.read())

        return await asyncio.to_thread(send)


@dataclass
class UiFleet:
    csms: CentralSystem
    supervisor: Supervisor
    server: UiServer
    config_path: Path

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.server.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.server.port}"

    def station_ids(self) -> dict[str, str]:
        """hashId -> station id, in station id order."""
        pairs = sorted(
            (data["stationInfo"]["chargingStationId"], hash_id)
            for hash_id, data in self.supervisor.stations.items()
        )
        return {hash_id: station_id for station_id, hash_id in pairs}

    def hash_id(self, station_id: str) -> str:
        return next(h for h, s in self.station_ids().items() if s == station_id)

    def data(self, station_id: str) -> dict[str, Any]:
        return self.supervisor.stations[self.hash_id(station_id)]

    def connector(self, station_id: str, connector_id: int) -> dict[str, Any]:
        connectors = self.data(station_id)["connectors"]
        found: dict[str, Any] = next(c for c in connectors if c["connectorId"] == connector_id)
        return found

    def connector_status(self, station_id: str, connector_id: int) -> dict[str, Any]:
        """The connector's connectorStatus: its status, lock and transaction fields."""
        status: dict[str, Any] = self.connector(station_id, connector_id)["connectorStatus"]
        return status

    @asynccontextmanager
    async def websocket(self, *subprotocols: str) -> AsyncIterator[WebSocketClient]:
        offered = [UI_PROTOCOL, *(Subprotocol(p) for p in subprotocols)]
        async with connect(self.ws_url, subprotocols=offered, proxy=None) as websocket:
            yield WebSocketClient(websocket)


@asynccontextmanager
async def running_fleet(
    directory: Path,
    count: int,
    *,
    ui_server: dict[str, Any] | None = None,
    csms_options: dict[str, Any] | None = None,
    templates: dict[str, tuple[dict[str, Any], int]] | None = None,
    workers: int = 2,
) -> AsyncIterator[UiFleet]:
    """`count` stations of one template (or those of `templates`: name -> (template, count))
    on `workers` workers, booted at the bundled CSMS, with the UI server listening on an
    ephemeral port of 127.0.0.1."""
    async with CentralSystem(**(csms_options or {})) as csms:
        config_path = write_fleet(
            directory,
            csms.url,
            templates or {f"{TEMPLATE}.json": (quick_template(), count)},
            worker={"processType": "staticPool", "poolMaxSize": workers},
            uiServer={
                "enabled": True,
                "options": {"host": "127.0.0.1", "port": 0},
                **(ui_server or {}),
            },
            # Workers send statistics every second, so performanceStatistics fills quickly.
            logStatisticsInterval=1,
        )
        settings = load_settings(config_path, environ={})
        supervisor = Supervisor(settings, use_uvloop=False)
        server = UiServer(supervisor, settings.ui_server)
        await server.start()
        try:
            await supervisor.start()
            await csms.wait_booted(count, 60)
            await supervisor.wait_for(lambda s: s.counts().booted == count, 30)
            yield UiFleet(csms, supervisor, server, config_path)
        finally:
            await supervisor.stop()
            await server.stop()
