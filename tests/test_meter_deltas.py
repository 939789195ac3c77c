"""What a sampling tick tells the UI (issue 16): the connectors' meter readings at most every
METER_DELTA_SECONDS, any other change of the connectors at once."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from simulator.station.station import METER_DELTA_SECONDS, ChargingStation
from tests.fleet import specs_for
from tests.virtual_clock import VirtualClock


def _station(tmp_path: Path) -> tuple[ChargingStation, VirtualClock, list[dict[str, Any]]]:
    [spec] = specs_for(tmp_path, "ws://127.0.0.1:1")
    clock = VirtualClock()
    deltas: list[dict[str, Any]] = []
    station = ChargingStation(spec, clock=clock, on_change=lambda _, delta: deltas.append(delta))
    return station, clock, deltas


def _connector_deltas(deltas: list[dict[str, Any]]) -> int:
    return sum(1 for delta in deltas if "connectors" in delta)


async def test_the_first_tick_reaches_the_ui(tmp_path: Path) -> None:
    station, _, deltas = _station(tmp_path)
    station.meters_moved()
    assert _connector_deltas(deltas) == 1


async def test_ticks_within_the_interval_send_no_delta(tmp_path: Path) -> None:
    station, clock, deltas = _station(tmp_path)
    station.meters_moved()
    for _ in range(int(METER_DELTA_SECONDS) - 1):
        await clock.run_for(1)
        station.meters_moved()
    assert _connector_deltas(deltas) == 1


async def test_a_tick_after_the_interval_sends_the_readings(tmp_path: Path) -> None:
    station, clock, deltas = _station(tmp_path)
    station.meters_moved()
    await clock.run_for(METER_DELTA_SECONDS)
    station.meters_moved()
    assert _connector_deltas(deltas) == 2


async def test_another_change_of_the_connectors_is_sent_at_once(tmp_path: Path) -> None:
    station, clock, deltas = _station(tmp_path)
    station.meters_moved()
    await clock.run_for(1)
    station.connectors_changed()
    assert _connector_deltas(deltas) == 2
    await clock.run_for(1)
    station.meters_moved()  # the interval counts from the last delta
    assert _connector_deltas(deltas) == 2
