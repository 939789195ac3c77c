"""A lean OCPP-J central system for benchmarks (1.6 and 2.0.1): canned answers, no schema
validation.

It must never be the bottleneck of a measurement, so it does the least a CSMS can: parse the
frame, answer from a table, count. Run as its own process; every 0.5 s it prints one JSON line of
counters on stdout for the bench runner to read.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import sys
import time
from collections import Counter, deque
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol


def _metering(action: str, payload: dict[str, Any]) -> bool:
    """A frame of meter values: 1.6 MeterValues, or a 2.0.1 TransactionEvent Updated."""
    if action == "TransactionEvent":
        return payload.get("eventType") == "Updated" and "meterValue" in payload
    return action == "MeterValues"


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


class LeanCsms:
    def __init__(self, heartbeat_interval: int, capture: Path | None = None) -> None:
        self.heartbeat_interval = heartbeat_interval
        # The first MeterValues frame as received, for bench/mv_profile.py's floor clients.
        self.capture = capture
        self.received: Counter[str] = Counter()
        self.connections = 0
        self.opened = 0
        self.booted: set[str] = set()
        self.open_stops: dict[int, int] = {}
        self.stops_per_transaction: Counter[int] = Counter()
        self._next_transaction = 1
        # Handshakes completed in the last second, for the peak over any 1 s window (whole
        # seconds of the clock would split a burst in two and halve it).
        self._opened_recently: deque[float] = deque()
        self.peak_connection_rate = 0

    def answer(self, station: str, action: str, payload: dict[str, Any]) -> dict[str, Any]:
        if action == "BootNotification":
            self.booted.add(station)
            return {
                "status": "Accepted",
                "currentTime": _now(),
                "interval": self.heartbeat_interval,
            }
        if action == "Heartbeat":
            return {"currentTime": _now()}
        if action == "StartTransaction":
            transaction_id = self._next_transaction
            self._next_transaction += 1
            return {"transactionId": transaction_id, "idTagInfo": {"status": "Accepted"}}
        if action == "StopTransaction":
            self.stops_per_transaction[int(payload.get("transactionId", -1))] += 1
            return {"idTagInfo": {"status": "Accepted"}}
        if action == "Authorize":
            if "idToken" in payload:  # 2.0.1
                return {"idTokenInfo": {"status": "Accepted"}}
            return {"idTagInfo": {"status": "Accepted"}}
        if action == "TransactionEvent":
            event = payload.get("eventType")
            self.received[f"TransactionEvent.{event}"] += 1
            if event == "Started":
                self._next_transaction += 1
            elif event == "Ended":
                ended = str(payload.get("transactionInfo", {}).get("transactionId"))
                self.stops_per_transaction[hash(ended)] += 1
            if "idToken" in payload:
                return {"idTokenInfo": {"status": "Accepted"}}
        return {}

    def connected(self) -> None:
        self.connections += 1
        self.opened += 1
        now = time.monotonic()
        recent = self._opened_recently
        recent.append(now)
        while now - recent[0] >= 1.0:
            recent.popleft()
        self.peak_connection_rate = max(self.peak_connection_rate, len(recent))

    def counters(self) -> dict[str, Any]:
        usage = os.times()
        return {
            "received": dict(self.received),
            "connections": self.connections,
            "opened": self.opened,
            "booted": len(self.booted),
            "peakConnectionRate": self.peak_connection_rate,
            "transactions": self._next_transaction - 1,
            "duplicateStops": sum(1 for n in self.stops_per_transaction.values() if n > 1),
            "stoppedTransactions": len(self.stops_per_transaction),
            "cpuSeconds": usage.user + usage.system,
        }

    async def serve_station(self, connection: ServerConnection) -> None:
        station = (connection.request.path if connection.request else "/").rsplit("/", 1)[-1]
        self.connected()
        try:
            async for message in connection:
                frame = orjson.loads(message)
                if frame[0] != 2:
                    continue
                action = frame[2]
                self.received[action] += 1
                if self.capture is not None and _metering(action, frame[3]):
                    self.capture.write_text(message if isinstance(message, str) else "")
                    self.capture = None
                reply = [3, frame[1], self.answer(station, action, frame[3] or {})]
                await connection.send(orjson.dumps(reply).decode())
        except ConnectionClosed:
            pass
        finally:
            self.connections -= 1


async def main(port: int, heartbeat_interval: int, capture: Path | None) -> None:
    csms = LeanCsms(heartbeat_interval, capture)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with serve(
        csms.serve_station,
        "127.0.0.1",
        port,
        subprotocols=[Subprotocol("ocpp1.6"), Subprotocol("ocpp2.0.1")],
        compression=None,
        ping_interval=None,
        backlog=4096,
        max_queue=4,
    ):
        print(orjson.dumps({"listening": port}).decode(), flush=True)
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 0.5)
            sys.stdout.write(orjson.dumps(csms.counters()).decode() + "\n")
            sys.stdout.flush()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--heartbeat-interval", type=int, default=60)
    parser.add_argument("--capture", type=Path, help="write the first MeterValues frame here")
    args = parser.parse_args()
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    asyncio.run(main(args.port, args.heartbeat_interval, args.capture))
