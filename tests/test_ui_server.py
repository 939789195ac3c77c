"""The UI server itself: authentication, malformed frames, uuids in flight, HTTP routes, push,
Prometheus metrics. Most tests need no stations: a supervisor that was never started answers."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import orjson
import pytest
import pytest_asyncio
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus
from websockets.typing import Subprotocol

from simulator.config_loading import load_settings
from simulator.supervisor import Supervisor
from simulator.ui import procedures
from simulator.ui.server import UiServer
from tests.fleet import quick_template, write_fleet
from tests.ui_fleet import UI_PROTOCOL, HttpClient, UiFleet, WebSocketClient, running_fleet

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]

USER, PASSWORD = "operator", "s3cret"


async def idle_server(tmp_path: Path, **ui_server: Any) -> UiServer:
    """A UI server in front of a supervisor that was never started (no worker processes)."""
    path = write_fleet(
        tmp_path,
        "ws://127.0.0.1:1",
        {"quick.json": (quick_template(), 1)},
        uiServer={"enabled": True, "options": {"host": "127.0.0.1", "port": 0}, **ui_server},
    )
    settings = load_settings(path, environ={})
    server = UiServer(Supervisor(settings, use_uvloop=False), settings.ui_server)
    await server.start()
    return server


@pytest_asyncio.fixture
async def server(tmp_path: Path) -> AsyncIterator[UiServer]:
    ui = await idle_server(tmp_path)
    yield ui
    await ui.stop()


async def auth_server(tmp_path: Path, kind: str) -> UiServer:
    authentication = {"enabled": True, "type": kind, "username": USER, "password": PASSWORD}
    return await idle_server(tmp_path, authentication=authentication)


@pytest_asyncio.fixture
async def basic_auth_server(tmp_path: Path) -> AsyncIterator[UiServer]:
    ui = await auth_server(tmp_path, "basic-auth")
    yield ui
    await ui.stop()


@pytest_asyncio.fixture
async def protocol_auth_server(tmp_path: Path) -> AsyncIterator[UiServer]:
    ui = await auth_server(tmp_path, "protocol-basic-auth")
    yield ui
    await ui.stop()


def ws_url(server: UiServer) -> str:
    return f"ws://127.0.0.1:{server.port}"


def http_url(server: UiServer) -> str:
    return f"http://127.0.0.1:{server.port}"


def basic(user: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


def protocol_credentials(user: str, password: str) -> Subprotocol:
    token = base64.urlsafe_b64encode(f"{user}:{password}".encode()).decode().rstrip("=")
    return Subprotocol(f"authorization.basic.{token}")


async def exchange(url: str, frames: list[str], **options: Any) -> list[Any]:
    async with connect(url, subprotocols=[UI_PROTOCOL], proxy=None, **options) as websocket:
        replies = []
        for frame in frames:
            await websocket.send(frame)
            replies.append(orjson.loads(await asyncio.wait_for(websocket.recv(), 10)))
        return replies


# -- authentication ---------------------------------------------------------------------------


@pytest.mark.key("uiServer.authentication.type")
async def test_basic_auth_accepts_the_configured_credentials(basic_auth_server: UiServer) -> None:
    (reply,) = await exchange(
        ws_url(basic_auth_server),
        ['["a", "listChargingStations", {}]'],
        additional_headers=basic(USER, PASSWORD),
    )
    assert reply == ["a", {"status": "success", "chargingStations": []}]


@pytest.mark.key("uiServer.authentication.username", "uiServer.authentication.password")
@pytest.mark.parametrize("headers", [{}, basic(USER, "wrong"), {"Authorization": "Bearer x"}])
async def test_basic_auth_refuses_a_websocket_without_the_right_credentials_with_401(
    basic_auth_server: UiServer, headers: dict[str, str]
) -> None:
    with pytest.raises(InvalidStatus) as refused:
        await exchange(ws_url(basic_auth_server), [], additional_headers=headers)
    assert refused.value.response.status_code == 401


@pytest.mark.key("uiServer.authentication.enabled", "uiServer.authentication")
async def test_basic_auth_refuses_http_without_credentials_and_asks_for_them(
    basic_auth_server: UiServer,
) -> None:
    anonymous = HttpClient(http_url(basic_auth_server))
    status, _ = await anonymous.post("/ui/0.0.1/listChargingStations", b"{}")
    assert status == 401
    wrong = HttpClient(http_url(basic_auth_server), (USER, "wrong"))
    assert (await wrong.post("/ui/0.0.1/listChargingStations", b"{}"))[0] == 401
    assert (await anonymous.request("GET", "/metrics"))[0] == 401
    assert (await anonymous.request("GET", "/"))[0] == 401
    right = HttpClient(http_url(basic_auth_server), (USER, PASSWORD))
    assert (await right.call("listChargingStations"))["status"] == "success"


@pytest.mark.key("uiServer.authentication.type", "uiServer.authentication")
async def test_protocol_basic_auth_reads_the_credentials_subprotocol(
    protocol_auth_server: UiServer,
) -> None:
    async with connect(
        ws_url(protocol_auth_server),
        subprotocols=[UI_PROTOCOL, protocol_credentials(USER, PASSWORD)],
        proxy=None,
    ) as websocket:
        assert websocket.subprotocol == UI_PROTOCOL
        await websocket.send('["a", "listTemplates", {}]')
        reply = orjson.loads(await asyncio.wait_for(websocket.recv(), 10))
    assert reply == ["a", {"status": "success", "templates": ["quick"]}]


@pytest.mark.parametrize("offered", [[], [protocol_credentials(USER, "wrong")]])
async def test_protocol_basic_auth_refuses_missing_or_wrong_credentials_with_401(
    protocol_auth_server: UiServer, offered: list[Subprotocol]
) -> None:
    with pytest.raises(InvalidStatus) as refused:
        async with connect(
            ws_url(protocol_auth_server), subprotocols=[UI_PROTOCOL, *offered], proxy=None
        ):
            pass
    assert refused.value.response.status_code == 401


async def test_protocol_basic_auth_serves_the_page_itself_without_credentials(
    protocol_auth_server: UiServer,
) -> None:
    # The page cannot send credentials before its user typed them: it asks, then connects.
    status, body = await HttpClient(http_url(protocol_auth_server)).request("GET", "/")
    assert status == 200 and b"<html" in body


# -- frames -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("frame", "uuid", "message"),
    [
        ("not json", None, "not JSON"),
        ("[1, 2]", None, "[uuid, procedure, payload]"),
        ('{"uuid": "a"}', None, "[uuid, procedure, payload]"),
        ('[7, "listTemplates", {}]', None, "[uuid, procedure, payload]"),
        ('["u1", "noSuchProcedure", {}]', "u1", "unknown procedure"),
        ('["u2", "listTemplates", []]', "u2", "JSON object"),
        ('["u3", "addChargingStations", {"template": 1}]', "u3", "numberOfStations"),
    ],
)
async def test_a_malformed_frame_gets_a_failure_and_the_connection_stays_usable(
    server: UiServer, frame: str, uuid: str | None, message: str
) -> None:
    bad, good = await exchange(ws_url(server), [frame, '["ok", "listTemplates", {}]'])
    assert bad[0] == uuid
    assert bad[1]["status"] == "failure" and message in bad[1]["errorMessage"]
    assert good == ["ok", {"status": "success", "templates": ["quick"]}]


async def test_a_uuid_reused_while_its_request_is_in_flight_is_refused(
    server: UiServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    release = asyncio.Event()

    async def held(supervisor: Supervisor, payload: dict[str, Any]) -> dict[str, Any]:
        await release.wait()
        return {"status": "success"}

    monkeypatch.setitem(procedures.PROCEDURES, "held", held)
    async with connect(ws_url(server), subprotocols=[UI_PROTOCOL], proxy=None) as websocket:
        await websocket.send('["same", "held", {}]')
        await websocket.send('["same", "listTemplates", {}]')
        refused = orjson.loads(await asyncio.wait_for(websocket.recv(), 10))
        assert refused[0] == "same" and "in flight" in refused[1]["errorMessage"]
        release.set()
        answered = orjson.loads(await asyncio.wait_for(websocket.recv(), 10))
        assert answered == ["same", {"status": "success"}]
        await websocket.send('["same", "listTemplates", {}]')
        again = orjson.loads(await asyncio.wait_for(websocket.recv(), 10))
        assert again[1]["status"] == "success"


async def test_requests_on_one_connection_are_answered_as_they_finish(
    server: UiServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    release = asyncio.Event()

    async def held(supervisor: Supervisor, payload: dict[str, Any]) -> dict[str, Any]:
        await release.wait()
        return {"status": "success"}

    monkeypatch.setitem(procedures.PROCEDURES, "held", held)
    async with connect(ws_url(server), subprotocols=[UI_PROTOCOL], proxy=None) as websocket:
        await websocket.send('["slow", "held", {}]')
        await websocket.send('["fast", "listTemplates", {}]')
        first = orjson.loads(await asyncio.wait_for(websocket.recv(), 10))
        assert first[0] == "fast"
        release.set()
        assert orjson.loads(await asyncio.wait_for(websocket.recv(), 10))[0] == "slow"


async def test_a_request_keeps_running_when_its_client_goes_away(
    server: UiServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    entered, release, finished = asyncio.Event(), asyncio.Event(), asyncio.Event()

    async def held(supervisor: Supervisor, payload: dict[str, Any]) -> dict[str, Any]:
        entered.set()
        await release.wait()
        finished.set()
        return {"status": "success"}

    monkeypatch.setitem(procedures.PROCEDURES, "held", held)
    async with connect(ws_url(server), subprotocols=[UI_PROTOCOL], proxy=None) as websocket:
        await websocket.send('["a", "held", {}]')
        await asyncio.wait_for(entered.wait(), 10)
    release.set()
    await asyncio.wait_for(finished.wait(), 10)


# -- HTTP -------------------------------------------------------------------------------------


async def test_stopping_the_server_answers_a_pending_http_request_with_503(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    entered = asyncio.Event()

    async def held(supervisor: Supervisor, payload: dict[str, Any]) -> dict[str, Any]:
        entered.set()
        await asyncio.Event().wait()
        return {"status": "success"}

    monkeypatch.setitem(procedures.PROCEDURES, "held", held)
    ui = await idle_server(tmp_path)
    pending = asyncio.create_task(HttpClient(http_url(ui)).post("/ui/0.0.1/held", b"{}"))
    await asyncio.wait_for(entered.wait(), 10)
    await asyncio.wait_for(ui.stop(), 10)
    status, _ = await asyncio.wait_for(pending, 10)
    assert status == 503


async def test_http_post_runs_the_procedure_and_answers_json(server: UiServer) -> None:
    client = HttpClient(http_url(server))
    assert await client.call("listTemplates") == {"status": "success", "templates": ["quick"]}
    assert client.last_status == 200


async def test_http_failure_pdus_come_with_status_400(server: UiServer) -> None:
    client = HttpClient(http_url(server))
    assert (await client.call("noSuchProcedure"))["status"] == "failure"
    assert client.last_status == 400
    status, body = await client.post("/ui/0.0.1/listTemplates", b"{not json")
    assert status == 400 and orjson.loads(body)["status"] == "failure"


async def test_http_answers_other_methods_and_paths_without_running_anything(
    server: UiServer,
) -> None:
    client = HttpClient(http_url(server))
    assert (await client.request("GET", "/ui/0.0.1/listTemplates"))[0] == 405
    assert (await client.request("GET", "/nothing/here"))[0] == 404


async def test_http_serves_the_web_page_and_its_assets(server: UiServer) -> None:
    client = HttpClient(http_url(server))
    for path, marker in [("/", b"<html"), ("/app.js", b"ui0.0.1"), ("/style.css", b"{")]:
        status, body = await client.request("GET", path)
        assert status == 200 and marker in body, path


@pytest.mark.key("uiServer.type")
async def test_http_type_serves_procedures_but_refuses_websocket(tmp_path: Path) -> None:
    ui = await idle_server(tmp_path, type="http")
    try:
        assert (await HttpClient(http_url(ui)).call("listTemplates"))["status"] == "success"
        with pytest.raises(InvalidStatus):
            await exchange(ws_url(ui), [])
    finally:
        await ui.stop()


# -- with stations: push and metrics ----------------------------------------------------------


@pytest_asyncio.fixture
async def fleet(tmp_path: Path) -> AsyncIterator[UiFleet]:
    async with running_fleet(tmp_path, 2) as running:
        yield running


async def next_push(client: WebSocketClient, kind: str) -> Any:
    async with asyncio.timeout(10):
        while True:
            frame = orjson.loads(await client.websocket.recv())
            if frame[0] == kind:
                return frame


@pytest.mark.process
async def test_station_changes_push_refresh_and_subscribed_deltas(fleet: UiFleet) -> None:
    async with fleet.websocket() as client:
        assert (await client.call("subscribeStationDeltas"))["status"] == "success"
        hash_id = next(iter(fleet.station_ids()))
        await client.websocket.send(
            orjson.dumps(["c", "closeConnection", {"hashIds": [hash_id]}]).decode()
        )
        assert await next_push(client, "refresh") == ["refresh"]

        def closed(frame: Any) -> bool:
            return frame[1]["stations"].get(hash_id, {}).get("wsState") == 3

        async with asyncio.timeout(10):
            while not closed(frame := await next_push(client, "stationDeltas")):
                pass
        assert frame[1]["removed"] == []


async def test_a_change_during_the_push_interval_is_pushed_without_another_change(
    server: UiServer,
) -> None:
    # The supervisor's own entry point for worker events, driven directly: an idle supervisor
    # has no other change that would push the second delta by chance.
    supervisor = server.supervisor

    def worker_reports(station_id: str) -> None:
        supervisor._apply({"kind": "stations", "data": {station_id: {"wsState": 1}}})
        supervisor._notify()

    async with connect(ws_url(server), subprotocols=[UI_PROTOCOL], proxy=None) as websocket:
        client = WebSocketClient(websocket)
        await client.call("subscribeStationDeltas")
        for station_id in ("first", "second"):  # the second during the interval after the first
            worker_reports(station_id)
            frame = await next_push(client, "stationDeltas")
            assert list(frame[1]["stations"]) == [station_id]


@pytest.mark.process
async def test_metrics_expose_stations_connectors_and_call_latency(fleet: UiFleet) -> None:
    await fleet.supervisor.wait_for(lambda s: "BootNotification" in s.totals.commands, 20)
    status, body = await HttpClient(fleet.http_url).request("GET", "/metrics")
    assert status == 200
    text = body.decode()
    assert 'evsim_stations{state="booted"} 2.0' in text
    assert 'evsim_connectors{status="Available"} 4.0' in text
    assert "evsim_transactions_active 0.0" in text
    assert "evsim_workers 2.0" in text
    assert 'evsim_ocpp_calls_total{action="BootNotification"}' in text
    assert 'evsim_ocpp_call_latency_seconds_bucket{action="BootNotification",le="+Inf"}' in text


@pytest.mark.process
async def test_metrics_count_station_reconnections(fleet: UiFleet) -> None:
    await fleet.supervisor.wait_for(lambda s: s.counts().booted == 2, 20)
    await fleet.csms.stop()
    await fleet.csms.start()
    await fleet.supervisor.wait_for(
        lambda s: all(d.get("reconnects") == 1 for d in s.stations.values()), 30
    )
    _, body = await HttpClient(fleet.http_url).request("GET", "/metrics")
    assert "evsim_station_reconnects_total 2.0" in body.decode()


async def test_metrics_sum_the_transaction_queues_of_the_stations(server: UiServer) -> None:
    """Messages waiting in the stations' transaction queues (section 3.7), and the totals
    dropped from full queues and skipped after TransactionMessageAttempts CALLERRORs."""
    queues = {
        "a": {"length": 3, "dropped": 1, "skipped": 0},
        "b": {"length": 4, "dropped": 0, "skipped": 2},
    }
    server.supervisor._apply(
        {"kind": "stations", "data": {h: {"transactionQueue": q} for h, q in queues.items()}}
    )
    _, body = await HttpClient(http_url(server)).request("GET", "/metrics")
    text = body.decode()
    assert "evsim_transaction_queue_messages 7.0" in text
    assert "evsim_transaction_queue_dropped_total 1.0" in text
    assert "evsim_transaction_queue_skipped_total 2.0" in text
