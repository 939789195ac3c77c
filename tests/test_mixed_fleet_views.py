"""A mixed fleet (issue 15): 1.6 and 2.0.1 stations in one `/metrics` and one CLI station
table. Both read the station table the workers' data fill; here it is filled through the
supervisor's own entry point for worker events, with the data of one station of each version
as simulator/station/station_data.py builds it."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from rich.console import Console

from simulator.cli_control import stations_table
from simulator.station import station_data
from simulator.station.core.model import ConnectorState
from simulator.ui.server import UiServer
from tests.test_ui_server import http_url, idle_server
from tests.ui_fleet import HttpClient

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]

# The 2.0.1 station: EVSE 1 with connector 1, EVSE 2 with connectors 2 and 3.
LAYOUT = {1: (1,), 2: (2, 3)}
BOOTED = {"started": True, "wsState": 1, "bootNotificationResponse": {"status": "Accepted"}}


def station(hash_id: str, version: str, **data: Any) -> dict[str, Any]:
    info = {"hashId": hash_id, "chargingStationId": hash_id, "ocppVersion": version}
    return {"stationInfo": info, **BOOTED, "connectors": [], "evses": [], **data}


def fleet_data() -> dict[str, dict[str, Any]]:
    v16 = {i: ConnectorState(i) for i in range(3)}
    v201 = {i: ConnectorState(i) for i in range(4)}
    v201[2].status, v201[2].transaction_started = "Charging", True
    return {
        "cs-16": station("cs-16", "1.6", connectors=station_data.connector_entries(v16, {})),
        "cs-201": station("cs-201", "2.0.1", evses=station_data.evse_entries(v201, {}, LAYOUT)),
        "cs-201-off": station("cs-201-off", "2.0.1", wsState=3),
    }


@pytest_asyncio.fixture
async def server(tmp_path: Path) -> AsyncIterator[UiServer]:
    ui = await idle_server(tmp_path)
    ui.supervisor._apply({"kind": "stations", "data": fleet_data()})
    yield ui
    await ui.stop()


async def metrics(server: UiServer) -> str:
    _, body = await HttpClient(http_url(server)).request("GET", "/metrics")
    return body.decode()


async def test_metrics_count_the_stations_of_each_ocpp_version_by_state(
    server: UiServer,
) -> None:
    text = await metrics(server)
    assert 'evsim_stations_by_ocpp_version{ocpp_version="1.6",state="booted"} 1.0' in text
    assert 'evsim_stations_by_ocpp_version{ocpp_version="2.0.1",state="known"} 2.0' in text
    assert 'evsim_stations_by_ocpp_version{ocpp_version="2.0.1",state="booted"} 1.0' in text
    assert 'evsim_stations{state="known"} 3.0' in text


async def test_metrics_count_a_2_0_1_station_s_connectors_inside_its_evses(
    server: UiServer,
) -> None:
    text = await metrics(server)
    # 1.6: connectors 1 and 2; 2.0.1: connectors 1 and 3 (EVSE 0 aside), 2 charging.
    assert 'evsim_connectors{status="Available"} 4.0' in text
    assert 'evsim_connectors{status="Charging"} 1.0' in text
    assert "evsim_transactions_active 1.0" in text


def test_the_cli_station_table_shows_a_2_0_1_station_s_evse_connectors() -> None:
    console = Console(file=io.StringIO(), width=200)
    console.print(stations_table(list(fleet_data().values())))
    out = console.file.getvalue()  # type: ignore[attr-defined]
    line = next(row for row in out.splitlines() if "cs-201 " in row)
    assert "1:Available 2:Charging(tx ?) 3:Available" in line
