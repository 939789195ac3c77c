"""Python heap per station, by tracemalloc: README "Performance" (what memory holds).

`python -m bench.station_memory` against the lean CSMS (bench/lean_csms.py, its own process, so
its heap is not counted), `--stations` at a time, each figure the traced heap it added divided
by the count:

1. stations of the idle profile (bench/stations.py) built, not started: a station's own objects;
2. the same stations started, connected and booted: everything a running station holds (its
   tasks' coroutine frames, its connection, its statistics; no state store);
3. plain websockets client connections to the same CSMS, the handshake's request and response
   released as simulator/station/connection.py does: the floor a connection costs whatever the
   simulator, which figure 2 is put against.

tracemalloc sees Python's allocations only: the interpreter's and allocator's overhead, the
sockets' kernel buffers and C libraries' heaps are in the bench's PSS, not here.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

from loguru import logger
from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Subprotocol

from bench.fleet import CsmsProcess, raise_open_file_limit, total
from bench.stations import bench_specs
from simulator.station.clock import SystemClock
from simulator.station.connection import _HANDSHAKE_DONE
from simulator.station.station import ChargingStation
from simulator.stats import Statistics

BOOT_TIMEOUT = 120.0
KIB = 1024


def traced() -> int:
    gc.collect()
    return tracemalloc.get_traced_memory()[0]


async def stations_heap(directory: Path, csms: CsmsProcess, count: int) -> tuple[float, float]:
    """Bytes per station built, then per station started and booted."""
    specs = bench_specs(directory, csms.url, count)
    before = traced()
    stations = [
        ChargingStation(
            spec, clock=SystemClock(), on_change=lambda s, d: None, statistics=Statistics()
        )
        for spec in specs
    ]
    built = (traced() - before) / count
    for station in stations:
        await station.start()
    deadline = time.monotonic() + BOOT_TIMEOUT
    while total([csms], "booted") < count:
        if time.monotonic() > deadline:
            raise SystemExit(f"only {total([csms], 'booted'):.0f} of {count} stations booted")
        await asyncio.sleep(0.2)
    await asyncio.sleep(1)  # the boot's StatusNotifications
    running = (traced() - before) / count
    for station in stations:
        await station.stop()
    return built, running


async def connections_heap(csms: CsmsProcess, count: int) -> float:
    before = traced()
    sockets: list[ClientConnection] = []
    try:
        for i in range(count):
            websocket = await connect(
                f"{csms.url}/PLAIN-{i}",
                subprotocols=[Subprotocol("ocpp1.6")],
                compression=None,
                proxy=None,
            )
            websocket.request = None
            websocket.response = _HANDSHAKE_DONE
            sockets.append(websocket)
        return (traced() - before) / count
    finally:
        for websocket in sockets:
            await websocket.close()


async def measure(count: int) -> tuple[float, float, float]:
    raise_open_file_limit()
    csms = CsmsProcess(heartbeat_interval=300)
    try:
        await asyncio.sleep(0.5)  # let the CSMS bind
        tracemalloc.start()
        with tempfile.TemporaryDirectory(prefix="evsim-bench-memory-") as name:
            connection = await connections_heap(csms, count)
            built, running = await stations_heap(Path(name), csms, count)
        tracemalloc.stop()
    finally:
        csms.stop()
    return built, running, connection


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--stations", type=int, default=300)
    args = parser.parse_args()
    logger.remove()
    logger.add(sys.stderr, level="WARNING")
    built, running, connection = asyncio.run(measure(args.stations))
    print(f"{args.stations} stations of the idle profile, tracemalloc (Python heap only)")
    print(f"station built, not started:            {built / KIB:.1f} KiB")
    print(f"station started and booted, all in:    {running / KIB:.1f} KiB")
    print(f"plain websockets client connection:    {connection / KIB:.1f} KiB")
    print(f"running station / plain connection:    {running / connection:.1f}x")


if __name__ == "__main__":
    main()
