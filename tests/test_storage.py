"""Performance records through each storage type (issue 7): jsonfile, sqlite, mongodb, none."""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pymongo
import pytest
from loguru import logger

from simulator.config import PerformanceStorageSettings
from simulator.config_loading import load_settings
from simulator.csms import CentralSystem
from simulator.stats import Statistics, statistics_data
from simulator.storage import (
    DEFAULT_MONGODB_URI,
    JsonFileStorage,
    MongoStorage,
    NoStorage,
    PerformanceRecord,
    PerformanceStorage,
    SqliteStorage,
    StorageUriError,
    make_storage,
    storage_location,
)
from simulator.supervisor import Supervisor
from tests.fleet import quick_template, write_fleet
from tests.mongodb import MongoProcess, free_port
from tests.waiting import eventually

RECORD_KEYS = {"id", "name", "uri", "createdAt", "updatedAt", "statisticsData"}
COMMAND_KEYS = {
    "requestCount",
    "responseCount",
    "errorCount",
    "timeoutCount",
    "timeMeasurementCount",
    "currentTimeMeasurement",
    "minTimeMeasurement",
    "maxTimeMeasurement",
    "totalTimeMeasurement",
    "avgTimeMeasurement",
    "medTimeMeasurement",
    "ninetyFiveThPercentileTimeMeasurement",
    "ninetyNineThPercentileTimeMeasurement",
    "stdDevTimeMeasurement",
}
T0 = datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)


def sample_statistics() -> Statistics:
    statistics = Statistics()
    heartbeat = statistics.command("Heartbeat")
    heartbeat.requests, heartbeat.responses, heartbeat.timeouts = 3, 2, 1
    for value in (1200, 2500):
        heartbeat.latency_us.record(value)
    boot = statistics.command("BootNotification")
    boot.requests = boot.errors = 1
    boot.latency_us.record(40_000)
    return statistics


def record(station: int, updated: datetime = T0) -> PerformanceRecord:
    return PerformanceRecord(
        id=f"hash-{station}",
        name=f"CS-TEST-{station:05d}",
        uri=f"ws://127.0.0.1:9000/CS-TEST-{station:05d}",
        created_at=T0,
        updated_at=updated,
        statistics_data=statistics_data(sample_statistics()),
    )


