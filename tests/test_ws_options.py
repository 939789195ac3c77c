"""wsOptions, the TS templates' node `ws` client options, mapped onto the websockets client:
TLS (ca, cert, key, rejectUnauthorized), handshakeTimeout, maxPayload and headers. Each test
opens a real connection to a raw websockets server (TLS where it matters) on 127.0.0.1."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from loguru import logger
from websockets.asyncio.server import ServerConnection, serve
from websockets.http11 import Request
from websockets.typing import Subprotocol

from simulator.station.clock import SystemClock
from simulator.station.connection import (
    FatalConnectError,
    TlsConnectError,
    connect_options,
    open_connection,
)
from simulator.station.station import ChargingStation
from simulator.station.transport import CONNECTION_CLOSED
from tests.fleet import specs_for
from tests.pki import Pki, make_pki
from tests.transports import EACH
from tests.waiting import eventually

pytestmark = [pytest.mark.integration, EACH]

OCPP16 = Subprotocol("ocpp1.6")
PASSPHRASE = "evsim-secret"


# --- certificates -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("pki"), PASSPHRASE)


def server_tls(pki: Pki, *, require_client_cert: bool = False) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(pki.server_cert, pki.server_key)
    if require_client_cert:
        context.verify_mode = ssl.CERT_REQUIRED
        context.load_verify_locations(pki.ca)
    return context


# --- a raw CSMS that records what it saw --------------------------------------------------------


@dataclass
class Seen:
    headers: list[dict[str, str]]
    client_subjects: list[Any]


Handler = Callable[[ServerConnection], Awaitable[None]]


async def _hold(websocket: ServerConnection) -> None:
    await websocket.wait_closed()


@asynccontextmanager
async def raw_csms(
    tls: ssl.SSLContext | None = None, handler: Handler = _hold
) -> AsyncIterator[tuple[str, Seen]]:
    """A websockets server on 127.0.0.1 accepting ocpp1.6; yields its URL and what it saw."""
    seen = Seen(headers=[], client_subjects=[])

    def record(connection: ServerConnection, request: Request) -> None:
        seen.headers.append(dict(request.headers.raw_items()))
        peer = connection.transport.get_extra_info("peercert")
        seen.client_subjects.append(peer.get("subject") if peer else None)

    async with serve(
        handler, "127.0.0.1", 0, ssl=tls, subprotocols=[OCPP16], process_request=record
    ) as server:
        port = next(iter(server.sockets)).getsockname()[1]
        yield f"{'wss' if tls else 'ws'}://127.0.0.1:{port}/CS-1", seen


def options(ws_options: dict[str, Any], base_dir: Path | None = None) -> dict[str, Any]:
    return connect_options(
        user=None,
        password=None,
        ws_options=ws_options,
        ping_interval=0,
        subprotocol=OCPP16,
        base_dir=base_dir,
    )


# --- TLS ----------------------------------------------------------------------------------------


@pytest.mark.key("wsOptions")
@pytest.mark.timeout(20)
async def test_wss_trusts_the_ca_given_as_a_path_relative_to_the_config(pki: Pki) -> None:
    """wsOptions.ca as a file path: relative paths start at config.json's directory."""
    async with raw_csms(server_tls(pki)) as (url, seen):
        websocket = await open_connection(url, options({"ca": "ca.pem"}, pki.directory))
        await websocket.close()
    assert len(seen.headers) == 1


@pytest.mark.timeout(20)
async def test_wss_trusts_the_ca_given_as_pem_text(pki: Pki) -> None:
    """wsOptions.ca as the PEM itself, as node's `ws` takes it in a TS template."""
    async with raw_csms(server_tls(pki)) as (url, seen):
        websocket = await open_connection(url, options({"ca": pki.ca.read_text()}))
        await websocket.close()
    assert len(seen.headers) == 1


@pytest.mark.timeout(20)
async def test_wss_with_the_wrong_ca_fails_naming_the_ca_option(pki: Pki) -> None:
    async with raw_csms(server_tls(pki)) as (url, seen):
        with pytest.raises(TlsConnectError, match=r"not trusted.*wsOptions\.ca"):
            await open_connection(url, options({"ca": str(pki.other_ca)}))
    assert seen.headers == []


@pytest.mark.key("wsOptions")
@pytest.mark.timeout(20)
async def test_the_client_certificate_is_presented_for_mutual_tls(pki: Pki) -> None:
    """wsOptions.cert and wsOptions.key: the CSMS authenticates the station by certificate."""
    ws_options = {"ca": str(pki.ca), "cert": str(pki.client_cert), "key": str(pki.client_key)}
    async with raw_csms(server_tls(pki, require_client_cert=True)) as (url, seen):
        websocket = await open_connection(url, options(ws_options))
        await websocket.close()
    assert seen.client_subjects == [((("commonName", "client"),),)]


@pytest.mark.timeout(20)
async def test_the_client_certificate_may_be_pem_text(pki: Pki) -> None:
    ws_options = {
        "ca": pki.ca.read_text(),
        "cert": pki.client_cert.read_text(),
        "key": pki.client_key.read_text(),
    }
    async with raw_csms(server_tls(pki, require_client_cert=True)) as (url, seen):
        websocket = await open_connection(url, options(ws_options))
        await websocket.close()
    assert seen.client_subjects == [((("commonName", "client"),),)]


