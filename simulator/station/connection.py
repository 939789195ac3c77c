"""Opening a station's WebSocket to the CSMS (OCPP-J section 3): URL, subprotocol, auth, TLS.
The subprotocol is the station's OCPP version's (its adapter's), asked for and required.

wsOptions are the TS simulator's: node's `ws` client options. Those with a websockets
equivalent are mapped (handshakeTimeout, perMessageDeflate, maxPayload, headers, and the TLS
options ca, cert, key, passphrase, rejectUnauthorized); the others are ignored.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import os
import ssl
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from websockets.asyncio.client import ClientConnection
from websockets.datastructures import Headers
from websockets.http11 import Response
from websockets.typing import Subprotocol

from simulator.station import transport
from simulator.station.transport import Library, StationSocket
from simulator.station.transport_choice import TransportName, from_environment

_HANDSHAKE_DONE = Response(101, "Switching Protocols", Headers())
USER_AGENT = "evsim"
DEFAULT_OPEN_TIMEOUT = 30.0
# websockets' own default: how long a close waits for the peer's close frame.
DEFAULT_CLOSE_TIMEOUT = 10.0
PEM_MARKER = "-----BEGIN"
READ_BUFFER_INIT_SIZE = 4096
TLS_OPTION_KEYS = ("ca", "cert", "key", "passphrase", "rejectUnauthorized")


# The library new connections of this process open with (config.json wsTransport, which a
# worker applies at its start; until then the variable of the same name, EVSIM_WS_TRANSPORT).
_library: Library = transport.library(from_environment())


def use_transport(name: TransportName) -> Library:
    """Open this process's next connections with `name`'s library; raises
    transport.TransportUnavailable when it is not installed."""
    global _library  # noqa: PLW0603 (one choice per worker process, made at its start)
    _library = transport.library(name)
    return _library


def current_transport() -> Library:
    return _library


CLOSED_BEFORE_UPGRADE_TLS = (
    "the CSMS closed the TLS connection before answering the WebSocket upgrade: "
    "if it requires a client certificate, check wsOptions.cert and wsOptions.key"
)


class FatalConnectError(Exception):
    """A connection that will never succeed as configured (bad URL): do not retry."""


class TlsConnectError(OSError):
    """The TLS handshake failed: a certificate not trusted, or the CSMS refused ours. An
    OSError, so the station retries (the CSMS may be rotating certificates) like any refusal."""


@dataclass(frozen=True, slots=True)
class Endpoint:
    """Where one connection attempt goes: the full WebSocket URL (the station identity
    appended), and the HTTP basic auth credentials (no header without a user)."""

    url: str
    user: str | None = None
    password: str | None = field(default=None, repr=False)


def basic_auth_header(user: str, password: str | None) -> str:
    token = base64.b64encode(f"{user}:{password or ''}".encode()).decode()
    return f"Basic {token}"


def connect_options(
    *,
    user: str | None,
    password: str | None,
    ws_options: dict[str, Any],
    ping_interval: int,
    subprotocol: str,
    base_dir: Path | None = None,
) -> dict[str, Any]:
    """websockets client options from the station's template and OCPP keys. `subprotocol`:
    the one of the OCPP version the station speaks ("ocpp1.6"). `base_dir`: where
    relative certificate paths of wsOptions start (config.json's directory). Raises
    FatalConnectError when the TLS options name files or PEM texts that cannot be used."""
    headers: dict[str, str] = {}
    if user:
        headers["Authorization"] = basic_auth_header(user, password)
    extra = ws_options.get("headers")
    if isinstance(extra, dict):
        headers.update({str(k): str(v) for k, v in extra.items()})
    handshake_ms = ws_options.get("handshakeTimeout")
    options: dict[str, Any] = {
        "subprotocols": [Subprotocol(subprotocol)],
        "additional_headers": headers,
        # permessage-deflate costs ~100 KiB per connection and OCPP-J 5.1 advises against it.
        "compression": "deflate" if ws_options.get("perMessageDeflate") else None,
        "open_timeout": handshake_ms / 1000 if handshake_ms else DEFAULT_OPEN_TIMEOUT,
        "ping_interval": ping_interval or None,
        "ping_timeout": ping_interval or None,
        # After a ping went unanswered the client still waits close_timeout for a close frame
        # before dropping the socket: a dead CSMS would be left after 2 intervals + 10 s.
        # A peer silent for a ping interval gets no longer to acknowledge a close.
        "close_timeout": (
            min(ping_interval, DEFAULT_CLOSE_TIMEOUT) if ping_interval else DEFAULT_CLOSE_TIMEOUT
        ),
        "user_agent_header": USER_AGENT,
        # A station talks to its CSMS directly; proxy variables of the host must not divert it.
        "proxy": None,
    }
    if isinstance(ws_options.get("maxPayload"), int):
        options["max_size"] = ws_options["maxPayload"]
    if any(key in ws_options for key in TLS_OPTION_KEYS):
        try:
            options["ssl"] = tls_context(
                ca=_pem_option(ws_options.get("ca")),
                cert=_pem_option(ws_options.get("cert")),
                key=_pem_option(ws_options.get("key")),
                passphrase=_str_option(ws_options.get("passphrase")),
                verify=ws_options.get("rejectUnauthorized", True) is not False,
                base_dir=str(base_dir) if base_dir is not None else "",
            )
        except (OSError, ValueError) as exc:
            # A missing file, a PEM that does not parse, a wrong passphrase: the template.
            raise FatalConnectError(
                f"wsOptions ca/cert/key/passphrase unusable ({exc}): fix the template"
            ) from None
    return options


def _pem_option(value: Any) -> str | None:
    # node accepts one PEM or a list of them (a CA bundle); a list becomes one bundle.
    if isinstance(value, list):
        return "\n".join(str(item) for item in value) or None
    return _str_option(value)


def _str_option(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


@functools.lru_cache(maxsize=64)
def tls_context(
    *,
    ca: str | None,
    cert: str | None,
    key: str | None,
    passphrase: str | None,
    verify: bool,
    base_dir: str,
) -> ssl.SSLContext:
    """The client TLS context of wsOptions' ca / cert / key, each a PEM text or a file path.

    As in node, `ca` replaces the system's trusted roots. Cached: the stations of a template
    share one context, so certificates are read once, not at every (re)connection.
    """
    if ca is None:
        context = ssl.create_default_context()
    elif ca.lstrip().startswith(PEM_MARKER):
        context = ssl.create_default_context(cadata=ca)
    else:
        context = ssl.create_default_context(cafile=_path(ca, base_dir))
    if not verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    if cert is not None:
        with contextlib.ExitStack() as files:
            cert_file = files.enter_context(_as_file(cert, base_dir))
            key_file = None if key is None else files.enter_context(_as_file(key, base_dir))
            # "" rather than None: OpenSSL would prompt on the terminal for an encrypted key.
            context.load_cert_chain(cert_file, key_file, password=passphrase or "")
    return context


def _path(value: str, base_dir: str) -> str:
    path = Path(value)
    return str(path if path.is_absolute() or not base_dir else Path(base_dir) / path)


@contextlib.contextmanager
def _as_file(value: str, base_dir: str) -> Iterator[str]:
    """A file holding `value`: the value itself when it is a path; a private temporary copy
    when it is PEM text (ssl loads certificate chains from files only)."""
    if not value.lstrip().startswith(PEM_MARKER):
        yield _path(value, base_dir)
        return
    descriptor, name = tempfile.mkstemp(suffix=".pem")  # mode 0600: it may hold a key
    try:
        with os.fdopen(descriptor, "w") as file:
            file.write(value)
        yield name
    finally:
        os.unlink(name)


async def open_connection(url: str, options: dict[str, Any]) -> StationSocket:
    """Open the connection; raise FatalConnectError for mistakes that retrying cannot fix and
    TlsConnectError, naming the cause, when the TLS handshake fails."""
    secure = url.startswith("wss://")
    if not secure:
        # wsOptions' TLS settings apply to wss:// URLs only; a ws:// CSMS ignores them.
        options = {k: v for k, v in options.items() if k != "ssl"}
    elif "ssl" not in options:
        options = {**options, "ssl": ssl.create_default_context()}
    library = _library
    if library is transport.PICOWS:
        # picows's read buffer starts at 16 KiB a connection and grows when a frame needs it;
        # a CSMS's frames are mostly well under 1 KiB.
        options = {**options, "read_buffer_init_size": READ_BUFFER_INIT_SIZE}
    try:
        websocket: StationSocket | None = await library.connect(url, **options)
    except AssertionError:
        # picows.websockets (2.3) asserts it got a connection where the peer closed before
        # answering the upgrade (with -O: returns None); websockets raises InvalidMessage.
        websocket = None
    except library.invalid_uri as exc:
        raise FatalConnectError(str(exc)) from None
    except ssl.SSLCertVerificationError as exc:
        raise TlsConnectError(
            f"TLS certificate of the CSMS not trusted ({exc.verify_message}): "
            "check wsOptions.ca (the CA that signed the CSMS's certificate)"
        ) from None
    except ssl.SSLError as exc:
        raise TlsConnectError(
            f"TLS handshake refused ({exc.reason}): check wsOptions.cert and wsOptions.key "
            "(the client certificate the CSMS expects)"
        ) from None
    except library.invalid_message as exc:
        # TLS 1.3 checks the client's certificate after the client's side of the handshake
        # is done: a refusal reaches the client as a connection closed before any response.
        if secure and isinstance(exc.__cause__, EOFError):
            raise TlsConnectError(CLOSED_BEFORE_UPGRADE_TLS) from None
        raise
    if websocket is None:
        if secure:
            raise TlsConnectError(CLOSED_BEFORE_UPGRADE_TLS)
        raise library.invalid_message("the CSMS closed the connection before answering")
    wanted = options.get("subprotocols") or []
    if websocket.subprotocol not in wanted:
        named = ", ".join(wanted)
        await websocket.close(1002, f"{named} subprotocol not accepted")
        raise library.invalid_handshake(f"the CSMS did not accept subprotocol {named}")
    # The handshake's request and response (their headers) stay referenced by the connection
    # for its life and nothing of evsim reads them: ~4 KiB a station (tracemalloc, 300
    # connections). websockets takes a response of None for a handshake still to come, so one
    # shared empty response stands in for it.
    if isinstance(websocket, ClientConnection):
        websocket.request = None
        websocket.response = _HANDSHAKE_DONE
    return websocket
