"""Shards: N instances with one config split the fleet into disjoint, stable blocks."""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import os
import signal
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from simulator.cli import load_sharded
from simulator.config_error import ConfigError
from simulator.config_loading import load_settings
from simulator.csms import CentralSystem
from simulator.plan import plan_stations
from simulator.shards import orchestrated_shard_index, shard_block
from tests.fleet import quick_template, write_fleet


@pytest.mark.key("shardCount")
@given(st.integers(0, 5000), st.integers(1, 64))
def test_shard_blocks_partition_the_stations_contiguously(count: int, shards: int) -> None:
    blocks = [shard_block(count, i, shards) for i in range(shards)]
    assert [p for block in blocks for p in block] == list(range(count))
    sizes = [len(block) for block in blocks]
    assert max(sizes) - min(sizes) <= 1


def test_kubernetes_indexed_job_gives_the_shard_index() -> None:
    assert orchestrated_shard_index({"JOB_COMPLETION_INDEX": "4"}, "evsim-abcde") == 4


def test_statefulset_ordinal_in_the_hostname_gives_the_shard_index() -> None:
    assert orchestrated_shard_index({}, "evsim-12") == 12
    assert orchestrated_shard_index({}, "laptop") is None


def two_template_fleet(tmp_path: Path, **config: object) -> Path:
    dc = quick_template(baseName="CS-DC", numberOfConnectors=1)
    return write_fleet(
        tmp_path,
        "ws://127.0.0.1:1",
        {"ac.json": (quick_template(), 7), "dc.json": (dc, 4)},
        supervisionUrls=["ws://127.0.0.1:1", "ws://127.0.0.1:2", "ws://127.0.0.1:3"],
        supervisionUrlDistribution="round-robin",
        **config,
    )


@pytest.mark.key("shardIndex")
def test_shards_are_disjoint_and_their_union_is_the_unsharded_fleet(tmp_path: Path) -> None:
    path = two_template_fleet(tmp_path)
    whole = {s.station_id: s for s in plan_stations(load_settings(path, environ={}))}
    seen: list[str] = []
    for index in range(3):
        settings = load_settings(path, {"shardIndex": index, "shardCount": 3}, environ={})
        for spec in plan_stations(settings):
            seen.append(spec.station_id)
            unsharded = whole[spec.station_id]
            # Same identity, seed and CSMS endpoint as without shards.
            assert (spec.hash_id, spec.seed, spec.supervision_url, spec.global_index) == (
                unsharded.hash_id,
                unsharded.seed,
                unsharded.supervision_url,
                unsharded.global_index,
            )
    assert sorted(seen) == sorted(whole)


@pytest.mark.key("shardIndex")
def test_a_shard_index_outside_the_shard_count_is_a_config_error(tmp_path: Path) -> None:
    settings = load_settings(two_template_fleet(tmp_path), {"shardIndex": 3, "shardCount": 3}, {})
    with pytest.raises(ConfigError, match="shardIndex"):
        plan_stations(settings)


def test_a_statefulset_pod_takes_its_ordinal_when_no_index_is_given(tmp_path: Path) -> None:
    path = two_template_fleet(tmp_path, shardCount=3)
    args = argparse.Namespace(shard_index=None, shard_count=None)
    settings, overrides = load_sharded(path, {}, args, environ={}, hostname="evsim-2")
    assert settings.shard_index == 2 and overrides["shardIndex"] == 2


async def evsim(*args: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "simulator",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "NO_COLOR": "1"},
    )


async def test_export_writes_one_csv_row_per_station_of_the_shard(tmp_path: Path) -> None:
    path = two_template_fleet(tmp_path)
    process = await evsim(
        "stations", "export", "--config", str(path), "--shard-index", "0", "--shard-count", "2"
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, err.decode()
    rows = list(csv.DictReader(io.StringIO(out.decode())))
    assert [r["stationId"] for r in rows] == [
        "CS-TEST-00001",
        "CS-TEST-00002",
        "CS-TEST-00003",
        "CS-DC-00001",
        "CS-DC-00002",
    ]
    assert set(rows[0]) >= {"stationId", "hashId", "supervisionUrl", "supervisionUser"}


@pytest.mark.key("shardCount")
@pytest.mark.integration
@pytest.mark.process
@pytest.mark.timeout(180)
async def test_three_shards_boot_the_fleet_once_and_a_restarted_shard_gets_its_ids_back(
    tmp_path: Path,
) -> None:
    async with CentralSystem() as csms:
        path = write_fleet(
            tmp_path,
            csms.url,
            {"ac.json": (quick_template(), 9)},
            worker={"processType": "staticPool", "poolMaxSize": 1},
        )
        whole = {s.station_id for s in plan_stations(load_settings(path, environ={}))}

        def start(index: int) -> asyncio.Future[asyncio.subprocess.Process]:
            return asyncio.ensure_future(
                evsim(
                    "run",
                    "--config",
                    str(path),
                    "--no-uvloop",
                    "--shard-index",
                    str(index),
                    "--shard-count",
                    "3",
                )
            )

        shards = [await start(i) for i in range(3)]
        try:
            await csms.wait_booted(9, 90)
            assert set(csms.report.stations) == whole
            first_ids = {sid for sid in whole if csms.received(sid, "BootNotification")}
            assert first_ids == whole
            shards[1].send_signal(signal.SIGTERM)
            await asyncio.wait_for(shards[1].wait(), 30)
            shard1 = {
                s.station_id
                for s in plan_stations(
                    load_settings(path, {"shardIndex": 1, "shardCount": 3}, environ={})
                )
            }
            await csms.wait_until(lambda: not (shard1 & csms.connected), 20)
            shards[1] = await start(1)
            await csms.wait_until(
                lambda: all(len(csms.received(s, "BootNotification")) == 2 for s in shard1),
                60,
                "shard 1 booted again",
            )
            again = {s for s in whole if len(csms.received(s, "BootNotification")) == 2}
            assert again == shard1 and len(shard1) == 3
        finally:
            for process in shards:
                if process.returncode is None:
                    process.send_signal(signal.SIGTERM)
            for process in shards:
                _, err = await asyncio.wait_for(process.communicate(), 60)
                print(err.decode()[-2000:])  # shown by pytest when the test fails
