"""CPU per MeterValues round trip: evsim's OCPP-J path against plain websockets + JSON.

Each mode runs in its own process (so its CPU time is its own) against a lean CSMS process, with
the same connections, the same frame and the same number of round trips.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import sys
import time
from typing import Any

import orjson
from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Subprotocol

from simulator.station.ocpp16 import schemas
from simulator.station.rpc import RpcSession
from simulator.stats import Statistics

SAMPLED_VALUES = 10


def meter_values_payload() -> dict[str, Any]:
    sampled = [
        {"value": f"{1000 + i}.0", "measurand": "Energy.Active.Import.Register", "unit": "Wh"}
        for i in range(SAMPLED_VALUES)
    ]
    return {
        "connectorId": 1,
        "transactionId": 1,
        "meterValue": [{"timestamp": "2026-01-01T00:00:00.000Z", "sampledValue": sampled}],
    }


async def floor_client(connection: ClientConnection, rounds: int) -> None:
    payload = meter_values_payload()
    for n in range(rounds):
        message_id = str(n)
        await connection.send(orjson.dumps([2, message_id, "MeterValues", payload]).decode())
        while True:
            answer = orjson.loads(await connection.recv())
            if answer[1] == message_id:
                break


async def evsim_client(connection: ClientConnection, rounds: int, validate: bool) -> None:
    async def no_calls(action: str, payload: dict[str, Any]) -> dict[str, Any]:
        return {}

    session = RpcSession(
        connection,
        no_calls,
        schemas=schemas.SCHEMAS16,
        message_ids=itertools.count(1),
        response_timeout=30,
        validate_payloads=validate,
        statistics=Statistics(),
    )
    reader = asyncio.create_task(session.run())
    payload = meter_values_payload()
    for _ in range(rounds):
        await session.call("MeterValues", payload)
    reader.cancel()
    with contextlib.suppress(asyncio.CancelledError, Exception):
        await reader


async def run(url: str, mode: str, connections: int, rounds: int) -> float:
    sockets = [
        await connect(
            f"{url}/BENCH-{i}", subprotocols=[Subprotocol("ocpp1.6")], compression=None, proxy=None
        )
        for i in range(connections)
    ]
    if mode == "floor":
        clients = [floor_client(s, rounds) for s in sockets]
    else:
        clients = [evsim_client(s, rounds, mode == "evsim-validated") for s in sockets]
    schemas.precompile()  # as the forkserver preload does for real workers
    started = time.process_time()
    await asyncio.gather(*clients)
    cpu = time.process_time() - started
    for s in sockets:
        await s.close()
    return cpu / (connections * rounds)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", required=True)
    parser.add_argument("--mode", choices=["floor", "evsim-validated", "evsim-unvalidated"])
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=200)
    args = parser.parse_args()
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    seconds = asyncio.run(run(args.url, args.mode, args.connections, args.rounds))
    sys.stdout.write(f"{seconds}\n")
