"""The floor bench/mv_profile.py measures evsim against: bare clients, no OCPP logic.

Each contender (this one and bench/mv_picows.py) runs as a process of its own (its CPU is its
own), one connection per station, and does a station's exchange of the mv profile: a
BootNotification, then on its own 1 s timer the exact MeterValues frame an evsim station sends
(captured from one), every 60th tick a Heartbeat, each CALL awaited before the next. Here:
plain `websockets` + stdlib json on the default asyncio loop, a task per connection.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import signal
from pathlib import Path
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Subprotocol

SAMPLE_INTERVAL = 1.0
HEARTBEAT_EVERY = 60  # ticks: the heartbeat of 60 s
CONNECT_CONCURRENCY = 100
BOOT_PAYLOAD = {"chargePointVendor": "evsim", "chargePointModel": "Bench floor"}
BOOT_PAYLOAD_201 = {
    "chargingStation": {"vendorName": "evsim", "model": "Bench floor"},
    "reason": "PowerUp",
}
SUBPROTOCOLS = {"1.6": "ocpp1.6", "2.0.1": "ocpp2.0.1"}


def boot_payload(ocpp: str) -> dict[str, Any]:
    return BOOT_PAYLOAD_201 if ocpp == "2.0.1" else BOOT_PAYLOAD


class Exchange:
    """The frames of one station: ids as wide as evsim's, so the frame sizes match too."""

    def __init__(self, captured: str) -> None:
        frame = json.loads(captured)
        self.action: str = frame[2]  # MeterValues; 2.0.1: TransactionEvent
        self.payload: dict[str, Any] = frame[3]
        self.id_width = len(str(frame[1]))
        self._next = 0

    def next_id(self) -> str:
        self._next += 1
        return f"{self._next:0{self.id_width}d}"


# -- plain websockets + json ------------------------------------------------------------


async def _call(
    connection: ClientConnection, exchange: Exchange, action: str, payload: dict[str, Any]
) -> None:
    message_id = exchange.next_id()
    await connection.send(json.dumps([2, message_id, action, payload], separators=(",", ":")))
    while True:
        answer = json.loads(await connection.recv())
        if answer[1] == message_id:
            return


async def floor_station(connection: ClientConnection, exchange: Exchange, ocpp: str) -> None:
    loop = asyncio.get_running_loop()
    await _call(connection, exchange, "BootNotification", boot_payload(ocpp))
    # A random phase, as evsim's stations have from their boot times.
    tick_at = loop.time() + random.random() * SAMPLE_INTERVAL
    ticks = 0
    while True:
        await asyncio.sleep(max(0.0, tick_at - loop.time()))
        tick_at += SAMPLE_INTERVAL
        ticks += 1
        await _call(connection, exchange, exchange.action, exchange.payload)
        if ticks % HEARTBEAT_EVERY == 0:
            await _call(connection, exchange, "Heartbeat", {})


async def run_floor(url: str, stations: int, captured: str, ocpp: str) -> None:
    gate = asyncio.Semaphore(CONNECT_CONCURRENCY)

    async def station(index: int) -> None:
        async with gate:
            connection = await connect(
                f"{url}/FLOOR-{index}",
                subprotocols=[Subprotocol(SUBPROTOCOLS[ocpp])],
                compression=None,
                proxy=None,
                ping_interval=None,  # evsim's WebSocketPingInterval defaults to 0
            )
        await floor_station(connection, Exchange(captured), ocpp)

    await until_terminated([station(i) for i in range(stations)])


async def until_terminated(stations: list[Any]) -> None:
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    tasks = [asyncio.ensure_future(s) for s in stations]
    await stop.wait()
    for task in tasks:
        task.cancel()


def client_arguments(description: str | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--url", required=True)
    parser.add_argument("--stations", type=int, required=True)
    parser.add_argument("--frame", type=Path, required=True, help="the captured MeterValues")
    parser.add_argument("--ocpp", choices=tuple(SUBPROTOCOLS), default="1.6")
    return parser.parse_args()


if __name__ == "__main__":
    args = client_arguments(__doc__)
    asyncio.run(run_floor(args.url, args.stations, args.frame.read_text(), args.ocpp))
