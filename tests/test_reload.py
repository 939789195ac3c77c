"""Live reload (issue 7): config.json, station templates and authorization tag files edited
while the simulator runs; a broken edit is refused and the running configuration kept."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from loguru import logger

from simulator.config import Settings
from simulator.config_loading import load_settings
from simulator.csms import CentralSystem
from simulator.file_watch import FileWatcher
from simulator.live_reload import LiveReload, read_id_tags
from simulator.plan import plan_stations
from simulator.storage import JsonFileStorage
from simulator.supervisor import Supervisor
from tests.fleet import quick_template, write_fleet
from tests.waiting import eventually

WAIT = 30.0


def replace_file(path: Path, text: str) -> None:
    """As editors and atomic writers save: a temporary file renamed over the old one."""
    temporary = path.with_name(f".{path.name}.swp")
    temporary.write_text(text)
    os.replace(temporary, path)


def edit_json(path: Path, **changes: Any) -> None:
    data = json.loads(path.read_text())
    data.update(changes)
    replace_file(path, json.dumps(data))


@pytest.fixture
def errors() -> Iterator[list[str]]:
    """The ERROR lines logged during the test."""
    lines: list[str] = []
    sink = logger.add(lambda message: lines.append(message.record["message"]), level="ERROR")
    yield lines
    logger.remove(sink)


# -- the watcher -------------------------------------------------------------------------------


@dataclass
class Changes:
    seen: list[Path] = field(default_factory=list)
    event: asyncio.Event = field(default_factory=asyncio.Event)

    async def __call__(self, path: Path) -> None:
        self.seen.append(path)
        self.event.set()


@pytest.fixture
async def watched(tmp_path: Path) -> AsyncIterator[tuple[FileWatcher, Changes, Path]]:
    target = tmp_path / "config.json"
    target.write_text("{}")
    changes = Changes()
    watcher = FileWatcher(changes, debounce=0.05)
    watcher.start()
    watcher.watch([target])
    yield watcher, changes, target
    await watcher.stop()


async def test_a_file_written_in_place_is_a_change(
    watched: tuple[FileWatcher, Changes, Path],
) -> None:
    _, changes, target = watched
    target.write_text('{"a": 1}')
    await asyncio.wait_for(changes.event.wait(), 10)
    assert changes.seen == [target.resolve()]


async def test_a_file_replaced_by_a_rename_is_a_change(
    watched: tuple[FileWatcher, Changes, Path],
) -> None:
    _, changes, target = watched
    replace_file(target, '{"a": 2}')
    await asyncio.wait_for(changes.event.wait(), 10)
    assert changes.seen == [target.resolve()]


async def test_a_burst_of_writes_is_one_change(
    watched: tuple[FileWatcher, Changes, Path],
) -> None:
    _, changes, target = watched
    for i in range(5):
        target.write_text(f'{{"a": {i}}}')
    await asyncio.wait_for(changes.event.wait(), 10)
    await asyncio.sleep(0.3)  # a second change would have settled by now
    assert changes.seen == [target.resolve()]


async def test_other_files_in_the_directory_are_ignored(
    watched: tuple[FileWatcher, Changes, Path],
) -> None:
    _, changes, target = watched
    (target.parent / "other.json").write_text("{}")
    target.write_text('{"a": 3}')
    await asyncio.wait_for(changes.event.wait(), 10)
    await asyncio.sleep(0.2)
    assert changes.seen == [target.resolve()]


# -- a running fleet ---------------------------------------------------------------------------


@dataclass
class Fleet:
    supervisor: Supervisor
    csms: CentralSystem
    config: Path
    template: Path
    directory: Path

    def config_data(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.config.read_text())
        return data


@pytest.fixture
async def fleet(tmp_path: Path) -> AsyncIterator[Fleet]:
    async with CentralSystem(heartbeat_interval=60) as csms:
        config = write_fleet(
            tmp_path,
            csms.url,
            {"quick.json": (quick_template(), 2)},
            worker={"processType": "staticPool", "poolMaxSize": 1},
        )
        supervisor = Supervisor(
            load_settings(config, environ={}),
            use_uvloop=False,
            reload_settings=lambda: load_settings(config, environ={}),
        )
        await supervisor.start()
        try:
            await csms.wait_booted(2, WAIT)
            yield Fleet(supervisor, csms, config, tmp_path / "templates" / "quick.json", tmp_path)
        finally:
            await supervisor.stop()


def template_entries(count: int) -> list[dict[str, Any]]:
    return [{"file": "quick.json", "numberOfStations": count}]


@pytest.mark.key("stationTemplateUrls[].numberOfStations")
@pytest.mark.integration
@pytest.mark.process
async def test_a_higher_station_count_in_config_json_adds_stations(fleet: Fleet) -> None:
    edit_json(fleet.config, stationTemplateUrls=template_entries(3))
    await fleet.csms.wait_booted(3, WAIT)
    await fleet.supervisor.wait_for(lambda s: s.counts().booted == 3, WAIT)
    assert len(fleet.supervisor.plan) == 3


@pytest.mark.integration
@pytest.mark.process
async def test_a_lower_station_count_in_config_json_removes_stations(fleet: Fleet) -> None:
    last = fleet.supervisor.plan[-1]
    edit_json(fleet.config, stationTemplateUrls=template_entries(1))
    await fleet.csms.wait_until(lambda: len(fleet.csms.connected) == 1, WAIT, "one station left")
    assert last.station_id not in fleet.csms.connected
    await fleet.supervisor.wait_for(lambda s: last.hash_id not in s.stations, WAIT)


@pytest.mark.key("logStatisticsInterval", "performanceStorage.enabled", "performanceStorage")
@pytest.mark.integration
@pytest.mark.process
async def test_a_storage_enabled_in_config_json_receives_the_records(fleet: Fleet) -> None:
    records = fleet.directory / "records.json"
    edit_json(
        fleet.config,
        performanceStorage={"enabled": True, "type": "jsonfile", "uri": f"file://{records}"},
        logStatisticsInterval=1,
    )
    await eventually(lambda: fleet.supervisor.settings.performance_storage.enabled, WAIT)
    assert fleet.supervisor.pool is not None
    await fleet.supervisor.stop()
    written = await JsonFileStorage(str(records)).read()
    assert {r.id for r in written} == {spec.hash_id for spec in fleet.supervisor.plan}


@pytest.mark.key("logLevel")
@pytest.mark.integration
@pytest.mark.process
async def test_a_lower_log_level_in_config_json_reaches_the_workers(fleet: Fleet) -> None:
    log_file = fleet.config.parent / "combined.log"  # logFile's default, beside config.json
    station = fleet.supervisor.plan[0]
    edit_json(fleet.config, logLevel="debug")
    await eventually(lambda: fleet.supervisor.settings.log_level == "debug", WAIT)
    await fleet.supervisor.request("closeConnection", [station.hash_id])
    await fleet.supervisor.request("openConnection", [station.hash_id])
    await eventually(
        lambda: f"Connected to {station.ws_url}" in log_file.read_text(),
        WAIT,
        "a worker's debug line in the log file",
    )


@pytest.mark.key("worker")
@pytest.mark.integration
@pytest.mark.process
async def test_a_changed_worker_section_restarts_the_workers(fleet: Fleet) -> None:
    edit_json(fleet.config, worker={"processType": "staticPool", "poolMaxSize": 2})
    await fleet.supervisor.wait_for(
        lambda s: s.pool is not None and s.pool.worker_count == 2 and s.counts().booted == 2, WAIT
    )
    await fleet.csms.wait_until(
        lambda: all(
            len(fleet.csms.received(spec.station_id, "BootNotification")) == 2
            for spec in fleet.supervisor.plan
        ),
        WAIT,
        "every station booted again",
    )


@pytest.mark.integration
@pytest.mark.process
async def test_a_broken_config_json_is_refused_and_the_running_one_kept(
    fleet: Fleet, errors: list[str]
) -> None:
    before = fleet.supervisor.settings
    good = fleet.config_data()
    fleet.config.write_text('{"stationTemplateUrls": [')
    await eventually(lambda: bool(errors), WAIT, "the refusal logged")
    assert len(errors) == 1
    assert "not reloaded" in errors[0] and str(fleet.config) in errors[0]
    assert fleet.supervisor.settings is before
    # The watch goes on: the next good edit applies.
    replace_file(fleet.config, json.dumps({**good, "stationTemplateUrls": template_entries(3)}))
    await fleet.csms.wait_booted(3, WAIT)


@pytest.mark.integration
@pytest.mark.process
async def test_a_config_json_with_an_invalid_value_is_refused(
    fleet: Fleet, errors: list[str]
) -> None:
    edit_json(fleet.config, worker={"processType": "noSuchPool"})
    await eventually(lambda: bool(errors), WAIT, "the refusal logged")
    assert "worker.processType" in errors[0]
    assert fleet.supervisor.settings.worker.process_type == "staticPool"


@pytest.mark.integration
@pytest.mark.process
async def test_a_template_edit_reaches_the_stations_at_their_next_connection(
    fleet: Fleet,
) -> None:
    station = fleet.supervisor.plan[0]
    first_boot = fleet.csms.received(station.station_id, "BootNotification")[0].payload
    edit_json(fleet.template, firmwareVersion="2.0.0")
    await eventually(
        lambda: fleet.supervisor.plan[0].template.firmware_version == "2.0.0",
        WAIT,
        "the template reloaded",
    )
    await fleet.supervisor.request("closeConnection", [station.hash_id])
    await fleet.supervisor.request("openConnection", [station.hash_id])
    boots = await fleet.csms.wait_received(station.station_id, "BootNotification", WAIT, 2)
    assert boots[-1].payload["firmwareVersion"] == "2.0.0"
    assert boots[-1].payload["chargePointSerialNumber"] == first_boot["chargePointSerialNumber"]


@pytest.mark.integration
@pytest.mark.process
async def test_a_broken_template_is_refused_and_the_stations_keep_theirs(
    fleet: Fleet, errors: list[str]
) -> None:
    edit_json(fleet.template, numberOfConnectors="many")
    await eventually(lambda: bool(errors), WAIT, "the refusal logged")
    assert "Template not reloaded" in errors[0] and "numberOfConnectors" in errors[0]
    assert fleet.supervisor.plan[0].template.number_of_connectors == 2


# -- authorization tag files -------------------------------------------------------------------


def generator_template() -> dict[str, Any]:
    """One connector, the ATG on: sessions of 1-2 s, at most 1 s apart, each Authorized."""
    return quick_template(
        authorizationFile="idtags.json",
        numberOfConnectors=1,
        Connectors={"0": {}, "1": {}},
        AutomaticTransactionGenerator={
            "enable": True,
            "minDuration": 1,
            "maxDuration": 2,
            "minDelayBetweenTwoTransactions": 0,
            "maxDelayBetweenTwoTransactions": 1,
            "probabilityOfStart": 1,
            "stopAfterHours": 1,
            "requireAuthorize": True,
        },
    )


@pytest.mark.key("authorizationFile")
@pytest.mark.integration
@pytest.mark.process
async def test_an_edited_id_tag_file_changes_the_tags_the_stations_charge_with(
    tmp_path: Path,
) -> None:
    async with CentralSystem(heartbeat_interval=60) as csms:
        config = write_fleet(tmp_path, csms.url, {"atg.json": (generator_template(), 1)})
        tags = config.parent / "idtags.json"
        tags.write_text('["OLD-TAG"]')
        supervisor = Supervisor(
            load_settings(config, environ={}),
            use_uvloop=False,
            reload_settings=lambda: load_settings(config, environ={}),
        )
        await supervisor.start()
        try:
            await csms.wait_until(lambda: bool(csms.report.transactions), WAIT, "a transaction")
            replace_file(tags, '["NEW-TAG"]')
            await csms.wait_until(
                lambda: any(t.id_tag == "NEW-TAG" for t in csms.report.transactions.values()),
                WAIT,
                "a transaction with the new tag",
            )
        finally:
            await supervisor.stop()


@dataclass
class RecordingSupervisor:
    """The part of the supervisor LiveReload uses, recording the requests it is sent: the
    request itself, without workers."""

    settings: Settings
    plan: list[Any]
    started: bool = True
    requests: list[tuple[str, Any, dict[str, Any]]] = field(default_factory=list)
    sent: asyncio.Event = field(default_factory=asyncio.Event)

    async def request(self, procedure: str, hash_ids: Any, **payload: Any) -> dict[str, Any]:
        self.requests.append((procedure, hash_ids, payload))
        self.sent.set()
        return {"succeeded": [], "failed": []}


@pytest.fixture
async def tags_reload(tmp_path: Path) -> AsyncIterator[tuple[RecordingSupervisor, Path]]:
    tags = tmp_path / "config" / "idtags.json"
    tags.parent.mkdir(parents=True)
    tags.write_text('["TAG-1"]')
    config = write_fleet(
        tmp_path,
        "ws://127.0.0.1:9/",
        {"quick.json": (quick_template(authorizationFile="idtags.json"), 2)},
    )
    settings = load_settings(config, environ={})
    supervisor = RecordingSupervisor(settings, plan_stations(settings))
    reload = LiveReload(supervisor, lambda: settings)  # type: ignore[arg-type]
    await reload.start()
    yield supervisor, tags
    await reload.stop()


async def test_an_edited_id_tag_file_is_sent_to_the_stations(
    tags_reload: tuple[RecordingSupervisor, Path],
) -> None:
    supervisor, tags = tags_reload
    replace_file(tags, '["TAG-1", "TAG-2"]')
    await asyncio.wait_for(supervisor.sent.wait(), WAIT)
    assert supervisor.requests == [
        (
            "setIdTags",
            None,
            {
                "authorizationFile": supervisor.plan[0].authorization_file,
                "idTags": ["TAG-1", "TAG-2"],
            },
        )
    ]


async def test_a_broken_id_tag_file_is_refused(
    tags_reload: tuple[RecordingSupervisor, Path], errors: list[str]
) -> None:
    supervisor, tags = tags_reload
    tags.write_text('{"not": "a list"}')
    await eventually(lambda: bool(errors), WAIT, "the refusal logged")
    assert "expected a JSON array of id tag strings" in errors[0]
    assert supervisor.requests == []


def test_id_tags_are_a_json_array_of_strings(tmp_path: Path) -> None:
    path = tmp_path / "tags.json"
    path.write_text('["A", "B"]')
    assert read_id_tags(path) == ["A", "B"]
