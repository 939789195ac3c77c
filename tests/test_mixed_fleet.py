"""A mixed fleet (issue 15): 1.6 and 2.0.1 stations in one run, one worker, one CSMS URL list,
one UI and one /metrics, against the bundled CSMS (which speaks both)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.fleet import quick_template
from tests.fleet201 import template_201
from tests.transports import EACH
from tests.ui_fleet import HttpClient, UiFleet, running_fleet
from tests.waiting import eventually

pytestmark = [pytest.mark.integration, pytest.mark.process, EACH]

EACH = 2


@pytest.fixture
async def fleet(tmp_path: Path) -> AsyncIterator[UiFleet]:
    templates = {"v16.json": (quick_template(), EACH), "v201.json": (template_201(), EACH)}
    async with running_fleet(tmp_path, 2 * EACH, templates=templates, workers=1) as running:
        yield running


async def test_both_versions_boot_in_one_worker_each_on_its_subprotocol(fleet: UiFleet) -> None:
    versions = sorted(fleet.csms.ocpp_version(sid) or "" for sid in fleet.station_ids().values())

    assert versions == ["1.6", "1.6", "2.0.1", "2.0.1"]


async def test_one_ui_lists_both_versions_a_201_station_with_its_evses(fleet: UiFleet) -> None:
    async with fleet.websocket() as ui:
        listed = await ui.call("listChargingStations")
    stations = listed["chargingStations"]
    by_version: dict[str, list[dict[str, object]]] = {}
    for data in stations:
        by_version.setdefault(str(data["stationInfo"]["ocppVersion"]), []).append(data)

    assert sorted(by_version) == ["1.6", "2.0.1"]
    assert all(data["evses"] == [] and data["connectors"] for data in by_version["1.6"])
    assert all(data["evses"] and data["connectors"] == [] for data in by_version["2.0.1"])


async def test_one_metrics_page_counts_the_booted_stations_of_each_version(
    fleet: UiFleet,
) -> None:
    _, body = await HttpClient(fleet.http_url).request("GET", "/metrics")
    text = body.decode()

    for version in ("1.6", "2.0.1"):
        line = f'evsim_stations_by_ocpp_version{{ocpp_version="{version}",state="booted"}} 2.0'
        assert line in text


async def test_a_procedure_of_both_versions_is_sent_by_each_station_in_its_own(
    fleet: UiFleet,
) -> None:
    async with fleet.websocket() as ui:
        answer = await ui.call("heartbeat", {"hashIds": list(fleet.station_ids())})
    await eventually(
        lambda: all(fleet.csms.received(sid, "Heartbeat") for sid in fleet.station_ids().values()),
        10,
        "a heartbeat from every station",
    )

    assert answer["status"] == "success"
