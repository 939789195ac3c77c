"""The OCPP 2.0.1 fault test (issue 15): a 100-station 2.0.1 fleet with a short ATG against an
independent 2.0.1 CSMS (the bundled one, on the `ocpp` library's v201 classes, in its own
process) that is SIGKILLed and restarted three times. The CSMS journals every CALL before it
answers (simulator/csms/journal.py), as a CSMS with a database keeps what it acknowledged; the
journal of all its runs is then checked as one CSMS would see it (simulator/csms/report201.py):

- every station booted;
- every transaction has exactly one Started and one Ended, seqNo from 0 with no gap (P2 E
  1.3.2.1, E01.FR.07; only offline Updated events may be dropped, E04.FR.07/08), energy never
  goes back; an event received twice (its answer lost to a kill) is a retransmission, at most
  one per station and kill (its one CALL in flight);
- the events made while the CSMS was away carry `offline: true` (E04.FR.01-03, E12.FR.01);
- not one message fails the OCPP 2.0.1 schemas, and the CSMS refused none.

Fixed seeds and one drawn at random; a failing run prints the command that replays it.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import socket
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import fastjsonschema
import pytest

from simulator.config_loading import load_settings
from simulator.csms.journal import JournalEntry, read
from simulator.csms.report201 import TransactionEvents
from simulator.supervisor import Supervisor
from tests.fleet import write_fleet
from tests.fleet201 import template_201

pytestmark = [pytest.mark.fault, pytest.mark.integration, pytest.mark.process]

STATIONS = 100
KILLS = 3
NOTICED = timedelta(seconds=1)
PROJECT = Path(__file__).resolve().parent.parent
SEED_VARIABLE = "EVSIM_FAULT_SEED"
FIXED_SEEDS = (3,)
RANDOM_SEED = int(os.environ.get(SEED_VARIABLE) or random.randrange(2**32))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


class CsmsProcess:
    """`evsim csms` in a process of its own, journaling to one file across its runs."""

    def __init__(self, port: int, journal: Path, log: Path) -> None:
        self.port = port
        self.journal = journal
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def _spawn(self) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [
                sys.executable,
                *("-m", "simulator", "csms", "--host", "127.0.0.1", "--port", str(self.port)),
                *("--journal", str(self.journal), "--log-level", "WARNING"),
                *("--heartbeat-interval", "60"),
            ],
            cwd=PROJECT,
            stdout=self.log.open("ab"),
            stderr=subprocess.STDOUT,
        )

    async def start(self) -> datetime:
        """When the new CSMS process was started: from then on it may answer."""
        spawned = datetime.now(UTC)
        self.process = self._spawn()
        for _ in range(200):  # 20 s
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", self.port)) == 0:
                    return spawned
            await asyncio.sleep(0.1)
        raise AssertionError(f"the CSMS did not listen: {self.log.read_text()[-2000:]}")

    async def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        await asyncio.to_thread(self.process.wait, 10)

    async def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            await asyncio.to_thread(self.process.wait, 30)

    def entries(self) -> list[JournalEntry]:
        return list(read(self.journal)) if self.journal.exists() else []


def fault_template() -> dict[str, Any]:
    """Sessions of 2-5 s, 1-2 s apart, an Updated event every second; the generator keeps
    running while the CSMS is away, so transactions start, run and end offline."""
    keys = {
        "OCPPCommCtrlr.HeartbeatInterval": "60",
        "SampledDataCtrlr.TxUpdatedInterval": "1",
        "OCPPCommCtrlr.MessageAttemptInterval.TransactionEvent": "1",
        "OCPPCommCtrlr.RetryBackOffWaitMinimum": "1",
        "OCPPCommCtrlr.RetryBackOffRandomRange": "1",
        "OCPPCommCtrlr.RetryBackOffRepeatTimes": "0",
    }
    return template_201(
        Configuration={"configurationKey": [{"key": k, "value": v} for k, v in keys.items()]},
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


@cache
def request_schema(action: str) -> Any:
    text = resources.files("ocpp.v201").joinpath("schemas", f"{action}Request.json")
    return fastjsonschema.compile(json.loads(text.read_text("utf-8")))


def schema_failures(entries: list[JournalEntry]) -> list[str]:
    failures = []
    for entry in entries:
        try:
            request_schema(entry.action)(entry.payload)
        except fastjsonschema.JsonSchemaException as exc:
            failures.append(f"{entry.station_id} {entry.action}: {exc}")
    return failures


def parse(timestamp: str) -> datetime:
    return datetime.fromisoformat(timestamp.replace("Z", "+00:00"))


def running(supervisor: Supervisor) -> bool:
    return any(
        connector.get("connectorStatus", {}).get("transactionStarted")
        for data in supervisor.stations.values()
        for evse in data.get("evses", [])
        for connector in evse.get("evseStatus", {}).get("connectors", [])
    ) or any(
        connector["connectorStatus"].get("transactionStarted")
        for data in supervisor.stations.values()
        for connector in data.get("connectors", [])
    )


def queues_empty(supervisor: Supervisor) -> bool:
    return all(
        (data.get("transactionQueue") or {}).get("length", 0) == 0
        for data in supervisor.stations.values()
    )


@pytest.mark.timeout(420)
@pytest.mark.parametrize(
    "seed",
    [
        *(pytest.param(s, id=f"seed-{s}") for s in FIXED_SEEDS),
        pytest.param(RANDOM_SEED, id="random-seed"),
    ],
)
async def test_a_201_fleet_loses_no_event_while_its_csms_is_killed_three_times(
    tmp_path: Path, seed: int, request: pytest.FixtureRequest
) -> None:
    print(f"fault seed {seed}")
    replay = f"{SEED_VARIABLE}={seed} python -m pytest '{request.node.nodeid}' -p no:cacheprovider"
    print(f"replay: {replay}")
    rng = random.Random(seed)
    csms = CsmsProcess(free_port(), tmp_path / "journal.jsonl", tmp_path / "csms.log")
    await csms.start()
    config = write_fleet(
        tmp_path,
        csms.url,
        {"fault201.json": (fault_template(), STATIONS)},
        worker={"processType": "staticPool", "poolMaxSize": 2},
        logLevel="warning",
        seed=seed % 1000,
    )
    supervisor = Supervisor(load_settings(config, environ={}), use_uvloop=False)
    await supervisor.start()
    downtimes: list[tuple[datetime, datetime]] = []
    try:
        await supervisor.wait_for(lambda s: s.counts().booted == STATIONS, 90)
        for _ in range(KILLS):
            await asyncio.sleep(rng.uniform(2, 5))
            await csms.kill()
            went = datetime.now(UTC)
            await asyncio.sleep(rng.uniform(0.5, 3))
            downtimes.append((went, await csms.start()))
        await asyncio.sleep(3)
        await supervisor.request("stopAutomaticTransactionGenerator", None)
        await supervisor.wait_for(
            lambda s: not running(s) and queues_empty(s) and s.counts().booted == STATIONS, 90
        )
    finally:
        await supervisor.stop()
        await csms.stop()
    entries = csms.entries()

    assert schema_failures(entries) == []
    assert Counter(e.refused for e in entries if e.refused) == Counter()
    booted = {e.station_id for e in entries if e.action == "BootNotification"}
    assert len(booted) == STATIONS

    anomalies: Counter[str] = Counter()
    retransmissions: Counter[str] = Counter()
    events = TransactionEvents(
        recognise_retransmissions=True,
        anomaly=lambda _, what: anomalies.update([what]),
        retransmission=lambda _, what: retransmissions.update([what]),
    )
    transaction_events = [e for e in entries if e.action == "TransactionEvent"]
    for entry in transaction_events:
        events.answered(events.record(entry.station_id, entry.payload), sent=True)
    print(f"retransmitted: {dict(retransmissions)}")
    assert anomalies == Counter()
    # A kill can cost each station at most its one CALL in flight (P4 4.1.1): journaled, its
    # answer never left, so it comes again. More would be events sent again after their answer.
    assert sum(retransmissions.values()) <= KILLS * STATIONS
    transactions = list(events.transactions.values())
    assert len(transactions) >= STATIONS, "too few transactions ran to test anything"
    assert [t.transaction_id for t in transactions if not (t.started and t.ended)] == []
    assert all(t.missing_seq_nos == 0 for t in transactions)

    # The kills hit transactions: events were made while the CSMS was away, and each of those
    # says so (an event made within a downtime, by its own timestamp, is offline; the first
    # second after the kill is left out: the station may not have seen the socket close yet).
    def made_offline(entry: JournalEntry) -> bool:
        at = parse(entry.payload["timestamp"])
        return any(went + NOTICED < at < back for went, back in downtimes)

    offline_made = [e for e in transaction_events if made_offline(e)]
    assert offline_made, "no event was made while the CSMS was away: nothing was tested"
    assert [e.payload for e in offline_made if not e.payload.get("offline")] == []
