"""What every feature of the core may use of the station it belongs to: time, a log, tasks
and persistence. The composition root (station.py) satisfies it structurally."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any, Protocol

from simulator.station.clock import Clock

if TYPE_CHECKING:
    from loguru import Logger


class Services(Protocol):
    @property
    def clock(self) -> Clock: ...

    @property
    def log(self) -> Logger: ...

    def spawn(self, coroutine: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]: ...

    def persist(self, *, urgent: bool = False) -> None: ...


__all__ = ["Services"]
