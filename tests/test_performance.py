"""The supervisor's statistics: per-station windows folded into station, template and fleet
views, and the performance records written from them (issue 7)."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from simulator.performance import PerformanceRecorder
from simulator.station.host import StationHost
from simulator.stats import Statistics
from simulator.storage import NoStorage
from tests.fleet import specs_for

NOW = datetime(2026, 1, 1, tzinfo=UTC)
TEMPLATES = {"a1": "ac", "a2": "ac", "d1": "dc"}


def window(requests: int, latency_us: int) -> Statistics:
    statistics = Statistics()
    command = statistics.command("Heartbeat")
    command.requests = command.responses = requests
    for _ in range(requests):
        command.latency_us.record(latency_us)
    return statistics


def event(**per_station: Statistics) -> dict[str, Any]:
    return {"kind": "statistics", "perStation": {h: s.to_wire() for h, s in per_station.items()}}


def describe(hash_id: str) -> tuple[str, str, str]:
    return f"CS-{hash_id}", f"ws://csms/CS-{hash_id}", TEMPLATES[hash_id]


def recorder() -> PerformanceRecorder:
    return PerformanceRecorder(NoStorage(""), now=lambda: NOW)


def test_windows_add_up_per_station_and_for_the_fleet() -> None:
    performance = recorder()
    performance.add_event(event(a1=window(2, 1000), d1=window(1, 5000)), describe)
    performance.add_event(event(a1=window(3, 2000)), describe)
    assert performance.stations["a1"].statistics.commands["Heartbeat"].requests == 5
    assert performance.totals.commands["Heartbeat"].requests == 6
    assert performance.totals.commands["Heartbeat"].latency_us.max == 5000


def test_the_template_view_merges_the_stations_of_each_template() -> None:
    performance = recorder()
    performance.add_event(event(a1=window(2, 1000), a2=window(3, 1000), d1=window(1, 1)), describe)
    views = performance.by_template()
    assert views["ac"].commands["Heartbeat"].requests == 5
    assert views["dc"].commands["Heartbeat"].requests == 1


def test_taking_the_window_starts_a_new_one_and_keeps_the_totals() -> None:
    performance = recorder()
    performance.add_event(event(a1=window(2, 1000)), describe)
    assert performance.take_window().commands["Heartbeat"].requests == 2
    assert performance.take_window().commands == {}
    assert performance.totals.commands["Heartbeat"].requests == 2


def test_a_record_names_the_station_as_described() -> None:
    performance = recorder()
    performance.add_event(event(a1=window(2, 1000)), describe)
    (record,) = performance.records()
    assert (record.id, record.name, record.uri) == ("a1", "CS-a1", "ws://csms/CS-a1")
    assert record.created_at == record.updated_at == NOW
    assert record.statistics_data["Heartbeat"]["requestCount"] == 2


def test_records_are_for_the_stations_that_changed_since_the_last_ones() -> None:
    performance = recorder()
    performance.add_event(event(a1=window(1, 1), d1=window(1, 1)), describe)
    assert [r.id for r in performance.records()] == ["a1", "d1"]
    performance.add_event(event(d1=window(1, 1)), describe)
    assert [r.id for r in performance.records()] == ["d1"]
    assert [r.id for r in performance.records(everything=True)] == ["a1", "d1"]


# -- what a worker's host sends ----------------------------------------------------------------


async def host_with_stations(tmp_path: Path, count: int) -> tuple[StationHost, list[Any]]:
    events: list[Any] = []
    host = StationHost(
        events.append,
        {"configure_logging": False, "statistics_interval": 0, "auto_start": False},
    )
    for spec in specs_for(tmp_path, "ws://127.0.0.1:9", count):
        await host.add(spec.hash_id, spec)
    return host, events


def statistics_events(events: list[Any]) -> list[dict[str, Any]]:
    return [e for e in events if isinstance(e, dict) and e.get("kind") == "statistics"]


async def test_the_host_sends_the_window_of_each_station_that_recorded_something(
    tmp_path: Path,
) -> None:
    host, events = await host_with_stations(tmp_path, 2)
    busy, _idle = list(host.stations.values())
    assert busy.statistics is not None
    busy.statistics.command("Heartbeat").requests += 1
    await host.stop()
    (event,) = statistics_events(events)
    assert list(event["perStation"]) == [busy.hash_id]
    received = Statistics.from_wire(event["perStation"][busy.hash_id])
    assert received.commands["Heartbeat"].requests == 1
    assert busy.statistics.commands == {}  # the window was taken


async def test_a_removed_station_sends_its_last_window_before_it_goes(tmp_path: Path) -> None:
    host, events = await host_with_stations(tmp_path, 1)
    (station,) = host.stations.values()
    assert station.statistics is not None
    station.statistics.command("Heartbeat").requests += 1
    await host.remove(station.hash_id)
    kinds = [e["kind"] for e in events if e.get("kind") in ("statistics", "removed")]
    assert kinds == ["statistics", "removed"]
    assert station.hash_id in statistics_events(events)[0]["perStation"]
    await host.stop()


def test_the_window_span_covers_the_workers_windows_merged_into_it() -> None:
    performance = recorder()
    performance.add_event(
        {**event(a1=window(1, 1)), "windowStart": 5.0, "windowEnd": 10.0}, describe
    )
    performance.add_event(
        {**event(d1=window(1, 1)), "windowStart": 4.5, "windowEnd": 9.5}, describe
    )
    assert performance.window_span == (4.5, 10.0)
    performance.take_window()
    assert performance.window_span is None


async def test_the_hosts_statistics_events_cover_one_window_after_the_other(
    tmp_path: Path,
) -> None:
    """What the supervisor divides its counts by: a removed station's last window leaves the
    others' open, and the stop's event closes it."""
    created = time.monotonic()
    host, events = await host_with_stations(tmp_path, 2)
    first, _second = list(host.stations)
    await host.remove(first)
    await host.stop()
    removal, last = statistics_events(events)
    assert created <= removal["windowStart"] <= removal["windowEnd"] <= last["windowEnd"]
    assert last["windowStart"] == removal["windowStart"]