@pytest.mark.timeout(20)
async def test_an_encrypted_client_key_is_opened_with_the_passphrase(pki: Pki) -> None:
    ws_options = {
        "ca": str(pki.ca),
        "cert": str(pki.client_cert),
        "key": str(pki.client_key_encrypted),
        "passphrase": PASSPHRASE,
    }
    async with raw_csms(server_tls(pki, require_client_cert=True)) as (url, seen):
        websocket = await open_connection(url, options(ws_options))
        await websocket.close()
    assert seen.client_subjects == [((("commonName", "client"),),)]


def test_an_encrypted_client_key_without_its_passphrase_is_a_template_error(pki: Pki) -> None:
    """Refused with the option named, never a passphrase prompt on the terminal."""
    ws_options = {"cert": str(pki.client_cert), "key": str(pki.client_key_encrypted)}
    with pytest.raises(FatalConnectError, match="wsOptions ca/cert/key/passphrase unusable"):
        options(ws_options)


def test_a_missing_ca_file_is_a_template_error(pki: Pki) -> None:
    with pytest.raises(FatalConnectError, match="wsOptions"):
        options({"ca": "no-such-ca.pem"}, pki.directory)


@pytest.mark.timeout(20)
async def test_mutual_tls_without_a_client_certificate_is_refused(pki: Pki) -> None:
    async with raw_csms(server_tls(pki, require_client_cert=True)) as (url, seen):
        with pytest.raises(TlsConnectError, match=r"wsOptions\.cert"):
            await open_connection(url, options({"ca": str(pki.ca)}))
    assert seen.headers == []


@pytest.mark.key("wsOptions")
@pytest.mark.timeout(20)
async def test_reject_unauthorized_false_accepts_an_untrusted_csms(pki: Pki) -> None:
    """rejectUnauthorized: false (node) turns certificate verification off."""
    async with raw_csms(server_tls(pki)) as (url, seen):
        websocket = await open_connection(url, options({"rejectUnauthorized": False}))
        await websocket.close()
    assert len(seen.headers) == 1


@pytest.mark.timeout(20)
async def test_tls_options_do_not_stop_a_plain_ws_connection(pki: Pki) -> None:
    """A template shared by ws:// and wss:// CSMS: the TLS options apply to wss:// only."""
    async with raw_csms() as (url, seen):
        websocket = await open_connection(url, options({"ca": str(pki.ca)}))
        await websocket.close()
    assert len(seen.headers) == 1


@pytest.mark.timeout(20)
async def test_a_station_with_the_wrong_ca_logs_one_clear_error(pki: Pki, tmp_path: Path) -> None:
    """A certificate the station cannot trust is a user's mistake: one ERROR line saying what
    failed and which option to fix, not a debug line per retry."""
    lines: list[str] = []
    sink = logger.add(lambda message: lines.append(message.record["message"]), level="ERROR")
    try:
        async with raw_csms(server_tls(pki)) as (url, _):
            base = url.rsplit("/", 1)[0]
            spec = specs_for(tmp_path, base, 1, wsOptions={"ca": str(pki.other_ca)})[0]
            station = ChargingStation(spec, clock=SystemClock(), on_change=lambda s, d: None)
            await station.start()
            try:
                await eventually(lambda: bool(lines), 10, "an error line")
            finally:
                await station.stop()
    finally:
        logger.remove(sink)
    assert len(lines) == 1
    assert spec.station_id in lines[0]
    assert "not trusted" in lines[0] and "wsOptions.ca" in lines[0]


# --- handshake timeout, frame size, headers -----------------------------------------------------


@pytest.mark.key("wsOptions")
@pytest.mark.timeout(10)
async def test_handshake_timeout_bounds_the_opening_handshake() -> None:
    """handshakeTimeout (ms): a CSMS that accepts TCP but never answers the upgrade."""

    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()  # until the client gives up
        writer.close()

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    async with server:
        port = next(iter(server.sockets)).getsockname()[1]
        loop = asyncio.get_running_loop()
        started = loop.time()
        with pytest.raises(TimeoutError):
            await open_connection(f"ws://127.0.0.1:{port}/CS-1", options({"handshakeTimeout": 300}))
        assert loop.time() - started < 3


@pytest.mark.key("wsOptions")
@pytest.mark.timeout(10)
async def test_max_payload_closes_on_a_larger_frame() -> None:
    """maxPayload (bytes): a bigger message closes the connection with 1009 (RFC 6455 7.4.1)."""

    async def send_big(websocket: ServerConnection) -> None:
        await websocket.send("x" * 2000)
        await websocket.wait_closed()

    async with raw_csms(handler=send_big) as (url, _):
        websocket = await open_connection(url, options({"maxPayload": 1000}))
        with pytest.raises(CONNECTION_CLOSED) as closed:
            await websocket.recv()
    sent = getattr(closed.value, "sent", None)
    assert sent is not None and sent.code == 1009


@pytest.mark.key("wsOptions")
@pytest.mark.timeout(10)
async def test_headers_are_sent_with_the_upgrade_request() -> None:
    async with raw_csms() as (url, seen):
        websocket = await open_connection(url, options({"headers": {"X-Fleet": "north"}}))
        await websocket.close()
    assert seen.headers[0]["X-Fleet"] == "north"
