"""A clock whose sleeps advance virtual time: station logic runs hours in milliseconds."""

from __future__ import annotations

import asyncio
import heapq
import itertools
from datetime import UTC, datetime, timedelta

# Yields given to the loop after each wake-up: enough for a woken task and the tasks it
# resolves (fake CSMS answers are immediate) to run until they sleep again.
_SETTLE_YIELDS = 50


class VirtualClock:
    """Implements simulator.station.clock.Clock. Sleepers wake in (time, sleep order) order,
    so a run is the same on every machine."""

    def __init__(self, start: datetime = datetime(2026, 1, 1, tzinfo=UTC)) -> None:
        self._start = start
        self._time = 0.0
        self._order = itertools.count()
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []

    def monotonic(self) -> float:
        return self._time

    def now(self) -> datetime:
        return self._start + timedelta(seconds=self._time)

    async def sleep(self, seconds: float) -> None:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self._time + max(0.0, seconds), next(self._order), future))
        await future

    async def run_for(self, seconds: float) -> None:
        """Let virtual time pass, waking each sleeper at its time."""
        end = self._time + seconds
        await self._settle()
        while self._sleepers and self._sleepers[0][0] <= end:
            wake, _, future = heapq.heappop(self._sleepers)
            if future.done():
                continue  # its task was cancelled
            self._time = wake
            future.set_result(None)
            await self._settle()
        self._time = end

    async def _settle(self) -> None:
        for _ in range(_SETTLE_YIELDS):
            await asyncio.sleep(0)
