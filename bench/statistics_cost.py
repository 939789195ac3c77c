"""What statistics cost a station: their CPU per MeterValues round trip, against the round trip's.

`python -m bench.statistics_cost` measures:

1. the round trip: 50 real WebSocket connections to the lean CSMS (bench/lean_csms.py, its own
   process, so its CPU is not counted) run evsim's OCPP-J path (RpcSession.call: encoding,
   schema validation, the one-CALL-in-flight lock, the answer's parsing), statistics on;
2. the statistics' part of a call: exactly what RpcSession.call does for them (two clock reads,
   two lookups of the action's counters, two increments, one histogram record), timed alone.
   An A/B of the whole call with statistics off and on was tried first: its difference (about
   1 us) is below the run-to-run noise of the round trip (several us), and which mode ran
   first decided its sign;
3. what the worker spends once per statistics interval per station: taking its window, the
   wire form, pickling it for the queue.

The figure printed is for the issue's scenario, 1,000 stations sending MeterValues every
second: statistics (2 + 3) as a share of the station CPU (1 + 3). The station count cancels
out; it sets the size of the window batch measured in 3.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import pickle
import socket
import subprocess
import sys
import time

from websockets.asyncio.client import connect
from websockets.typing import Subprotocol

from bench.message_cost import evsim_client
from simulator.station.ocpp16 import schemas
from simulator.stats import Statistics

STATIONS = 1000
CALLS_PER_STATION_PER_SECOND = 1.0
WORKER_STATISTICS_SECONDS = 5.0  # simulator/supervisor.py: a window per station this often


async def cpu_per_round_trip(url: str, connections: int, rounds: int, validate: bool) -> float:
    """CPU seconds of this process per MeterValues round trip, statistics on."""
    sockets = [
        await connect(
            f"{url}/BENCH-{i}", subprotocols=[Subprotocol("ocpp1.6")], compression=None, proxy=None
        )
        for i in range(connections)
    ]
    try:
        # Warm-up: schema compilation, caches, the sockets' buffers.
        await asyncio.gather(*(evsim_client(s, 20, validate) for s in sockets))
        started = time.process_time()
        await asyncio.gather(*(evsim_client(s, rounds, validate) for s in sockets))
        return (time.process_time() - started) / (connections * rounds)
    finally:
        for s in sockets:
            await s.close()


def cpu_of_statistics_per_call(calls: int) -> float:
    """CPU seconds of what RpcSession.call does for statistics, per call, less the empty loop
    (kept in step with simulator/station/rpc.py)."""
    statistics = Statistics()
    action = "MeterValues"
    clock = time.perf_counter_ns
    started = time.process_time()
    for _ in range(calls):
        begin = clock()
        statistics.command(action).requests += 1
        command = statistics.command(action)
        command.latency_us.record((clock() - begin) // 1000 + 800)
        command.responses += 1
    spent = time.process_time() - started
    started = time.process_time()
    for _ in range(calls):
        pass
    return (spent - (time.process_time() - started)) / calls


def cpu_per_window(stations: int) -> float:
    """CPU seconds the worker spends per station and window: take, wire form, pickle (as
    the worker's queue does)."""
    live = []
    for _ in range(stations):
        statistics = Statistics()
        command = statistics.command("MeterValues")
        for value in range(int(WORKER_STATISTICS_SECONDS * CALLS_PER_STATION_PER_SECOND)):
            command.requests += 1
            command.responses += 1
            command.latency_us.record(800 + 37 * value)
        live.append(statistics)
    started = time.process_time()
    per_station = {str(i): statistics.take().to_wire() for i, statistics in enumerate(live)}
    pickle.dumps({"kind": "statistics", "perStation": per_station}, pickle.HIGHEST_PROTOCOL)
    return (time.process_time() - started) / stations


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _start_csms(port: int) -> subprocess.Popen[bytes]:
    csms = subprocess.Popen(
        [sys.executable, "-m", "bench.lean_csms", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    assert csms.stdout is not None
    csms.stdout.readline()  # {"listening": port}
    return csms


async def measure(connections: int, rounds: int, repeats: int, validate: bool) -> dict[str, float]:
    port = _free_port()
    csms = await asyncio.to_thread(_start_csms, port)
    try:
        schemas.precompile()
        url = f"ws://127.0.0.1:{port}"
        round_trip = min(
            [await cpu_per_round_trip(url, connections, rounds, validate) for _ in range(repeats)]
        )
    finally:
        csms.terminate()
        await asyncio.to_thread(csms.wait, 10)
    per_call = min(cpu_of_statistics_per_call(200_000) for _ in range(repeats))
    window = min(cpu_per_window(STATIONS) for _ in range(repeats))
    per_second = CALLS_PER_STATION_PER_SECOND
    statistics_second = per_call * per_second + window / WORKER_STATISTICS_SECONDS
    station_second = round_trip * per_second + window / WORKER_STATISTICS_SECONDS
    return {
        "round_trip_us": round_trip * 1e6,
        "statistics_us_per_call": per_call * 1e6,
        "window_us_per_station": window * 1e6,
        "share_percent": 100 * statistics_second / station_second,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=200, help="round trips per connection")
    parser.add_argument("--repeats", type=int, default=5, help="runs per measure (best kept)")
    parser.add_argument("--no-validation", action="store_true", help="payloadSchemaValidation off")
    parser.add_argument("--no-uvloop", action="store_true", help="plain asyncio loop")
    args = parser.parse_args()
    if not args.no_uvloop:
        with contextlib.suppress(ImportError):  # as the workers run (the `fast` extra)
            import uvloop  # noqa: PLC0415  (optional)

            uvloop.install()
    result = asyncio.run(
        measure(args.connections, args.rounds, args.repeats, not args.no_validation)
    )
    print(f"MeterValues round trip (statistics on): {result['round_trip_us']:.1f} us CPU")
    print(f"statistics per call:                    {result['statistics_us_per_call']:.2f} us")
    print(f"statistics window per station:          {result['window_us_per_station']:.2f} us")
    print(
        f"{STATIONS} stations, MeterValues every second: statistics take "
        f"{result['share_percent']:.1f} % of the station CPU"
    )


if __name__ == "__main__":
    main()
