"""A worker's store driven through a seeded sequence of changes, for the kill tests
(tests/test_state_kill.py): `python -m tests.store_driver <state dir> <seed> <log>`.

Stations are `SectionsStation`s: documents of a few sections, a queue among them that grows
and shrinks, some a few hundred bytes long. Before each change the driver logs
`{"h", "n", "doc"}` (the document the change makes, step `n` of station `h`), and once the
store says it is on disk (`flushed` after an urgent change, at once after an `at_once` one,
a stop) `{"h", "n", "durable": true}`: what the parent, killing the process at any
instant, may find restored is a document of step n, at least the last durable one.
"""

from __future__ import annotations

import asyncio
import os
import random
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

from simulator.station.persistence import StateStore

STATIONS = 5
SECTIONS = ("connectorsStatus", "transactionQueue", "chargingProfiles", "configurationKey")


class SectionsStation:
    """A document of named sections, the step count among them."""

    def __init__(self, hash_id: str) -> None:
        self.hash_id = hash_id
        self.sections: dict[str, Any] = {"step": 0, **{name: [] for name in SECTIONS}}

    def document(self) -> bytes:
        return orjson.dumps(self.sections)

    def change(self, rng: random.Random) -> None:
        """The step count and one or two sections, the queue growing and shrinking."""
        self.sections["step"] += 1
        step = self.sections["step"]
        for name in rng.sample(SECTIONS, rng.randint(1, 2)):
            if name == "transactionQueue":
                queue = self.sections[name]
                self.sections[name] = queue[1:] if queue and rng.random() < 0.5 else [*queue, step]
            else:
                self.sections[name] = [step, "x" * rng.randint(0, 300)]


Emit = Callable[[dict[str, Any]], None]


def log_to(path: Path) -> Emit:
    """Lines appended by one system call each: what a kill leaves is whole lines and at most
    one torn one, in the order of the store's own writes."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)

    def emit(line: dict[str, Any]) -> None:
        os.write(fd, orjson.dumps(line) + b"\n")

    return emit


async def drive(state_dir: Path, seed: int, emit: Emit, steps: int | None = None) -> StateStore:
    """Changes until killed, or `steps` of them (the store left open, as a kill leaves it)."""
    rng = random.Random(seed)
    store = StateStore(state_dir, debounce=0.002, lazy=0.005)
    stations = [SectionsStation(f"station-{i}") for i in range(STATIONS)]
    emit({"ready": True})
    done = 0
    while steps is None or done < steps:
        done += 1
        station = rng.choice(stations)
        way = rng.choices(("urgent", "at_once", "lazy"), (6, 3, 2))[0]
        station.change(rng)
        step = station.sections["step"]
        emit({"h": station.hash_id, "n": step, "doc": station.sections})
        store.changed(
            station.hash_id,
            station.document,
            urgent=way == "urgent",
            at_once=way == "at_once",
        )
        if way == "urgent":
            await store.flushed(station.hash_id)
        if way != "lazy":
            emit({"h": station.hash_id, "n": step, "durable": True})
        await asyncio.sleep(rng.choice((0, 0, 0, 0.001, 0.004)))
    return store


if __name__ == "__main__":
    asyncio.run(drive(Path(sys.argv[1]), int(sys.argv[2]), log_to(Path(sys.argv[3]))))
