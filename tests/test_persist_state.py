"""config.json persistState (a key of the TypeScript simulator 4.x): false, no station state
file at all; the state lives in the worker's memory only."""

from __future__ import annotations

from pathlib import Path

import pytest

from simulator.config_loading import load_settings
from simulator.plan import plan_stations
from simulator.station.host import StationHost
from simulator.supervisor import pool_options
from tests.fleet import quick_template, write_fleet


async def state_files_after_a_change(tmp_path: Path, **config: object) -> list[Path]:
    """The files under the state directory once a worker host has added a station, persisted
    a change of it (urgently: as before a transaction message) and stopped."""
    path = write_fleet(tmp_path, "ws://127.0.0.1:9", {"t.json": (quick_template(), 1)}, **config)
    settings = load_settings(path, environ={})
    spec = plan_stations(settings)[0]
    options = {
        **pool_options(settings, 1).host_options,
        "configure_logging": False,
        "statistics_interval": 0,
        "auto_start": False,
    }
    host = StationHost(lambda event: None, options)
    try:
        await host.add(spec.hash_id, spec)
        station = host.stations[spec.hash_id]
        station.configuration.set("HeartbeatInterval", "30")
        station.persist(urgent=True)
        await host.remove(spec.hash_id)
    finally:
        await host.stop()
    state_dir = settings.resolve(settings.state_dir)
    return sorted(p for p in state_dir.rglob("*") if p.is_file()) if state_dir.exists() else []


@pytest.mark.key("persistState")
async def test_persist_state_false_writes_no_state_file(tmp_path: Path) -> None:
    assert await state_files_after_a_change(tmp_path, persistState=False) == []


@pytest.mark.key("persistState")
async def test_persist_state_true_by_default_writes_the_station_state(tmp_path: Path) -> None:
    files = await state_files_after_a_change(tmp_path)
    assert [p.parent.name for p in files] == ["configurations"]
