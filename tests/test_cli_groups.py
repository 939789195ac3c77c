"""`evsim station|connection|atg|transaction|ocpp|simulator|performance`: each command group run
as a user runs it (a subprocess) against a live simulator and the bundled CSMS."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from tests.test_cli import evsim, finished
from tests.ui_fleet import UiFleet, running_fleet
from tests.waiting import eventually

pytestmark = [
    pytest.mark.integration,
    pytest.mark.process,
    pytest.mark.timeout(120),
    pytest.mark.asyncio(loop_scope="module"),
]

STATIONS = 4
REJECTED_TAG = "BLOCKED"


def station(number: int) -> str:
    return f"CS-TEST-{number:05d}"


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def fleet(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[UiFleet]:
    async with running_fleet(
        tmp_path_factory.mktemp("cli"),
        STATIONS,
        csms_options={"reject_id_tags": [REJECTED_TAG]},
    ) as running:
        yield running


async def cli(fleet: UiFleet, *args: str, url: str | None = None) -> tuple[int, str, str]:
    return await finished(await evsim(*args, "--url", url or fleet.ws_url))


async def cli_json(fleet: UiFleet, *args: str) -> dict[str, Any]:
    code, out, err = await cli(fleet, *args, "--json")
    assert code == 0, err + out
    result: dict[str, Any] = json.loads(out)
    return result


async def test_station_list_shows_a_table_of_the_stations(fleet: UiFleet) -> None:
    code, out, err = await cli(fleet, "station", "list")
    assert code == 0, err
    assert all(station(n) in out for n in range(1, STATIONS + 1))
    assert f"{STATIONS} stations" in out and "Accepted" in out


async def test_station_list_over_http_with_a_hash_id_prefix_gives_json(fleet: UiFleet) -> None:
    hash_id = fleet.hash_id(station(1))
    code, out, err = await cli(
        fleet, "station", "list", "--json", "--hash-id", hash_id[:10], url=fleet.http_url
    )
    assert code == 0, err
    assert hash_id in {s["stationInfo"]["hashId"] for s in json.loads(out)["chargingStations"]}


async def test_station_stop_and_start_address_stations_by_hash_id_prefix(fleet: UiFleet) -> None:
    hash_id = fleet.hash_id(station(2))
    stopped = await cli_json(fleet, "station", "stop", "--hash-id", hash_id[:8])
    assert stopped["hashIdsSucceeded"] == [hash_id]
    await fleet.csms.wait_until(lambda: station(2) not in fleet.csms.connected, 10)
    code, out, _ = await cli(fleet, "station", "start", "--hash-id", hash_id[:8])
    assert code == 0 and "1 succeeded" in out
    await fleet.csms.wait_until(lambda: station(2) in fleet.csms.connected, 20)


async def test_station_add_and_delete(fleet: UiFleet) -> None:
    added = await cli_json(
        fleet, "station", "add", "--template", "quick", "--count", "2", "--name-suffix=-CLI"
    )
    hash_ids = added["hashIdsSucceeded"]
    assert len(hash_ids) == 2
    await fleet.csms.wait_until(
        lambda: {f"CS-TEST-{n:05d}-CLI" for n in (5, 6)} <= fleet.csms.connected, 20
    )
    args = [arg for hash_id in hash_ids for arg in ("--hash-id", hash_id)]
    deleted = await cli_json(fleet, "station", "delete", *args)
    assert sorted(deleted["hashIdsSucceeded"]) == sorted(hash_ids)
    await fleet.csms.wait_until(lambda: not any("-CLI" in s for s in fleet.csms.connected), 20)


async def test_connection_close_and_open_by_station_id(fleet: UiFleet) -> None:
    await cli_json(fleet, "connection", "close", "--hash-id", station(3))
    await fleet.csms.wait_until(lambda: station(3) not in fleet.csms.connected, 10)
    await cli_json(fleet, "connection", "open", "--hash-id", station(3))
    await fleet.csms.wait_until(lambda: station(3) in fleet.csms.connected, 20)


async def test_atg_start_and_stop_on_a_connector(fleet: UiFleet) -> None:
    def running() -> list[bool]:
        data = fleet.data(station(4))["automaticTransactionGenerator"]
        return [s["start"] for s in data["automaticTransactionGeneratorStatuses"]]

    await cli_json(fleet, "atg", "start", "--hash-id", station(4), "--connector", "2")
    await eventually(lambda: running() == [False, True], 10, "ATG on connector 2")
    await cli_json(fleet, "atg", "stop", "--hash-id", station(4))
    await eventually(lambda: running() == [False, False], 10, "ATG stopped")


async def test_transaction_start_and_stop(fleet: UiFleet) -> None:
    await cli_json(
        fleet,
        "transaction",
        "start",
        "--hash-id",
        station(1),
        "--connector",
        "1",
        "--id-tag",
        "CLI-TAG",
    )
    await eventually(
        lambda: fleet.connector_status(station(1), 1).get("transactionStarted") is True,
        20,
        "started",
    )
    transaction_id = fleet.connector_status(station(1), 1)["transactionId"]
    await cli_json(
        fleet,
        "transaction",
        "stop",
        "--hash-id",
        station(1),
        "--transaction-id",
        str(transaction_id),
    )
    record = fleet.csms.report.transactions[transaction_id]
    await fleet.csms.wait_until(lambda: record.stopped, 20, "StopTransaction at the CSMS")


async def test_ocpp_commands_make_the_station_send_the_request(fleet: UiFleet) -> None:
    before = fleet.csms.report.stations[station(1)].received.get("Heartbeat", 0)
    await cli_json(fleet, "ocpp", "heartbeat", "--hash-id", station(1))
    await fleet.csms.wait_received(station(1), "Heartbeat", 10, count=before + 1)
    await cli_json(fleet, "ocpp", "authorize", "--hash-id", station(1), "--id-tag", "OK-TAG")
    await fleet.csms.wait_received(station(1), "Authorize", 10)
    await cli_json(
        fleet,
        "ocpp",
        "dataTransfer",
        "--hash-id",
        station(1),
        "--payload",
        '{"messageId": "cli"}',
    )
    calls = await fleet.csms.wait_received(station(1), "DataTransfer", 10)
    assert calls[-1].payload["messageId"] == "cli"
    await cli_json(
        fleet, "ocpp", "firmwareStatusNotification", "--hash-id", station(1), "--status", "Idle"
    )
    calls = await fleet.csms.wait_received(station(1), "FirmwareStatusNotification", 10)
    assert calls[-1].payload == {"status": "Idle"}


async def test_a_refused_request_exits_1_and_names_the_error(fleet: UiFleet) -> None:
    code, out, _ = await cli(
        fleet, "ocpp", "authorize", "--hash-id", station(1), "--id-tag", REJECTED_TAG
    )
    assert code == 1 and "Invalid" in out


async def test_an_unknown_station_exits_1_before_sending_anything(fleet: UiFleet) -> None:
    code, _, err = await cli(fleet, "station", "stop", "--hash-id", "no-such-station")
    assert code == 1 and "no such station" in err


async def test_a_payload_from_a_file_is_merged_and_bad_json_exits_2(
    fleet: UiFleet, tmp_path: Path
) -> None:
    payload = tmp_path / "payload.json"
    payload.write_text('{"connectorId": 2, "status": "Available"}')
    await cli_json(fleet, "ocpp", "statusNotification", "--connector", "1", f"--payload=@{payload}")
    code, _, err = await cli(fleet, "ocpp", "heartbeat", "--payload", "{nope")
    assert code == 2 and "--payload" in err


async def test_performance_stats_shows_each_command(fleet: UiFleet) -> None:
    await fleet.supervisor.wait_for(lambda s: "BootNotification" in s.totals.commands, 20)
    code, out, err = await cli(fleet, "performance", "stats")
    assert code == 0, err
    assert "BootNotification" in out and "p99 ms" in out


async def test_simulator_state_stop_and_start(fleet: UiFleet) -> None:
    code, out, err = await cli(fleet, "simulator", "state")
    assert code == 0, err
    assert "quick" in out and "started" in out
    await cli_json(fleet, "simulator", "stop")
    await fleet.csms.wait_until(lambda: not fleet.csms.connected, 20)
    assert (await cli_json(fleet, "simulator", "state"))["state"]["started"] is False
    await cli_json(fleet, "simulator", "start")
    await fleet.csms.wait_connected(STATIONS, 30)