@pytest.fixture(params=["jsonfile", "sqlite", "mongodb"])
async def storage(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[PerformanceStorage]:
    kind: str = request.param
    sink: PerformanceStorage
    if kind == "jsonfile":
        sink = JsonFileStorage(str(tmp_path / "records.json"))
    elif kind == "sqlite":
        sink = SqliteStorage(str(tmp_path / "records.db"))
    else:
        uri = request.getfixturevalue("mongodb_uri")
        sink = MongoStorage(f"{uri}evsim_{uuid.uuid4().hex[:12]}")
    await sink.open()
    yield sink
    await sink.close()


# -- the records -------------------------------------------------------------------------------


def test_statistics_data_has_the_documented_fields_per_command() -> None:
    data = statistics_data(sample_statistics())
    assert list(data) == ["BootNotification", "Heartbeat"]
    assert all(set(fields) == COMMAND_KEYS for fields in data.values())


def test_statistics_data_reports_times_in_milliseconds() -> None:
    heartbeat = statistics_data(sample_statistics())["Heartbeat"]
    assert heartbeat["requestCount"] == 3
    assert heartbeat["responseCount"] == 2
    assert heartbeat["timeoutCount"] == 1
    assert heartbeat["timeMeasurementCount"] == 2
    assert heartbeat["minTimeMeasurement"] == 1.2
    assert heartbeat["maxTimeMeasurement"] == 2.5
    assert heartbeat["currentTimeMeasurement"] == 2.5
    assert heartbeat["totalTimeMeasurement"] == 3.7
    assert heartbeat["avgTimeMeasurement"] == 1.85


def test_a_record_document_has_the_documented_keys() -> None:
    assert set(record(1).to_document()) == RECORD_KEYS


# -- round trips -------------------------------------------------------------------------------


async def test_records_round_trip(storage: PerformanceStorage) -> None:
    records = [record(1), record(2)]
    await storage.write(records)
    assert await storage.read() == records


async def test_a_record_is_upserted_by_id(storage: PerformanceStorage) -> None:
    await storage.write([record(1)])
    later = record(1, updated=T0 + timedelta(seconds=60))
    await storage.write([later])
    assert await storage.read() == [later]


async def test_an_empty_write_leaves_the_storage_empty(storage: PerformanceStorage) -> None:
    await storage.write([])
    assert await storage.read() == []


@pytest.mark.key("performanceStorage.type")
async def test_jsonfile_writes_an_array_of_documented_records(tmp_path: Path) -> None:
    path = tmp_path / "records.json"
    sink = JsonFileStorage(str(path))
    await sink.open()
    await sink.write([record(1)])
    await sink.close()
    documents = json.loads(path.read_text())
    assert isinstance(documents, list)
    assert set(documents[0]) == RECORD_KEYS
    assert set(documents[0]["statisticsData"]["Heartbeat"]) == COMMAND_KEYS
    assert os.listdir(tmp_path) == ["records.json"]  # no temporary file left


async def test_jsonfile_keeps_the_records_of_an_earlier_run(tmp_path: Path) -> None:
    path = str(tmp_path / "records.json")
    first = JsonFileStorage(path)
    await first.open()
    await first.write([record(1)])
    await first.close()
    second = JsonFileStorage(path)
    await second.open()
    await second.write([record(2)])
    await second.close()
    assert [r.id for r in await JsonFileStorage(path).read()] == ["hash-1", "hash-2"]


@pytest.mark.key("performanceStorage.type")
async def test_sqlite_keeps_records_in_a_performance_records_table(tmp_path: Path) -> None:
    path = tmp_path / "records.db"
    sink = SqliteStorage(str(path))
    await sink.open()
    await sink.write([record(1)])
    await sink.close()
    with sqlite3.connect(path) as db:
        rows = db.execute("SELECT id, name FROM performance_records").fetchall()
    assert rows == [("hash-1", "CS-TEST-00001")]


@pytest.mark.key("performanceStorage.type")
async def test_mongodb_upserts_into_performance_records_by_id(mongodb_uri: str) -> None:
    database = f"evsim_{uuid.uuid4().hex[:12]}"
    sink = MongoStorage(f"{mongodb_uri}{database}")
    await sink.open()
    await sink.write([record(1)])
    await sink.write([record(1, updated=T0 + timedelta(seconds=5))])
    await sink.close()
    with pymongo.MongoClient(mongodb_uri) as client:
        documents = list(client[database]["performance_records"].find())
    assert len(documents) == 1
    assert documents[0]["_id"] == "hash-1"
    assert set(documents[0]) - {"_id"} == RECORD_KEYS - {"id"}


@pytest.mark.key("performanceStorage.type")
async def test_none_keeps_nothing() -> None:
    sink = NoStorage("")
    await sink.open()
    await sink.write([record(1)])
    assert await sink.read() == []
    await sink.close()


async def test_a_killed_mongodb_server_is_survived_and_the_records_are_written_later() -> None:
    server = MongoProcess(free_port())
    await asyncio.to_thread(server.start)
    sink = MongoStorage(server.uri)
    try:
        await sink.open()
        await sink.write([record(1)])
        await asyncio.to_thread(server.kill)
        # The server is gone: the write returns (logged), it does not raise.
        await sink.write([record(2)])
        await asyncio.to_thread(server.start)  # a new, empty server on the same port
        await sink.write([record(3)])
        assert [r.id for r in await sink.read()] == ["hash-2", "hash-3"]
    finally:
        await sink.close()
        await asyncio.to_thread(server.kill)


# -- where the records go ----------------------------------------------------------------------


@pytest.mark.key("stateDir")
def test_jsonfile_defaults_to_the_state_directory(tmp_path: Path) -> None:
    assert storage_location("jsonfile", None, tmp_path) == str(tmp_path / "performanceRecords.json")


def test_the_ts_default_uri_means_the_default_file_not_the_disk_root(tmp_path: Path) -> None:
    location = storage_location("jsonfile", "file:///performanceRecords.json", tmp_path)
    assert location == str(tmp_path / "performanceRecords.json")


@pytest.mark.key("performanceStorage.uri")
def test_a_file_uri_names_an_absolute_path(tmp_path: Path) -> None:
    assert storage_location("jsonfile", f"file://{tmp_path}/r.json", Path("x")) == str(
        tmp_path / "r.json"
    )


@pytest.mark.key("stateDir")
def test_a_relative_path_is_under_the_state_directory(tmp_path: Path) -> None:
    assert storage_location("jsonfile", "out/r.json", tmp_path) == str(tmp_path / "out/r.json")


@pytest.mark.key("performanceStorage.uri")
def test_sqlite_uris_read_as_sqlalchemy_reads_them(tmp_path: Path) -> None:
    assert storage_location("sqlite", "sqlite:///r.db", tmp_path) == str(tmp_path / "r.db")
    assert storage_location("sqlite", f"sqlite:///{tmp_path}/r.db", Path("x")) == str(
        tmp_path / "r.db"
    )


def test_mongodb_defaults_to_localhost() -> None:
    assert storage_location("mongodb", None, Path()) == DEFAULT_MONGODB_URI


@pytest.mark.parametrize(
    ("kind", "uri"),
    [("jsonfile", "sqlite:///r.db"), ("sqlite", "file:///r.json"), ("mongodb", "http://x/")],
)
def test_a_uri_of_another_type_is_refused(kind: str, uri: str) -> None:
    with pytest.raises(StorageUriError):
        storage_location(kind, uri, Path())


@pytest.mark.key("performanceStorage.enabled")
def test_a_disabled_storage_is_none(tmp_path: Path) -> None:
    settings = PerformanceStorageSettings(enabled=False, type="sqlite")
    assert isinstance(make_storage(settings, tmp_path), NoStorage)


# -- the supervisor writes them ----------------------------------------------------------------


@pytest.mark.integration
@pytest.mark.process
@pytest.mark.timeout(60)
async def test_the_supervisor_writes_one_record_per_station_at_shutdown(tmp_path: Path) -> None:
    records = tmp_path / "records.json"
    async with CentralSystem(heartbeat_interval=60) as csms:
        path = write_fleet(
            tmp_path,
            csms.url,
            {"quick.json": (quick_template(), 3)},
            worker={"processType": "staticPool", "poolMaxSize": 2},
            performanceStorage={"enabled": True, "type": "jsonfile", "uri": f"file://{records}"},
        )
        supervisor = Supervisor(load_settings(path, environ={}), use_uvloop=False)
        await supervisor.start()
        try:
            await supervisor.wait_for(lambda s: s.counts().booted == 3, 30)
            await csms.wait_received(supervisor.plan[0].station_id, "StatusNotification", 10, 3)
        finally:
            await supervisor.stop()
    written = {r.name: r for r in await JsonFileStorage(str(records)).read()}
    assert set(written) == {spec.station_id for spec in supervisor.plan}
    first = written[supervisor.plan[0].station_id]
    assert first.id == supervisor.plan[0].hash_id
    assert first.uri == supervisor.plan[0].ws_url
    assert first.statistics_data["BootNotification"]["responseCount"] == 1
    assert first.statistics_data["StatusNotification"]["responseCount"] == 3


@pytest.mark.integration
@pytest.mark.process
@pytest.mark.timeout(60)
async def test_a_fleet_runs_and_stops_while_its_mongodb_is_unreachable(tmp_path: Path) -> None:
    nobody = f"mongodb://127.0.0.1:{free_port()}/evsim"
    async with CentralSystem(heartbeat_interval=60) as csms:
        path = write_fleet(
            tmp_path,
            csms.url,
            {"quick.json": (quick_template(), 2)},
            logStatisticsInterval=1,
            performanceStorage={"enabled": True, "type": "mongodb", "uri": nobody},
        )
        supervisor = Supervisor(load_settings(path, environ={}), use_uvloop=False)
        warnings: list[str] = []
        sink = logger.add(lambda m: warnings.append(m.record["message"]), level="WARNING")
        await supervisor.start()
        try:
            await eventually(lambda: any("write failed" in w for w in warnings), 30)
            assert supervisor.counts().booted == 2
        finally:
            await supervisor.stop()
            logger.remove(sink)
    assert supervisor.performance.storage.kind == "none"  # closed after the last attempt
