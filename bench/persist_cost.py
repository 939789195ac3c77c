"""What persisting a station's state costs per transaction message, without the network.

`python -m bench.persist_cost` runs `--stations` stations of the mv-1000 profile
(bench/mv_profile.py: one long transaction each, MeterValues every second) on one asyncio loop,
each answered by an in-memory CSMS, for `--seconds`, two ways in alternating rounds: no state
persisted, and the worker's store. The CPU time of the process (a writer thread's included)
per MeterValues answered is printed per round, then the medians: the store's figure less the
bare one is what persistence costs a message, off the noise of sockets and other processes
(and without what grouping the writes saves in loop turns and wakeups, which only a fleet on
sockets shows: bench/mv_profile.py).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.mv_profile import mv_template
from simulator.config_loading import load_settings
from simulator.plan import StationSpec, plan_stations
from simulator.station.clock import SystemClock
from simulator.station.persistence import StateStore
from simulator.station.station import ChargingStation

BARE = "none"
STORE = "store"


class LoopbackStation(ChargingStation):
    """Answered in memory as the lean CSMS answers: accepted, transaction ids 1, 2, 3..."""

    answered = 0

    def link_up(self) -> bool:
        return True

    async def call(self, action: str, payload: dict[str, Any]) -> dict[str, Any]:
        LoopbackStation.answered += action == "MeterValues"
        if action == "StartTransaction":
            return {"transactionId": self.spec.index, "idTagInfo": {"status": "Accepted"}}
        return {}


def specs(directory: Path, count: int) -> list[StationSpec]:
    template = {**mv_template(), "AutomaticTransactionGenerator": {"enable": False}}
    (directory / "station.json").write_text(json.dumps(template))
    config = {
        "supervisionUrls": ["ws://127.0.0.1:9"],
        "stationTemplateUrls": [{"file": "station.json", "numberOfStations": count}],
        "uiServer": {"enabled": False},
        "logStatisticsInterval": 0,
    }
    path = directory / "config.json"
    path.write_text(json.dumps(config))
    return plan_stations(load_settings(path, environ={}))


async def one_round(planned: list[StationSpec], way: str, state: Path, seconds: float) -> float:
    """CPU microseconds per MeterValues answered over `seconds` of steady state."""
    clock = SystemClock()
    store = None if way == BARE else StateStore(state)
    stations = [
        LoopbackStation(spec, clock=clock, on_change=lambda s, d: None, store=store)
        for spec in planned
    ]
    for station in stations:
        station.started = True
        station.persist()
    await asyncio.gather(*(s.transactions.start(1, "TAG") for s in stations))
    await asyncio.sleep(1.5)  # every sampler running
    answered, cpu = LoopbackStation.answered, time.process_time()
    await asyncio.sleep(seconds)
    cost = (time.process_time() - cpu) / max(LoopbackStation.answered - answered, 1) * 1e6
    for station in stations:
        station.atg.stop()
        for task in list(station.lifecycle._tasks):
            task.cancel()
    if store is not None:
        await store.close()
    await asyncio.sleep(0.1)
    return cost


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--stations", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    results: dict[str, list[float]] = {BARE: [], STORE: []}
    with tempfile.TemporaryDirectory(prefix="evsim-bench-persist-") as name:
        planned = specs(Path(name), args.stations)
        for number in range(1, args.rounds + 1):
            for way, costs in results.items():
                state = Path(name) / f"state-{way}-{number}"
                cost = asyncio.run(one_round(planned, way, state, args.seconds))
                costs.append(cost)
                print(f"round {number} {way}: {cost:.1f} us CPU per MeterValues", flush=True)
    bare = statistics.median(results[BARE])
    for way, costs in results.items():
        median = statistics.median(costs)
        print(
            f"{way}: {median:.1f} us ({min(costs):.1f}-{max(costs):.1f}), "
            f"persistence {median - bare:+.1f} us a message"
        )


if __name__ == "__main__":
    main()
