"""The time a station lives in: injected so that its logic can run on a virtual clock in tests."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    def monotonic(self) -> float: ...

    def now(self) -> datetime: ...

    async def sleep(self, seconds: float) -> None: ...


class SystemClock:
    def monotonic(self) -> float:
        return time.monotonic()

    def now(self) -> datetime:
        return datetime.now(UTC)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


# The formatted second ("2026-01-01T00:00:00.") by (second, minute, hour, day, month, year):
# the stations of a worker stamp their messages within the same few seconds, so strftime, most
# of the cost of a stamp, runs about once per second and worker (issue 16).
_SECONDS: dict[tuple[int, int, int, int, int, int], str] = {}
_SECONDS_LIMIT = 64
_MILLISECONDS = tuple(f"{ms:03d}Z" for ms in range(1000))


def iso_timestamp(moment: datetime) -> str:
    """OCPP dateTime: UTC with milliseconds and a Z, the form CSMSs parse most reliably."""
    utc = moment.astimezone(UTC)
    second = (utc.second, utc.minute, utc.hour, utc.day, utc.month, utc.year)
    prefix = _SECONDS.get(second)
    if prefix is None:
        if len(_SECONDS) >= _SECONDS_LIMIT:
            _SECONDS.clear()
        prefix = _SECONDS[second] = utc.strftime("%Y-%m-%dT%H:%M:%S.")
    return prefix + _MILLISECONDS[utc.microsecond // 1000]
