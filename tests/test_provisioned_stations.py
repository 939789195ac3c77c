"""config.json stationTemplateUrls[].provisionedNumberOfStations (a key of the TypeScript
simulator 4.x): stations planned but not started, which addChargingStations starts first."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from simulator.config import Settings
from simulator.config_loading import load_settings
from simulator.csms import CentralSystem
from simulator.plan import plan_stations
from simulator.provisioning import indexes_to_add, plan_additions, provisioned_indexes
from simulator.supervisor import Supervisor
from simulator.template_model import load_template
from tests.fleet import quick_template, write_fleet


def provisioned_settings(tmp_path: Path, url: str, *entries: tuple[int, int]) -> Settings:
    """A config whose stationTemplateUrls list quick.json once per (numberOfStations,
    provisionedNumberOfStations)."""
    path = write_fleet(tmp_path, url, {"quick.json": (quick_template(), 0)})
    config = json.loads(path.read_text())
    config["stationTemplateUrls"] = [
        {"file": "quick.json", "numberOfStations": n, "provisionedNumberOfStations": p}
        for n, p in entries
    ]
    path.write_text(json.dumps(config))
    return load_settings(path, environ={})


def test_provisioned_indexes_follow_the_entrys_stations(tmp_path: Path) -> None:
    settings = provisioned_settings(tmp_path, "ws://127.0.0.1:9", (2, 3))
    assert list(provisioned_indexes(settings).values()) == [[3, 4, 5]]


@pytest.mark.key("stationTemplateUrls[].provisionedNumberOfStations")
def test_a_file_listed_again_is_numbered_after_the_provisioned_stations(tmp_path: Path) -> None:
    """The second entry's stations do not take the ids the first one provisioned."""
    settings = provisioned_settings(tmp_path, "ws://127.0.0.1:9", (2, 2), (1, 1))
    assert [spec.index for spec in plan_stations(settings)] == [1, 2, 5]
    assert list(provisioned_indexes(settings).values()) == [[3, 4, 6]]


def test_added_stations_take_the_free_provisioned_indexes_first() -> None:
    assert indexes_to_add([1, 2, 4], [3, 4, 5], 4) == [3, 5, 6, 7]


def test_without_provisioned_stations_added_ones_follow_the_last() -> None:
    assert indexes_to_add([1, 2], [], 2) == [3, 4]


@pytest.mark.key("stationTemplateUrls[].provisionedNumberOfStations")
def test_a_provisioned_station_is_the_same_station_on_every_run(tmp_path: Path) -> None:
    """Its id and hashId (which names its persisted state) depend on the config alone."""
    settings = provisioned_settings(tmp_path, "ws://127.0.0.1:9", (1, 2))
    path = settings.template_path(0)
    template = load_template(path)
    plan = plan_stations(settings)
    first = plan_additions(settings, path, template, 2, plan)
    again = plan_additions(settings, path, template, 2, plan_stations(settings))
    assert [s.station_id for s in first] == ["CS-TEST-00002", "CS-TEST-00003"]
    assert [s.hash_id for s in first] == [s.hash_id for s in again]


@pytest.fixture
async def csms() -> AsyncIterator[CentralSystem]:
    async with CentralSystem(heartbeat_interval=60) as central:
        yield central


@pytest.mark.key("stationTemplateUrls[].provisionedNumberOfStations")
@pytest.mark.integration
@pytest.mark.process
@pytest.mark.timeout(120)
async def test_provisioned_stations_wait_until_add_charging_stations_starts_them(
    tmp_path: Path, csms: CentralSystem
) -> None:
    """The first entry provisions CS-TEST-00002 and 00003; the second entry's station comes
    after them. addChargingStations starts the two provisioned ones, then a new one."""
    settings = provisioned_settings(tmp_path, csms.url, (1, 2), (1, 0))
    worker: dict[str, Any] = {"processType": "staticPool", "poolMaxSize": 1}
    settings = settings.model_copy(update={"worker": settings.worker.model_copy(update=worker)})
    supervisor = Supervisor(settings, use_uvloop=False)
    await supervisor.start()
    try:
        await csms.wait_booted(2, 30)
        assert [s.station_id for s in supervisor.plan] == ["CS-TEST-00001", "CS-TEST-00004"]
        outcome = await supervisor.add_stations("quick", 3, {})
        assert len(outcome.placed) == 3
        added = [s.station_id for s in supervisor.plan[2:]]
        assert added == ["CS-TEST-00002", "CS-TEST-00003", "CS-TEST-00005"]
        await csms.wait_booted(5, 30)
    finally:
        await supervisor.stop()
