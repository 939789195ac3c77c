"""The core's Services for tests: a virtual clock, the log, tasks kept to be awaited, and a
count of persist requests. No station, no socket."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any

from loguru import logger

from simulator.plan import StationSpec
from simulator.template_model import ConnectorTemplate, StationTemplate
from tests.virtual_clock import VirtualClock


def core_spec(template: StationTemplate, connectors: dict[int, ConnectorTemplate]) -> StationSpec:
    """The plan's spec of a station the core tests build by hand (no template file)."""
    return StationSpec(
        index=1,
        global_index=0,
        template_name="core",
        template_path="core.json",
        template=template,
        station_id="CORE-1",
        hash_id="core-1",
        supervision_url="ws://127.0.0.1:1",
        supervision_user=None,
        supervision_password=None,
        charge_point_serial_number=None,
        charge_box_serial_number=None,
        meter_serial_number=None,
        connectors=connectors,
        seed=7,
        authorization_file=None,
    )


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
