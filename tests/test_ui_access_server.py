"""The UI server lets no stranger in (issue 17 part 3): a WebSocket or HTTP request from another
web origin or naming another host gets 403 and is logged, a procedure runs only for a JSON body,
https/wss with uiServer.options cert and key, and `evsim run` refuses to expose an
unauthenticated UI server on a non-loopback address."""

from __future__ import annotations

import asyncio
import datetime
import ipaddress
import ssl
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
import pytest_asyncio
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from loguru import logger
from websockets.exceptions import InvalidStatus
from websockets.typing import Origin

from simulator.cli import main
from simulator.config_error import ConfigError
from simulator.supervisor import Supervisor
from simulator.ui import procedures
from simulator.ui.server import UiServer
from tests.fleet import quick_template, write_fleet
from tests.test_ui_server import exchange, idle_server
from tests.ui_fleet import UI_PROTOCOL

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]

EVIL = "http://evil.example"


@pytest_asyncio.fixture
async def server(tmp_path: Path) -> AsyncIterator[UiServer]:
    ui = await idle_server(tmp_path)
    yield ui
    await ui.stop()


@pytest.fixture
def refusals() -> Iterator[list[str]]:
    messages: list[str] = []
    sink = logger.add(lambda m: messages.append(m.record["message"]), level="WARNING")
    yield messages
    logger.remove(sink)


