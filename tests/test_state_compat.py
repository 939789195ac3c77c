"""A state file written by an earlier evsim restores unchanged (issue 14: the station core's
refactoring keeps one persisted document for every version).

tests/data/state-ebd1ce3.json was written by commit ebd1ce3 (the last commit before the station
core work) for the quick template's first station: HeartbeatInterval changed to 77, a Full local
list at version 3, TAG-A in the authorization cache, a ChargePointMaxProfile of 7,000 W,
connector 2 Inoperative, and, offline, a stopped transaction plus an open one whose messages wait
in the transaction queue."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest

from simulator.plan import StationSpec
from simulator.station.persistence import state_path
from tests.test_persistence import Run, keys, spec_of

pytestmark = pytest.mark.timeout(30)

BASE_STATE = Path(__file__).parent / "data" / "state-ebd1ce3.json"
QUEUED = [
    "StartTransaction",
    "MeterValues",
    "MeterValues",
    "MeterValues",
    "StopTransaction",
    "StartTransaction",
    "MeterValues",
]


def restored(tmp_path: Path) -> Run:
    spec: StationSpec = spec_of(
        tmp_path,
        Configuration=keys(AuthorizationCacheEnabled="true", MeterValueSampleInterval="10"),
    )
    path = state_path(tmp_path / "state", spec.hash_id)
    path.parent.mkdir(parents=True)
    shutil.copy(BASE_STATE, path)
    return Run(spec, tmp_path / "state")


async def test_the_base_state_files_configuration_key_is_restored(tmp_path: Path) -> None:
    run = restored(tmp_path)
    assert run.station.configuration.get("HeartbeatInterval") == "77"
    await run.kill()


async def test_the_base_state_files_local_list_and_cache_are_restored(tmp_path: Path) -> None:
    run = restored(tmp_path)
    state = run.station.authorization.state
    assert (state.list_version, list(state.local_list), list(state.cache)) == (
        3,
        ["LIST-1"],
        ["TAG-A"],
    )
    await run.kill()


async def test_the_base_state_files_charging_profile_limits_the_power(tmp_path: Path) -> None:
    run = restored(tmp_path)
    assert run.station.smart_charging.limit_w(1) == 7000.0
    await run.kill()


async def test_the_base_state_files_inoperative_connector_stays_inoperative(
    tmp_path: Path,
) -> None:
    run = restored(tmp_path)
    connector = run.station.connectors[2]
    assert (connector.availability, connector.status) == ("Inoperative", "Unavailable")
    await run.kill()


async def test_the_base_state_files_queue_is_delivered_in_order(tmp_path: Path) -> None:
    """Section 3.7: the queued messages go out in order with the transaction ids the CSMS
    gives; the transaction left open stops with PowerLoss after them."""
    run = restored(tmp_path)
    queue = run.station.transactions.queue
    assert [entry.action for entry in queue.entries] == QUEUED
    try:
        await run.station.start()
        for _ in range(200):  # each message is written ahead (real time) before it is sent
            if not queue:
                break
            await run.clock.run_for(1)
            await asyncio.sleep(0.02)
        sent = [s.action for s in run.csms.sent if s.action not in ("StatusNotification",)]
        transaction_messages = [a for a in sent if a in set(QUEUED)]
        assert transaction_messages[: len(QUEUED)] == QUEUED
        stops = run.csms.of("StopTransaction")
        assert [(s["transactionId"], s["reason"]) for s in stops] == [
            (1, "Local"),
            (2, "PowerLoss"),
        ]
    finally:
        await run.kill()
