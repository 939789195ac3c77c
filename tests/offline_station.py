"""A real ChargingStation whose far side is an in-memory CSMS, on a virtual clock.

Only the network is faked: the station's transactions, meters and ATG are the real objects.
The fake CSMS validates every request against the OCPP 1.6 schemas and answers as the bundled
one does (transaction ids 1, 2, 3...; idTags Accepted unless listed as rejected).
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from simulator.config_loading import load_settings
from simulator.plan import plan_stations
from simulator.station.ocpp16 import schemas
from simulator.station.station import ChargingStation
from tests.fleet import quick_template, write_fleet
from tests.virtual_clock import VirtualClock

ID_TAGS = ["TAG-A", "TAG-B", "TAG-C", "TAG-D", "TAG-E"]


@dataclass(frozen=True, slots=True)
class Sent:
    action: str
    payload: dict[str, Any]
    at: float  # virtual seconds


class FakeCsms:
    def __init__(self, clock: VirtualClock, reject_id_tags: tuple[str, ...] = ()) -> None:
        self.clock = clock
        self.reject = set(reject_id_tags)
        self.sent: list[Sent] = []
        self._next_transaction = 1

    async def answer(self, action: str, payload: dict[str, Any]) -> dict[str, Any]:
        schemas.validate(action, payload)
        self.sent.append(Sent(action, payload, self.clock.monotonic()))
        status = {"status": "Invalid" if payload.get("idTag") in self.reject else "Accepted"}
        if action == "Authorize":
            return {"idTagInfo": status}
        if action == "StartTransaction":
            transaction_id, self._next_transaction = (
                self._next_transaction,
                self._next_transaction + 1,
            )
            return {"transactionId": transaction_id, "idTagInfo": status}
        if action == "StopTransaction":
            return {"idTagInfo": status} if "idTag" in payload else {}
        if action == "BootNotification":
            return {"status": "Accepted", "currentTime": "2026-01-01T00:00:00Z", "interval": 60}
        return {}

    def of(self, action: str) -> list[dict[str, Any]]:
        return [s.payload for s in self.sent if s.action == action]


class OfflineStation(ChargingStation):
    csms: FakeCsms
    # False: transaction messages wait in the queue, as while the CSMS is unreachable; back to
    # True and queue.resume() delivers them.
    online = True

    async def call(self, action: str, payload: dict[str, Any]) -> dict[str, Any]:
        return await self.csms.answer(action, payload)

    def link_up(self) -> bool:
        return self.online  # the in-memory CSMS has accepted the station


def make_station(
    tmp_path: Path,
    *,
    clock: VirtualClock | None = None,
    reject_id_tags: tuple[str, ...] = (),
    index: int = 1,
    seed: int = 0,
    **template: Any,
) -> OfflineStation:
    """Station `index` of a fleet of the quick template with `template` overrides."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    tags = tmp_path / "idtags.json"
    tags.write_text(json.dumps(ID_TAGS))
    template.setdefault("authorizationFile", str(tags))
    path = tmp_path / f"seed-{seed}"
    path.mkdir(exist_ok=True)
    config = write_fleet(
        path, "ws://127.0.0.1:9", {"t.json": (quick_template(**template), index)}, seed=seed
    )
    spec = plan_stations(load_settings(config, environ={}))[index - 1]
    clock = clock or VirtualClock()
    station = OfflineStation(spec, clock=clock, on_change=lambda station, delta: None)
    station.csms = FakeCsms(clock, reject_id_tags)
    return station


async def shutdown(station: ChargingStation) -> None:
    """End the station's tasks (the ATG loops, the samplers) at the end of a test."""
    station.atg.stop()
    current = asyncio.current_task()
    tasks = [t for t in asyncio.all_tasks() if t is not current]
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


__all__ = ["ID_TAGS", "FakeCsms", "OfflineStation", "Sent", "make_station", "shutdown"]
