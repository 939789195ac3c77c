"""`evsim ui` against every instance of a sharded fleet."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from pathlib import Path

import pytest

from simulator.csms import CentralSystem
from simulator.ui.fanout import expand_urls, merge_responses
from tests.fleet import quick_template, write_fleet
from tests.test_cli import free_port


def test_a_name_with_several_addresses_stands_for_one_instance_per_address() -> None:
    def resolve(host: str, port: int) -> list[str]:
        return {"evsim.svc": ["10.0.0.1", "10.0.0.2"]}.get(host, ["127.0.0.1"])

    assert expand_urls(["ws://evsim.svc:8080", "http://localhost:9000"], resolve) == [
        "ws://10.0.0.1:8080",
        "ws://10.0.0.2:8080",
        "http://localhost:9000",
    ]


def test_merged_answers_join_station_lists_and_fail_when_one_instance_fails() -> None:
    merged = merge_responses(
        {
            "a": {"status": "success", "hashIdsSucceeded": ["h1"]},
            "b": {"status": "failure", "hashIdsSucceeded": ["h2"], "hashIdsFailed": ["h3"]},
        }
    )
    assert merged["status"] == "failure"
    assert merged["hashIdsSucceeded"] == ["h1", "h2"] and merged["hashIdsFailed"] == ["h3"]


def test_an_unreachable_instance_is_named_in_the_failure() -> None:
    merged = merge_responses({"a": {"status": "success"}, "ws://b": "unreachable (refused)"})
    assert merged["status"] == "failure" and "ws://b" in merged["errorMessage"]


@pytest.mark.integration
@pytest.mark.process
@pytest.mark.timeout(180)
async def test_ui_lists_the_stations_of_every_shard(tmp_path: Path) -> None:
    ports = [free_port(), free_port()]
    async with CentralSystem() as csms:
        processes = []
        for index, port in enumerate(ports):
            directory = tmp_path / f"shard{index}"
            path = write_fleet(
                directory,
                csms.url,
                {"ac.json": (quick_template(), 4)},
                uiServer={"enabled": True, "options": {"host": "127.0.0.1", "port": port}},
                shardIndex=index,
                shardCount=2,
            )
            processes.append(
                await asyncio.create_subprocess_exec(
                    sys.executable,
                    "-m",
                    "simulator",
                    "run",
                    "--config",
                    str(path),
                    "--no-uvloop",
                    stdout=asyncio.subprocess.DEVNULL,
                    stderr=asyncio.subprocess.DEVNULL,
                )
            )
        try:
            await csms.wait_booted(4, 90)
            ui = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "simulator",
                "ui",
                "listChargingStations",
                "--url",
                f"ws://127.0.0.1:{ports[0]}",
                "--url",
                f"http://127.0.0.1:{ports[1]}",
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                env={**os.environ, "NO_COLOR": "1"},
            )
            out, err = await asyncio.wait_for(ui.communicate(), 60)
            assert ui.returncode == 0, err.decode()
            answer = json.loads(out)
            ids = sorted(s["stationInfo"]["chargingStationId"] for s in answer["chargingStations"])
            assert ids == [f"CS-TEST-{i:05d}" for i in range(1, 5)]
            assert len(answer["instances"]) == 2
        finally:
            for process in processes:
                process.send_signal(signal.SIGTERM)
            for process in processes:
                await asyncio.wait_for(process.wait(), 60)
