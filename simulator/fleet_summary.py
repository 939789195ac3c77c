"""The one-line fleet summary the supervisor logs every logStatisticsInterval (pure)."""

from __future__ import annotations

from dataclasses import dataclass

from simulator.stats import Statistics


@dataclass(frozen=True, slots=True)
class FleetCounts:
    stations: int
    started: int
    connected: int
    booted: int


def summary_line(counts: FleetCounts, window: Statistics, seconds: float) -> str:
    overall = window.overall()
    rate = overall.requests / seconds if seconds > 0 else 0.0
    p50 = overall.latency_us.quantile(0.5) / 1000
    p99 = overall.latency_us.quantile(0.99) / 1000
    return (
        f"stations {counts.stations} | started {counts.started} | connected {counts.connected}"
        f" | booted {counts.booted} | {rate:.1f} msg/s | p50 {p50:.2f} ms | p99 {p99:.2f} ms"
        f" | errors {overall.errors} | timeouts {overall.timeouts}"
    )


def command_lines(window: Statistics, seconds: float) -> list[str]:
    """The fleet view per command, one line each, busiest first: count, msgs/s, p50, p95, p99,
    max (ms), errors, timeouts."""
    lines = []
    ranked = sorted(window.commands.items(), key=lambda item: (-item[1].requests, item[0]))
    for action, stats in ranked:
        latency = stats.latency_us
        rate = stats.requests / seconds if seconds > 0 else 0.0
        lines.append(
            f"{action} | count {stats.requests} | {rate:.1f} msg/s"
            f" | p50 {latency.quantile(0.5) / 1000:.2f} ms"
            f" | p95 {latency.quantile(0.95) / 1000:.2f} ms"
            f" | p99 {latency.quantile(0.99) / 1000:.2f} ms"
            f" | max {latency.max / 1000:.2f} ms"
            f" | errors {stats.errors} | timeouts {stats.timeouts}"
        )
    return lines
