"""Fault tests (issue 5): a fleet running transactions while its CSMS restarts, a worker dies or
the simulator itself is killed; the CSMS's report must show every transaction exactly once,
closed, with consistent energy. Marked `fault`: `pytest -m fault` runs them alone.

What a correct fleet shows the CSMS, whatever happened in between:
- every StartTransaction has one StopTransaction (a message sent again because its answer was
  lost is a retransmission, recognised as such by the CSMS, not a second transaction);
- no message names a transaction the CSMS does not know, no stop contradicts an earlier one, and
  no energy reading of a transaction is below an earlier one (report anomalies);
- per transaction, meterStop is the last energy register value the station recorded.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import random
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from simulator.config_loading import load_settings
from simulator.csms import CentralSystem
from simulator.csms.report import TransactionRecord
from simulator.supervisor import Supervisor
from tests.fleet import quick_template, write_fleet

pytestmark = [pytest.mark.fault, pytest.mark.integration, pytest.mark.process]

STATIONS = 100
PROJECT = Path(__file__).resolve().parent.parent


@pytest.fixture
async def csms() -> AsyncIterator[CentralSystem]:
    async with CentralSystem(heartbeat_interval=60) as central:
        yield central


def fault_template() -> dict[str, Any]:
    """Sessions of 2-5 s, 1-2 s apart, metered every second; the generator keeps running while
    the CSMS is away, so transactions start, run and stop offline."""
    return quick_template(
        beginEndMeterValues=True,
        Configuration={
            "configurationKey": [
                {"key": "HeartbeatInterval", "readonly": False, "value": "60"},
                {"key": "ConnectionTimeOut", "readonly": False, "value": "1"},
                {"key": "MeterValueSampleInterval", "readonly": False, "value": "1"},
                {"key": "TransactionMessageRetryInterval", "readonly": False, "value": "1"},
            ]
        },
        AutomaticTransactionGenerator={
            "enable": True,
            "minDuration": 2,
            "maxDuration": 5,
            "minDelayBetweenTwoTransactions": 1,
            "maxDelayBetweenTwoTransactions": 2,
            "probabilityOfStart": 1,
            "stopAfterHours": 1,
            "requireAuthorize": False,
            "stopOnConnectionFailure": False,
        },
    )


def fleet_config(tmp_path: Path, url: str) -> Path:
    return write_fleet(
        tmp_path,
        url,
        {"fault.json": (fault_template(), STATIONS)},
        worker={"processType": "staticPool", "poolMaxSize": 2},
        logLevel="warning",
        seed=5,
    )


def assert_every_transaction_closed_once_with_consistent_energy(
    csms: CentralSystem, stop_reasons: set[str]
) -> list[TransactionRecord]:
    report = csms.report
    anomalies = {
        station_id: record.anomalies
        for station_id, record in report.stations.items()
        if record.anomalies
    }
    assert anomalies == {}
    transactions = list(report.transactions.values())
    assert len(transactions) >= STATIONS, "too few transactions ran to test anything"
    open_ones = [t.id for t in transactions if not t.stopped]
    assert open_ones == []
    assert {t.stop_reason for t in transactions} <= stop_reasons
    for t in transactions:
        assert t.last_energy_wh is not None and t.meter_stop is not None, t
        # The quick template meters per transaction: meterStart 0, the register from there.
        assert t.meter_stop - t.meter_start == t.last_energy_wh, t
    # One transaction at a time per connector: a duplicate would overlap another.
    per_connector: dict[tuple[str, int], list[TransactionRecord]] = {}
    for t in transactions:
        per_connector.setdefault((t.station_id, t.connector_id), []).append(t)
    for runs in per_connector.values():
        runs.sort(key=lambda t: t.start_timestamp)
        for earlier, later in itertools.pairwise(runs):
            assert earlier.stop_timestamp is not None
            assert earlier.stop_timestamp <= later.start_timestamp, (earlier, later)
    return transactions


def parse(timestamp: str | None) -> datetime:
    return datetime.fromisoformat(str(timestamp).replace("Z", "+00:00"))


def queues_empty(supervisor: Supervisor) -> bool:
    return all(
        (data.get("transactionQueue") or {}).get("length", 0) == 0
        for data in supervisor.stations.values()
    )


def no_transaction_running(supervisor: Supervisor) -> bool:
    return not any(
        connector["connectorStatus"].get("transactionStarted")
        for data in supervisor.stations.values()
        for connector in data.get("connectors", [])
    )


@pytest.mark.timeout(300)
async def test_a_fleet_loses_no_transaction_while_its_csms_restarts_five_times(
    tmp_path: Path, csms: CentralSystem
) -> None:
    seed = random.randrange(2**32)
    print(f"fault seed {seed}")
    rng = random.Random(seed)
    settings = load_settings(fleet_config(tmp_path, csms.url), environ={})
    supervisor = Supervisor(settings, use_uvloop=False)
    await supervisor.start()
    try:
        await csms.wait_booted(STATIONS, 60)
        downtimes = []
        for _ in range(5):
            await asyncio.sleep(rng.uniform(2, 5))
            await csms.stop()
            went = datetime.now(UTC)
            await asyncio.sleep(rng.uniform(0.5, 3))
            await csms.start()
            downtimes.append((went, datetime.now(UTC)))
        await csms.wait_until(lambda: len(csms.connected) == STATIONS, 60, "all back")
        await asyncio.sleep(2)
        await supervisor.request("stopAutomaticTransactionGenerator", None)
        await supervisor.wait_for(
            lambda s: (
                no_transaction_running(s) and queues_empty(s) and s.counts().booted == STATIONS
            ),
            60,
        )
        await csms.wait_until(lambda: all(t.stopped for t in csms.report.transactions.values()), 30)
    finally:
        await supervisor.stop()
    transactions = assert_every_transaction_closed_once_with_consistent_energy(csms, {"Local"})

    # The restarts did hit transactions: some started, and some stopped, while the CSMS was
    # away, so their messages waited in the queue.
    def offline(timestamp: str | None) -> bool:
        return any(went < parse(timestamp) < back for went, back in downtimes)

    assert any(offline(t.start_timestamp) for t in transactions)
    assert any(offline(t.stop_timestamp) for t in transactions)


def run_simulator(config: Path, log: Path) -> subprocess.Popen[bytes]:
    """`evsim run` in its own process group (its workers die with it on SIGKILL)."""
    return subprocess.Popen(
        [sys.executable, "-m", "simulator", "run", "--config", str(config)],
        cwd=PROJECT,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


@pytest.mark.timeout(300)
async def test_a_fleet_loses_no_transaction_when_the_simulator_is_killed_and_restarted(
    tmp_path: Path, csms: CentralSystem
) -> None:
    """SIGKILL of the simulator and its workers mid-run: the restarted simulator finds each
    station's persisted state (configurations/<hashId>.json), stops the transactions the kill
    interrupted with reason PowerLoss at the last meter reading it persisted, and sends what
    its queues held; a SIGTERM then drains the fleet (reason Local)."""
    config = fleet_config(tmp_path, csms.url)
    log = tmp_path / "simulator.log"
    process = run_simulator(config, log)
    try:
        await csms.wait_booted(STATIONS, 90)
        await asyncio.sleep(6)
        os.killpg(process.pid, signal.SIGKILL)
        killed_at = datetime.now(UTC)
        await asyncio.to_thread(process.wait, 10)
        await csms.wait_until(lambda: not csms.connected, 30, "the killed stations are gone")
        running = [t for t in csms.report.transactions.values() if not t.stopped]
        assert running, "the kill interrupted no transaction: nothing was tested"
        boots = sum(r.boots for r in csms.report.stations.values())
        process = run_simulator(config, log)
        await csms.wait_until(
            lambda: sum(r.boots for r in csms.report.stations.values()) >= boots + STATIONS,
            90,
            "the restarted fleet booted",
        )
        await asyncio.sleep(4)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                await asyncio.to_thread(process.wait, 60)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                raise
    assert process.returncode == 0, log.read_text()[-3000:]
    await csms.wait_until(lambda: all(t.stopped for t in csms.report.transactions.values()), 30)
    transactions = assert_every_transaction_closed_once_with_consistent_energy(
        csms, {"Local", "PowerLoss"}
    )
    # Those the kill interrupted stopped with PowerLoss (unless their Local stop was made and
    # waited in the queue); only those: every PowerLoss transaction began before the kill.
    interrupted = {t.id for t in running}
    assert "PowerLoss" in {t.stop_reason for t in transactions if t.id in interrupted}
    assert all(
        parse(t.start_timestamp) < killed_at for t in transactions if t.stop_reason == "PowerLoss"
    )


@pytest.mark.timeout(240)
async def test_stations_of_a_killed_worker_are_restored_from_their_persisted_state(
    tmp_path: Path, csms: CentralSystem
) -> None:
    """A worker SIGKILLed mid-run is respawned; its stations are back, booted, within 30 s, and
    resume from their persisted state: the transactions it interrupted stop with PowerLoss at
    their last persisted meter reading, and nothing queued is lost."""
    settings = load_settings(fleet_config(tmp_path, csms.url), environ={})
    supervisor = Supervisor(settings, use_uvloop=False)
    await supervisor.start()
    try:
        await csms.wait_booted(STATIONS, 60)
        await asyncio.sleep(5)
        assert supervisor.pool is not None
        victim = supervisor.pool.owner(supervisor.plan[0].hash_id)
        assert victim is not None
        moved = {
            s.station_id for s in supervisor.plan if supervisor.pool.owner(s.hash_id) == victim
        }
        boots = {sid: csms.report.stations[sid].boots for sid in moved}
        os.kill(supervisor.worker_pids[victim], signal.SIGKILL)
        await csms.wait_until(
            lambda: all(csms.report.stations[sid].boots > boots[sid] for sid in moved),
            30,
            "the killed worker's stations booted again",
        )
        await supervisor.wait_for(lambda s: s.counts().booted == STATIONS, 30)
        assert supervisor.worker_exits == 1
        await asyncio.sleep(3)
        await supervisor.request("stopAutomaticTransactionGenerator", None)
        await supervisor.wait_for(lambda s: no_transaction_running(s) and queues_empty(s), 60)
        await csms.wait_until(lambda: all(t.stopped for t in csms.report.transactions.values()), 30)
    finally:
        await supervisor.stop()
    transactions = assert_every_transaction_closed_once_with_consistent_energy(
        csms, {"Local", "PowerLoss"}
    )
    power_losses = [t for t in transactions if t.stop_reason == "PowerLoss"]
    assert power_losses, "the kill interrupted no transaction: nothing was restored"
    assert {t.station_id for t in power_losses} <= moved
