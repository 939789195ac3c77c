"""The one-line fleet summary the supervisor logs every logStatisticsInterval."""

from __future__ import annotations

import time
from pathlib import Path

from loguru import logger

from simulator.fleet_summary import FleetCounts, command_lines, summary_line
from simulator.stats import CommandStats, Statistics
from simulator.supervisor import Supervisor
from tests.fleet import settings_for

COUNTS = FleetCounts(stations=10, started=9, connected=8, booted=7)


def command(
    requests: int, latencies_us: list[int], *, errors: int = 0, timeouts: int = 0
) -> CommandStats:
    stats = CommandStats(
        requests=requests, responses=len(latencies_us), errors=errors, timeouts=timeouts
    )
    for latency in latencies_us:
        stats.latency_us.record(latency)
    return stats


def busy_window() -> Statistics:
    """105 CALLs: 90 answered in 1 ms, 10 in 20 ms; 3 errors, 2 timeouts."""
    return Statistics(
        {
            "BootNotification": command(10, [20_000] * 10),
            "Heartbeat": command(95, [1_000] * 90, errors=3, timeouts=2),
        }
    )


def test_the_summary_line_reads_counts_rate_latency_errors_and_timeouts() -> None:
    assert summary_line(COUNTS, busy_window(), 10.0) == (
        "stations 10 | started 9 | connected 8 | booted 7 | 10.5 msg/s"
        " | p50 1.00 ms | p99 20.00 ms | errors 3 | timeouts 2"
    )


def test_the_rate_is_calls_sent_per_second_of_the_window() -> None:
    window = Statistics({"Heartbeat": command(30, [])})
    assert "| 1.5 msg/s |" in summary_line(COUNTS, window, 20.0)


def test_latency_quantiles_cover_every_action_and_are_in_milliseconds() -> None:
    line = summary_line(COUNTS, busy_window(), 10.0)
    assert "| p50 1.00 ms |" in line  # the Heartbeat bulk
    assert "| p99 20.00 ms |" in line  # the slow BootNotifications


def test_an_empty_window_reads_as_zeros() -> None:
    assert summary_line(FleetCounts(0, 0, 0, 0), Statistics(), 5.0) == (
        "stations 0 | started 0 | connected 0 | booted 0 | 0.0 msg/s"
        " | p50 0.00 ms | p99 0.00 ms | errors 0 | timeouts 0"
    )


def test_a_window_of_no_time_reads_as_no_rate() -> None:
    assert "| 0.0 msg/s |" in summary_line(COUNTS, busy_window(), 0.0)


def test_the_summary_leaves_the_window_unchanged() -> None:
    window = busy_window()
    before = window.to_dict()
    summary_line(COUNTS, window, 10.0)
    assert window.to_dict() == before


# -- the fleet view per command (issue 7) ------------------------------------------------------


def test_each_command_has_a_line_with_count_rate_percentiles_max_errors_timeouts() -> None:
    lines = command_lines(busy_window(), 10.0)
    assert lines[0] == (
        "Heartbeat | count 95 | 9.5 msg/s | p50 1.00 ms | p95 1.00 ms | p99 1.00 ms"
        " | max 1.00 ms | errors 3 | timeouts 2"
    )


def test_command_lines_come_busiest_first() -> None:
    assert [line.split(" |")[0] for line in command_lines(busy_window(), 10.0)] == [
        "Heartbeat",
        "BootNotification",
    ]


def test_an_empty_window_has_no_command_lines() -> None:
    assert command_lines(Statistics(), 10.0) == []


def heartbeats(count: int) -> Statistics:
    return Statistics({"Heartbeat": command(count, [1_000] * count)})


async def test_the_stop_summary_rates_over_the_window_the_counts_were_measured_in(
    tmp_path: Path,
) -> None:
    """A worker's last window reaches the supervisor at the stop, a fraction of a second after
    the previous summary: its one Heartbeat was measured over 10 s, so 0.1 msg/s (issue 17 saw
    `count 1 | 5.1 msg/s`)."""
    supervisor = Supervisor(settings_for(tmp_path, "ws://127.0.0.1:9"), use_uvloop=False)
    end = time.monotonic()
    event = {
        "kind": "statistics",
        "perStation": {"h1": heartbeats(1).to_wire()},
        "windowStart": end - 10.0,
        "windowEnd": end,
    }
    supervisor.performance.add_event(event, lambda _: ("CS-1", "ws://csms/CS-1", "t"))
    lines: list[str] = []
    sink = logger.add(lambda message: lines.append(message.record["message"]), level="INFO")
    try:
        supervisor._log_summary()
    finally:
        logger.remove(sink)
    assert any(line.startswith("Heartbeat | count 1 | 0.1 msg/s |") for line in lines), lines
    assert "| 0.1 msg/s |" in lines[0]
