"""The core's Services for tests: a virtual clock, the log, tasks kept to be awaited, and a
count of persist requests. No station, no socket."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any

from loguru import logger

from tests.virtual_clock import VirtualClock


class FakeServices:
    def __init__(self) -> None:
        self.clock = VirtualClock()
        self.log = logger.bind(station="core-test")
        self.tasks: set[asyncio.Task[Any]] = set()
        self.persisted = 0

    def spawn(self, coroutine: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        task = asyncio.ensure_future(coroutine)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return task

    def persist(self, *, urgent: bool = False) -> None:
        self.persisted += 1

    async def settled(self) -> None:
        """Whatever was spawned has run until it sleeps on the clock."""
        await self.clock.run_for(0)

    async def close(self) -> None:
        for task in list(self.tasks):
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
