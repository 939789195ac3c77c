"""MinimumStatusDuration (OCPP 1.6 sections 4.9, 9.1.20): a connector's status is reported once
it has lasted the minimum, counted from the moment it began; a status that lasts less is never
sent."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from simulator.station.clock import Clock

Spawn = Callable[[Coroutine[Any, Any, Any]], "asyncio.Task[Any]"]


class StableStatus:
    """Per connector, the wait of the status in force; `report` sends it once it has lasted."""

    def __init__(self, clock: Clock, spawn: Spawn, report: Callable[[int], Awaitable[None]]):
        self._clock = clock
        self._spawn = spawn
        self._report = report
        self._waiting: dict[int, asyncio.Task[None]] = {}

    def began(self, connector_id: int, minimum: float) -> None:
        """A new status is in force on the connector: the one before it, still waiting, has
        not lasted the minimum and is never sent."""
        waiting = self._waiting.pop(connector_id, None)
        if waiting is not None:
            waiting.cancel()
        self._waiting[connector_id] = self._spawn(self._report_when_stable(connector_id, minimum))

    async def _report_when_stable(self, connector_id: int, minimum: float) -> None:
        await self._clock.sleep(minimum)
        # Lasted: from here on a change must not cancel this task, it would cut the call short.
        self._waiting.pop(connector_id, None)
        await self._report(connector_id)


__all__ = ["StableStatus"]
