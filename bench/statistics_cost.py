"""What statistics cost a station: CPU per MeterValues round trip with and without them.

`python -m bench.statistics_cost` runs RpcSession.call (evsim's OCPP-J path: encoding, schema
validation, the one-CALL-in-flight lock, the answer's parsing) against an in-process peer that
answers at once, alternately with statistics=None and with a Statistics, and prints the share of
the call's CPU that statistics take. It adds what the worker spends once per statistics interval
per station (taking its window, serializing it), for the issue's scenario: 1,000 stations
sending MeterValues every second.

The in-process peer costs less than a real WebSocket (no framing, no socket, no event loop
wake-ups for I/O), so the call path measured here is cheaper than a station's real one and the
share printed is an upper bound.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import pickle
import time
from typing import Any

import orjson

from simulator.station.rpc import RpcSession
from simulator.stats import Statistics

STATIONS = 1000
CALLS_PER_STATION_PER_SECOND = 1.0
WORKER_STATISTICS_SECONDS = 5.0  # simulator/supervisor.py: a window per station this often


def meter_values_payload() -> dict[str, Any]:
    sampled = [
        {"value": f"{1000 + i}.0", "measurand": "Energy.Active.Import.Register", "unit": "Wh"}
        for i in range(10)
    ]
    return {
        "connectorId": 1,
        "transactionId": 1,
        "meterValue": [{"timestamp": "2026-01-01T00:00:00.000Z", "sampledValue": sampled}],
    }


class AnsweringPeer:
    """A CSMS inside the process: every CALL is answered with an empty CALLRESULT."""

    def __init__(self) -> None:
        self._answers: asyncio.Queue[str] = asyncio.Queue()

    async def send(self, message: str) -> None:
        message_id = orjson.loads(message)[1]
        self._answers.put_nowait(f'[3,"{message_id}",{{}}]')

    async def recv(self) -> str:
        return await self._answers.get()


async def _no_calls(action: str, payload: dict[str, Any]) -> dict[str, Any]:
    return {}


async def cpu_per_call(calls: int, statistics: Statistics | None, validate: bool) -> float:
    """CPU seconds per MeterValues round trip."""
    peer = AnsweringPeer()
    session = RpcSession(
        peer,
        _no_calls,
        message_ids=itertools.count(1),
        response_timeout=30,
        validate_payloads=validate,
        statistics=statistics,
    )
    reader = asyncio.create_task(session.run())
    payload = meter_values_payload()
    for _ in range(100):  # warm-up: schema compilation, caches
        await session.call("MeterValues", payload)
    started = time.process_time()
    for _ in range(calls):
        await session.call("MeterValues", payload)
    spent = time.process_time() - started
    reader.cancel()
    return spent / calls


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
    per_station = {}
    for index, statistics in enumerate(live):
        per_station[str(index)] = statistics.take().to_wire()
    pickle.dumps({"kind": "statistics", "perStation": per_station}, pickle.HIGHEST_PROTOCOL)
    return (time.process_time() - started) / stations


async def measure(calls: int, rounds: int, validate: bool) -> dict[str, float]:
    without: list[float] = []
    with_statistics: list[float] = []
    for _ in range(rounds):  # alternated, so that drift hits both alike
        without.append(await cpu_per_call(calls, None, validate))
        with_statistics.append(await cpu_per_call(calls, Statistics(), validate))
    bare, counted = min(without), min(with_statistics)
    per_call = max(counted - bare, 0.0)
    window = cpu_per_window(STATIONS)
    per_station_second = (
        per_call * CALLS_PER_STATION_PER_SECOND + window / WORKER_STATISTICS_SECONDS
    )
    station_second = counted * CALLS_PER_STATION_PER_SECOND + window / WORKER_STATISTICS_SECONDS
    return {
        "call_us_without": bare * 1e6,
        "call_us_with": counted * 1e6,
        "statistics_us_per_call": per_call * 1e6,
        "window_us_per_station": window * 1e6,
        "share_percent": 100 * per_station_second / station_second,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--calls", type=int, default=20_000, help="round trips per run")
    parser.add_argument("--rounds", type=int, default=5, help="runs per mode (best kept)")
    parser.add_argument("--no-validation", action="store_true", help="payloadSchemaValidation off")
    args = parser.parse_args()
    result = asyncio.run(measure(args.calls, args.rounds, not args.no_validation))
    print(f"MeterValues round trip, statistics off: {result['call_us_without']:.1f} us CPU")
    print(f"MeterValues round trip, statistics on:  {result['call_us_with']:.1f} us CPU")
    print(f"statistics per call:                    {result['statistics_us_per_call']:.2f} us")
    print(f"statistics window per station:          {result['window_us_per_station']:.1f} us")
    print(
        f"{STATIONS} stations, MeterValues every second: statistics take "
        f"{result['share_percent']:.2f} % of the station CPU (upper bound)"
    )


if __name__ == "__main__":
    main()