@pytest.fixture
def ran(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Payloads the procedure `probe` was run with."""
    calls: list[dict[str, Any]] = []

    async def probe(supervisor: Supervisor, payload: dict[str, Any]) -> dict[str, Any]:
        calls.append(payload)
        return {"status": "success"}

    monkeypatch.setitem(procedures.PROCEDURES, "probe", probe)
    return calls


async def raw_request(
    port: int, head: str, body: bytes = b"", tls: ssl.SSLContext | None = None
) -> tuple[int, bytes]:
    """Status and body of one request written byte for byte (any Host, any header)."""
    answer = await raw_answer(port, head, body, tls)
    status_line, _, rest = answer.partition(b"\r\n")
    return int(status_line.split()[1]), rest.partition(b"\r\n\r\n")[2]


async def raw_answer(
    port: int, head: str, body: bytes = b"", tls: ssl.SSLContext | None = None
) -> bytes:
    reader, writer = await asyncio.open_connection(
        "127.0.0.1", port, ssl=tls, server_hostname="localhost" if tls else None
    )
    try:
        lines = head.strip().replace("\n", "\r\n")
        length = f"\r\nContent-Length: {len(body)}" if body else ""
        writer.write(f"{lines}{length}\r\nConnection: close\r\n\r\n".encode() + body)
        await writer.drain()
        # The head, then its Content-Length: a 101 (a WebSocket let in) never reaches EOF.
        try:
            answer = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
        except asyncio.IncompleteReadError as closed:
            return closed.partial
        length = next(
            (
                int(line.split(b":")[1])
                for line in answer.split(b"\r\n")
                if line.lower().startswith(b"content-length:")
            ),
            0,
        )
        answer += await asyncio.wait_for(reader.readexactly(length), 10)
    finally:
        writer.close()
    return answer


def post_head(port: int, procedure: str, *headers: str) -> str:
    return "\n".join([f"POST /ui/0.0.1/{procedure} HTTP/1.1", f"Host: 127.0.0.1:{port}", *headers])


def upgrade_head(host: str, *headers: str) -> str:
    return "\n".join(
        [
            "GET / HTTP/1.1",
            f"Host: {host}",
            "Upgrade: websocket",
            "Connection: Upgrade",
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
            "Sec-WebSocket-Version: 13",
            f"Sec-WebSocket-Protocol: {UI_PROTOCOL}",
            *headers,
        ]
    )


# -- Origin and Host ----------------------------------------------------------------------------


@pytest.mark.key("uiServer.accessPolicy")
async def test_a_websocket_from_another_origin_is_refused_with_403_and_logged(
    server: UiServer, refusals: list[str]
) -> None:
    with pytest.raises(InvalidStatus) as refused:
        await exchange(f"ws://127.0.0.1:{server.port}", [], origin=Origin(EVIL))
    assert refused.value.response.status_code == 403
    assert any("refused" in m and EVIL in m for m in refusals)


@pytest.mark.key("uiServer.accessPolicy")
async def test_a_cross_origin_text_plain_post_is_refused_with_403_and_runs_nothing(
    server: UiServer, ran: list[dict[str, Any]]
) -> None:
    # What any web page can send without a CORS preflight.
    head = post_head(server.port, "probe", f"Origin: {EVIL}", "Content-Type: text/plain")
    status, _ = await raw_request(server.port, head, b"{}")
    assert status == 403 and ran == []


@pytest.mark.key("uiServer.accessPolicy.allowedHosts")
@pytest.mark.parametrize("path", ["/metrics", "/", "/app.js"])
async def test_a_request_naming_another_host_is_refused_with_403(
    server: UiServer, path: str
) -> None:
    # DNS rebinding: the browser thinks it talks to evil.example and says so in Host.
    head = f"GET {path} HTTP/1.1\nHost: evil.example:{server.port}"
    assert (await raw_request(server.port, head))[0] == 403


async def test_a_websocket_naming_another_host_is_refused_with_403(server: UiServer) -> None:
    status, _ = await raw_request(server.port, upgrade_head(f"evil.example:{server.port}"))
    assert status == 403


async def test_the_page_own_origin_opens_the_websocket_and_posts(
    server: UiServer, ran: list[dict[str, Any]]
) -> None:
    own = f"http://127.0.0.1:{server.port}"
    (reply,) = await exchange(
        f"ws://127.0.0.1:{server.port}", ['["a", "probe", {}]'], origin=Origin(own)
    )
    assert reply == ["a", {"status": "success"}]
    head = post_head(
        server.port,
        "probe",
        f"Origin: http://localhost:{server.port}",
        "Content-Type: application/json",
    )
    status, body = await raw_request(server.port, head, b'{"n": 1}')
    assert status == 200 and orjson.loads(body) == {"status": "success"}
    assert ran == [{}, {"n": 1}]


@pytest.mark.key("uiServer.accessPolicy.allowedOrigins")
async def test_allowed_origins_let_a_listed_foreign_origin_in(tmp_path: Path) -> None:
    ui = await idle_server(tmp_path, accessPolicy={"allowedOrigins": ["https://ui.example"]})
    try:
        url = f"ws://127.0.0.1:{ui.port}"
        (reply,) = await exchange(
            url, ['["a", "listTemplates", {}]'], origin=Origin("https://ui.example")
        )
        assert reply[1]["status"] == "success"
        with pytest.raises(InvalidStatus):
            await exchange(url, [], origin=Origin(f"http://127.0.0.1:{ui.port}"))
    finally:
        await ui.stop()


@pytest.mark.key("uiServer.accessPolicy.allowedHosts")
async def test_allowed_hosts_let_a_request_under_another_name_in(tmp_path: Path) -> None:
    ui = await idle_server(tmp_path, accessPolicy={"allowedHosts": ["sim.example"]})
    try:
        head = f"GET /metrics HTTP/1.1\nHost: sim.example:{ui.port}"
        assert (await raw_request(ui.port, head))[0] == 200
    finally:
        await ui.stop()


# -- proxies --------------------------------------------------------------------------------------


@pytest.mark.key("uiServer.accessPolicy.trustedProxies")
async def test_forwarding_headers_from_an_untrusted_peer_are_refused_with_403(
    server: UiServer,
) -> None:
    head = f"GET /metrics HTTP/1.1\nHost: 127.0.0.1:{server.port}\nX-Forwarded-For: 198.51.100.9"
    assert (await raw_request(server.port, head))[0] == 403


@pytest.mark.key("uiServer.accessPolicy.requireTlsForNonLoopback")
@pytest.mark.key("uiServer.accessPolicy.trustedProxies")
async def test_a_trusted_proxy_is_believed_for_the_host_and_the_https_of_its_client(
    tmp_path: Path,
) -> None:
    policy = {"trustedProxies": ["127.0.0.1"], "allowedHosts": ["sim.example"]}
    ui = await idle_server(tmp_path, accessPolicy=policy)
    try:
        forwarded = [
            "GET /metrics HTTP/1.1",
            "Host: backend",
            "X-Forwarded-Host: sim.example",
            "X-Forwarded-For: 198.51.100.9",
        ]
        https = "\n".join([*forwarded, "X-Forwarded-Proto: https"])
        plain = "\n".join([*forwarded, "X-Forwarded-Proto: http"])
        assert (await raw_request(ui.port, https))[0] == 200
        assert (await raw_request(ui.port, plain))[0] == 403  # requireTlsForNonLoopback
    finally:
        await ui.stop()


# -- content type ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", None],
)
async def test_a_procedure_post_that_is_not_json_is_refused_with_415_and_runs_nothing(
    server: UiServer, ran: list[dict[str, Any]], content_type: str | None
) -> None:
    headers = [] if content_type is None else [f"Content-Type: {content_type}"]
    status, _ = await raw_request(server.port, post_head(server.port, "probe", *headers), b"{}")
    assert status == 415 and ran == []


async def test_a_json_post_with_a_charset_runs_the_procedure(
    server: UiServer, ran: list[dict[str, Any]]
) -> None:
    head = post_head(server.port, "probe", "Content-Type: application/json; charset=utf-8")
    assert (await raw_request(server.port, head, b"{}"))[0] == 200 and ran == [{}]


async def test_a_body_over_the_limit_is_refused_with_413(
    server: UiServer, ran: list[dict[str, Any]]
) -> None:
    head = post_head(server.port, "probe", "Content-Type: application/json")
    body = b'{"x": "' + b"y" * (4 * 1024 * 1024) + b'"}'
    assert (await raw_request(server.port, head, body))[0] == 413 and ran == []


async def test_a_request_that_is_not_http_is_refused_with_400(server: UiServer) -> None:
    assert (await raw_request(server.port, "NONSENSE"))[0] == 400


# -- TLS ------------------------------------------------------------------------------------------


def write_certificate(directory: Path) -> tuple[Path, Path]:
    """A self-signed certificate for localhost and 127.0.0.1, and its key, as PEM files."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "ui-cert.pem", directory / "ui-key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@pytest.mark.key("uiServer.options.cert", "uiServer.options.key")
async def test_with_cert_and_key_the_ui_server_speaks_https_and_wss(tmp_path: Path) -> None:
    cert, key = write_certificate(tmp_path)
    ui = await idle_server(
        tmp_path, options={"host": "127.0.0.1", "port": 0, "cert": str(cert), "key": str(key)}
    )
    try:
        trust = ssl.create_default_context(cafile=cert)
        (reply,) = await exchange(
            f"wss://localhost:{ui.port}", ['["a", "listTemplates", {}]'], ssl=trust
        )
        assert reply[1]["status"] == "success"
        head = post_head(ui.port, "listTemplates", "Content-Type: application/json")
        status, body = await raw_request(ui.port, head, b"{}", tls=trust)
        assert status == 200 and orjson.loads(body)["status"] == "success"
        assert await raw_answer(ui.port, head, b"{}") == b""  # plain http gets no answer
    finally:
        await ui.stop()


@pytest.mark.key("uiServer.options.cert")
async def test_a_cert_that_cannot_be_loaded_stops_the_start_naming_the_key(tmp_path: Path) -> None:
    missing = str(tmp_path / "none.pem")
    with pytest.raises(ConfigError) as refused:
        await idle_server(
            tmp_path, options={"host": "127.0.0.1", "port": 0, "cert": missing, "key": missing}
        )
    assert refused.value.key == "uiServer.options.cert"


# -- start-up -------------------------------------------------------------------------------------


@pytest.mark.key("uiServer.options.host")
def test_run_refuses_an_unauthenticated_ui_server_on_every_interface_with_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_fleet(
        tmp_path,
        "ws://127.0.0.1:1",
        {"quick.json": (quick_template(), 1)},
        uiServer={"enabled": True, "options": {"host": "0.0.0.0", "port": 0}},
    )
    assert main(["run", "--config", str(path)]) == 2
    error = capsys.readouterr().err.strip()
    assert len(error.splitlines()) == 1
    assert "uiServer.options.host" in error and "uiServer.accessPolicy" in error
