"""A 2.0.1 station's state over runs (configurations/<hashId>.json, as a 1.6 station's): its
device-model values set at run time, and its queued TransactionEvents, outlive the process."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from simulator.plan import StationSpec
from simulator.station.ocpp201.schemas import SCHEMAS201
from simulator.station.persistence import StateStore, read_state, state_path
from simulator.station.rpc import ConnectionLost
from tests.fleet201 import specs_201
from tests.offline_station import OfflineStation, shutdown
from tests.virtual_clock import VirtualClock


class Csms201:
    """Answers a 2.0.1 station in memory, each request checked against the v201 schemas."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, dict[str, Any]]] = []

    async def answer(self, action: str, payload: dict[str, Any]) -> dict[str, Any]:
        SCHEMAS201.validate(action, payload)
        self.sent.append((action, payload))
        if action == "TransactionEvent" and "idToken" in payload:
            return {"idTokenInfo": {"status": "Accepted"}}
        if action == "Authorize":
            return {"idTokenInfo": {"status": "Accepted"}}
        return {}

    def events(self) -> list[dict[str, Any]]:
        return [payload for action, payload in self.sent if action == "TransactionEvent"]


class Station201(OfflineStation):
    online = True
    csms201: Csms201

    def link_up(self) -> bool:
        return self.online

    async def call(self, action: str, payload: dict[str, Any]) -> dict[str, Any]:
        if not self.online:
            raise ConnectionLost(action)
        return await self.csms201.answer(action, payload)


class Run:
    def __init__(self, spec: StationSpec, state_dir: Path, *, online: bool = True) -> None:
        self.clock = VirtualClock()
        self.store = StateStore(state_dir, debounce=0.01)
        self.station = Station201(
            spec,
            clock=self.clock,
            on_change=lambda station, delta: None,
            store=self.store,
            persisted=read_state(state_path(state_dir, spec.hash_id)),
        )
        self.station.csms201 = Csms201()
        self.station.online = online

    async def kill(self) -> None:
        await self.store.close()
        await shutdown(self.station)


def spec(tmp_path: Path) -> StationSpec:
    [one] = specs_201(tmp_path / "fleet", "ws://127.0.0.1:1")
    return one


async def test_a_value_set_by_set_variables_survives_a_restart_b05(tmp_path: Path) -> None:
    the_spec = spec(tmp_path)
    first = Run(the_spec, tmp_path / "state")
    answer = await first.station._handle_call(
        "SetVariables",
        {
            "setVariableData": [
                {
                    "component": {"name": "SampledDataCtrlr"},
                    "variable": {"name": "TxUpdatedInterval"},
                    "attributeValue": "33",
                }
            ]
        },
    )
    await first.kill()
    second = Run(the_spec, tmp_path / "state")

    assert answer["setVariableResult"][0]["attributeStatus"] == "Accepted"
    assert second.station.variables.integer("SampledDataCtrlr", "TxUpdatedInterval", 0) == 33
    await second.kill()


async def test_events_queued_offline_survive_a_restart_and_leave_offline_in_order_e04(
    tmp_path: Path,
) -> None:
    """E04.FR.01/02: made offline, queued, persisted; the next run sends them in order with
    `offline: true`, and ends the transaction the kill left open (PowerLoss)."""
    the_spec = spec(tmp_path)
    first = Run(the_spec, tmp_path / "state", online=False)
    await first.station.transactions.begin(1, "TAG-A")
    await first.clock.run_for(30)
    queued = len(first.station.transactions.queue)
    await first.kill()
    second = Run(the_spec, tmp_path / "state")
    station = second.station
    assert len(station.transactions.queue) == queued >= 2
    try:
        await station.start()
        station.registration_accepted()
        for _ in range(100):  # each message is written ahead (real time) before it is sent
            if not station.transactions.queue:
                break
            await second.clock.run_for(1)
            await asyncio.sleep(0.02)
        events = second.station.csms201.events()
    finally:
        await second.kill()
    assert events[0]["eventType"] == "Started" and events[-1]["eventType"] == "Ended"
    assert [e["seqNo"] for e in events] == list(range(len(events)))
    assert all(e.get("offline") for e in events[:queued])
    assert events[-1]["transactionInfo"]["stoppedReason"] == "PowerLoss"
