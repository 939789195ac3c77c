"""The fleet's counts and the one-line summary the supervisor logs every logStatisticsInterval
(pure)."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Any

from simulator.stats import Statistics


@dataclass(frozen=True, slots=True)
class FleetCounts:
    stations: int
    started: int
    connected: int
    booted: int


def count_stations(
    stations: Iterable[tuple[str, dict[str, Any]]], auto_register: Collection[str]
) -> FleetCounts:
    """The counts of (hashId, station data) pairs; `auto_register`: the hashIds of autoRegister
    stations, booted once the CSMS answered, as ChargingStation.booted."""
    known = started = connected = booted = 0
    for hash_id, data in stations:
        known += 1
        started += bool(data.get("started"))
        online = data.get("wsState") == 1
        connected += online
        boot = data.get("bootNotificationResponse")
        booted += (
            online
            and isinstance(boot, dict)
            and (boot.get("status") == "Accepted" or hash_id in auto_register)
        )
    return FleetCounts(known, started, connected, booted)


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
