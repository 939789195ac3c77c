"""config.json wsTransport (issue 16): the WebSocket client library a worker's stations open
their connections with, and what happens when the one asked for is not installed."""

from __future__ import annotations

from pathlib import Path

import pytest
from websockets.asyncio.client import ClientConnection

from simulator.config_error import ConfigError
from simulator.config_loading import load_settings
from simulator.station import transport
from simulator.station.connection import (
    connect_options,
    current_transport,
    open_connection,
)
from simulator.station.host import StationHost
from simulator.supervisor import pool_options
from tests.fleet import quick_template, write_fleet
from tests.test_ws_options import OCPP16, raw_csms

needs_picows = pytest.mark.skipif(transport.PICOWS is None, reason="the fast extra")


def _options() -> dict[str, object]:
    return connect_options(
        user=None, password=None, ws_options={}, ping_interval=0, subprotocol=OCPP16
    )


async def _host_transport(tmp_path: Path, name: str) -> str:
    path = write_fleet(
        tmp_path / name, "ws://127.0.0.1:9", {"t.json": (quick_template(), 1)}, wsTransport=name
    )
    options = pool_options(load_settings(path, environ={}), 1).host_options
    host = StationHost(
        lambda event: None, {**options, "configure_logging": False, "statistics_interval": 0}
    )
    try:
        return current_transport().name
    finally:
        await host.stop()


@pytest.mark.key("wsTransport")
async def test_websockets_is_taken_when_asked_for(tmp_path: Path, transport_restored: None) -> None:
    assert await _host_transport(tmp_path, "websockets") == "websockets"
    async with raw_csms() as (url, _):
        websocket = await open_connection(url, _options())
        await websocket.close()
    assert isinstance(websocket, ClientConnection)


@needs_picows
@pytest.mark.key("wsTransport")
async def test_auto_takes_picows_where_it_is_installed(
    tmp_path: Path, transport_restored: None
) -> None:
    assert await _host_transport(tmp_path, "auto") == "picows"
    async with raw_csms() as (url, _):
        websocket = await open_connection(url, _options())
        assert websocket.subprotocol == OCPP16
        await websocket.close()
    assert not isinstance(websocket, ClientConnection)


@pytest.mark.key("wsTransport")
def test_auto_falls_back_to_websockets_without_picows(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(transport, "PICOWS", None)
    assert transport.library("auto") is transport.WEBSOCKETS


@pytest.mark.key("wsTransport")
def test_picows_asked_for_without_picows_is_refused_naming_the_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from simulator import config  # noqa: PLC0415

    monkeypatch.setattr(config, "picows_installed", lambda: False)
    path = write_fleet(tmp_path, "ws://127.0.0.1:9", {"t.json": (quick_template(), 1)})
    with pytest.raises(ConfigError, match=r"wsTransport.*fast") as refused:
        load_settings(path, environ={"EVSIM_WS_TRANSPORT": "picows"})
    assert "\n" not in str(refused.value)
