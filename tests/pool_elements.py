"""Element hosts for the pool tests, built inside worker processes by import path."""

from __future__ import annotations

import asyncio
import gc
import os
import weakref
from collections.abc import Callable
from typing import Any


class _Cycle:
    """An element's part that refers to itself: only the collector frees it."""

    def __init__(self) -> None:
        self.me = self


class RecordingHost:
    """Records its elements, emits an event per add and remove, answers with what it holds.

    Requests: "held" -> pid, the ids asked for and the ids held; "fail" raises; ("sleep", s)
    answers after s seconds; "added_at" -> loop time of each add; "loop" -> the loop's module;
    "gc" -> the collector's thresholds; "turns" -> the loop turns counted at each add (option
    `count_turns`); "cycles" -> the elements' reference cycles still alive, removed or not;
    "unpicklable" answers a lambda. A spec of "refuse"
    makes `add` raise. The option `hang_on_stop` makes `stop` never return; `chatter` (a size)
    emits an event of that many bytes every millisecond, to keep the worker writing to its
    outbox.
    """

    def __init__(self, emit: Callable[[Any], None], options: dict[str, Any]) -> None:
        self._emit = emit
        self._options = options
        self._loop = asyncio.get_running_loop()
        self.elements: dict[str, Any] = {}
        self.added_at: dict[str, float] = {}
        self.turns_at_add: list[int] = []
        self._turns = 0
        self._cycles: weakref.WeakSet[_Cycle] = weakref.WeakSet()
        self._chatter: asyncio.Task[None] | None = None
        if options.get("chatter"):
            self._chatter = self._loop.create_task(self._chat(options["chatter"]))
        self._counter = (
            self._loop.create_task(self._count()) if options.get("count_turns") else None
        )

    async def add(self, element_id: str, spec: Any) -> None:
        if spec == "refuse":
            raise ValueError(f"refused {element_id}")
        cycle = _Cycle()
        self._cycles.add(cycle)
        self.elements[element_id] = (spec, cycle)
        self.added_at[element_id] = self._loop.time()
        self.turns_at_add.append(self._turns)
        self._emit(("added", element_id))

    async def remove(self, element_id: str) -> None:
        del self.elements[element_id]
        self._emit(("removed", element_id))

    async def request(self, element_ids: list[str] | None, payload: Any) -> Any:
        match payload:
            case "held":
                return {"pid": os.getpid(), "asked": element_ids, "held": sorted(self.elements)}
            case "fail":
                raise RuntimeError("asked to fail")
            case ("sleep", seconds):
                await asyncio.sleep(seconds)
                return "slept"
            case "added_at":
                return dict(self.added_at)
            case "loop":
                return type(self._loop).__module__
            case "gc":
                return gc.get_threshold()
            case "turns":
                return list(self.turns_at_add)
            case "cycles":
                return len(self._cycles)
            case "unpicklable":
                return lambda: None
        raise ValueError(f"unknown request {payload!r}")

    async def _count(self) -> None:
        while True:
            await asyncio.sleep(0)
            self._turns += 1

    async def _chat(self, size: int) -> None:
        blob = b"x" * size
        while True:
            self._emit(("chatter", blob))
            await asyncio.sleep(0.001)

    async def stop(self) -> None:
        for task in (self._chatter, self._counter):
            if task is not None:
                task.cancel()
        if self._options.get("hang_on_stop"):
            await asyncio.sleep(3600)
        self._emit(("stopped", sorted(self.elements)))


class BrokenHost:
    """A factory that cannot build its host."""

    def __init__(self, emit: Callable[[Any], None], options: dict[str, Any]) -> None:
        raise RuntimeError("no stations today")
