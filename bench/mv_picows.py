"""bench/mv_profile.py's third contender: `picows` + orjson + uvloop clients, callbacks instead of
tasks (the cheapest Python client we know of), doing the exchange of bench/mv_clients.py.

Needs the `bench` extra (picows) and uvloop.
"""

from __future__ import annotations

import asyncio
import random
from typing import Any

import orjson
import uvloop
from picows import WSFrame, WSListener, WSMsgType, WSTransport, ws_connect

from bench.mv_clients import (
    CONNECT_CONCURRENCY,
    HEARTBEAT_EVERY,
    SAMPLE_INTERVAL,
    SUBPROTOCOLS,
    Exchange,
    boot_payload,
    client_arguments,
    until_terminated,
)


async def run_picows(url: str, stations: int, captured: str, ocpp: str) -> None:
    loop = asyncio.get_running_loop()

    class Station(WSListener):
        def __init__(self) -> None:
            self.exchange = Exchange(captured)
            self.transport: WSTransport | None = None
            self.waiting = ""
            self.ticks = 0
            self.heartbeat_due = False

        def on_ws_connected(self, transport: WSTransport) -> None:
            self.transport = transport
            self.send("BootNotification", boot_payload(ocpp))

        def send(self, action: str, payload: dict[str, Any]) -> None:
            assert self.transport is not None
            self.waiting = self.exchange.next_id()
            frame = orjson.dumps([2, self.waiting, action, payload])
            self.transport.send(WSMsgType.TEXT, frame)

        def on_ws_frame(self, transport: WSTransport, frame: WSFrame) -> None:
            if frame.msg_type != WSMsgType.TEXT:
                return
            answer = orjson.loads(frame.get_payload_as_bytes())
            if answer[1] != self.waiting:
                return
            self.waiting = ""
            if self.heartbeat_due:
                self.heartbeat_due = False
                self.send("Heartbeat", {})
            elif self.ticks == 0:  # booted: start the timer at a random phase
                self.ticks = 1
                loop.call_later(random.random() * SAMPLE_INTERVAL, self.tick, loop.time())

        def tick(self, scheduled: float) -> None:
            if self.transport is None or self.transport.is_disconnected:
                return
            next_at = scheduled + SAMPLE_INTERVAL
            loop.call_at(next_at, self.tick, next_at)
            if self.waiting:  # the previous CALL unanswered: skip, as a station would wait
                return
            self.heartbeat_due = self.ticks % HEARTBEAT_EVERY == 0
            self.ticks += 1
            self.send(self.exchange.action, self.exchange.payload)

    gate = asyncio.Semaphore(CONNECT_CONCURRENCY)
    transports: list[WSTransport] = []

    async def station(index: int) -> None:
        async with gate:
            transport, _ = await ws_connect(
                Station,
                f"{url}/PICOWS-{index}",
                extra_headers={"Sec-WebSocket-Protocol": SUBPROTOCOLS[ocpp]},
            )
        transports.append(transport)

    await until_terminated([station(i) for i in range(stations)])


if __name__ == "__main__":
    args = client_arguments(__doc__)
    uvloop.install()
    asyncio.run(run_picows(args.url, args.stations, args.frame.read_text(), args.ocpp))
