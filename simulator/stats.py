"""CALL latency histograms and per-command counters, mergeable across stations and workers.

The histogram is log-linear (HdrHistogram's layout, 32 sub-buckets per power of two): memory is
bounded by the range of values, not by the number of samples, and quantiles are exact to one
bucket width (about 3 %). Values are recorded in microseconds.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

SUB_BUCKET_BITS = 5
SUB_BUCKETS = 1 << SUB_BUCKET_BITS

# CommandStats.to_wire: counters, then the histogram's fields in declaration order.
CommandWire = tuple[int, int, int, int, dict[int, int], int, int, float, int, int, int]


def bucket_index(value: int) -> int:
    """The bucket of a non-negative integer value."""
    if value < SUB_BUCKETS:
        return max(value, 0)
    shift = value.bit_length() - SUB_BUCKET_BITS - 1
    return (shift + 1) * SUB_BUCKETS + (value >> shift) - SUB_BUCKETS


def bucket_bounds(index: int) -> tuple[int, int]:
    """The half-open value range [low, high) of a bucket."""
    if index < SUB_BUCKETS:
        return index, index + 1
    shift = index // SUB_BUCKETS - 1
    mantissa = index % SUB_BUCKETS + SUB_BUCKETS
    return mantissa << shift, (mantissa + 1) << shift


@dataclass(slots=True)
class Histogram:
    counts: dict[int, int] = field(default_factory=dict)
    total: int = 0
    sum: int = 0
    sum_squares: float = 0.0
    min: int = 0
    max: int = 0
    last: int = 0  # the most recent value: the performance records' currentTimeMeasurement

    def record(self, value: int) -> None:
        # The hot path of every CALL: bucket_index inlined, comparisons instead of min/max.
        if value < SUB_BUCKETS:
            index = value if value > 0 else 0
        else:
            shift = value.bit_length() - SUB_BUCKET_BITS - 1
            index = ((shift + 1) << SUB_BUCKET_BITS) + (value >> shift) - SUB_BUCKETS
        counts = self.counts
        counts[index] = counts.get(index, 0) + 1
        if value < self.min or self.total == 0:
            self.min = value
        if value > self.max:  # noqa: PLR1730  (a comparison: max() is a call on the hot path)
            self.max = value
        self.last = value
        self.total += 1
        self.sum += value
        self.sum_squares += value * value

    def merge(self, other: Histogram) -> None:
        if other.total == 0:
            return
        for index, count in other.counts.items():
            self.counts[index] = self.counts.get(index, 0) + count
        self.min = other.min if self.total == 0 else min(self.min, other.min)
        self.max = max(self.max, other.max)
        self.total += other.total
        self.sum += other.sum
        self.sum_squares += other.sum_squares
        # `other` holds the later samples: merges go oldest first (window into totals).
        self.last = other.last

    def quantile(self, q: float) -> int:
        """The value at quantile q (0..1): the middle of the bucket holding that rank."""
        if self.total == 0:
            return 0
        rank = max(1, math.ceil(q * self.total))
        seen = 0
        for index in sorted(self.counts):
            seen += self.counts[index]
            if seen >= rank:
                low, high = bucket_bounds(index)
                return min(max((low + high - 1) // 2, self.min), self.max)
        return self.max

    @property
    def mean(self) -> float:
        return self.sum / self.total if self.total else 0.0

    @property
    def stddev(self) -> float:
        if self.total == 0:
            return 0.0
        variance = self.sum_squares / self.total - self.mean**2
        return math.sqrt(max(variance, 0.0))

    def to_dict(self) -> dict[str, Any]:
        return {
            "counts": {str(k): v for k, v in self.counts.items()},
            "total": self.total,
            "sum": self.sum,
            "sumSquares": self.sum_squares,
            "min": self.min,
            "max": self.max,
            "last": self.last,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Histogram:
        return cls(
            counts={int(k): int(v) for k, v in data["counts"].items()},
            total=int(data["total"]),
            sum=int(data["sum"]),
            sum_squares=float(data["sumSquares"]),
            min=int(data["min"]),
            max=int(data["max"]),
            last=int(data.get("last", 0)),
        )


@dataclass(slots=True)
class CommandStats:
    """What one OCPP action did: calls sent, answers, errors, timeouts and their latency.

    For an action the CSMS calls (Reset, RemoteStartTransaction...) the same counters mean:
    calls received, CALLRESULTs sent, CALLERRORs sent, and the station's handling time.
    """

    requests: int = 0
    responses: int = 0
    errors: int = 0
    timeouts: int = 0
    latency_us: Histogram = field(default_factory=Histogram)

    def merge(self, other: CommandStats) -> None:
        self.requests += other.requests
        self.responses += other.responses
        self.errors += other.errors
        self.timeouts += other.timeouts
        self.latency_us.merge(other.latency_us)

    def to_dict(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "responses": self.responses,
            "errors": self.errors,
            "timeouts": self.timeouts,
            "latencyUs": self.latency_us.to_dict(),
        }

    def to_wire(self) -> CommandWire:
        """A compact tuple for the worker -> supervisor queue (pickled): cheaper than to_dict.
        It shares the histogram's counts: only for a window nobody records into any more."""
        h = self.latency_us
        return (
            self.requests,
            self.responses,
            self.errors,
            self.timeouts,
            h.counts,
            h.total,
            h.sum,
            h.sum_squares,
            h.min,
            h.max,
            h.last,
        )

    @classmethod
    def from_wire(cls, wire: CommandWire) -> CommandStats:
        requests, responses, errors, timeouts, counts, total, sum_, squares, low, high, last = wire
        return cls(
            requests,
            responses,
            errors,
            timeouts,
            Histogram(counts, total, sum_, squares, low, high, last),
        )

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CommandStats:
        return cls(
            requests=int(data["requests"]),
            responses=int(data["responses"]),
            errors=int(data["errors"]),
            timeouts=int(data["timeouts"]),
            latency_us=Histogram.from_dict(data["latencyUs"]),
        )


@dataclass(slots=True)
class Statistics:
    """Per-command statistics of one station, one worker or the whole fleet."""

    commands: dict[str, CommandStats] = field(default_factory=dict)

    def command(self, action: str) -> CommandStats:
        stats = self.commands.get(action)
        if stats is None:
            stats = self.commands[action] = CommandStats()
        return stats

    def merge(self, other: Statistics) -> None:
        for action, stats in other.commands.items():
            self.command(action).merge(stats)

    def overall(self) -> CommandStats:
        total = CommandStats()
        for stats in self.commands.values():
            total.merge(stats)
        return total

    def to_dict(self) -> dict[str, Any]:
        return {action: stats.to_dict() for action, stats in self.commands.items()}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Statistics:
        return cls({action: CommandStats.from_dict(v) for action, v in data.items()})

    @classmethod
    def merged(cls, parts: Iterable[Statistics]) -> Statistics:
        total = cls()
        for part in parts:
            total.merge(part)
        return total

    def to_wire(self) -> dict[str, CommandWire]:
        return {action: stats.to_wire() for action, stats in self.commands.items()}

    @classmethod
    def from_wire(cls, wire: Mapping[str, CommandWire]) -> Statistics:
        return cls({action: CommandStats.from_wire(v) for action, v in wire.items()})

    def take(self) -> Statistics:
        """What was recorded since the last take, leaving this object empty. The object stays
        the same, so an RPC session that holds it keeps recording into the next window."""
        taken = Statistics(self.commands)
        self.commands = {}
        return taken


def _ms(microseconds: float) -> float:
    return round(microseconds / 1000, 3)


def performance_fields(stats: CommandStats) -> dict[str, int | float]:
    """One command's entry of a performance record's statisticsData: the TS simulator's field
    names, times in milliseconds, plus timeoutCount and the 99th percentile."""
    latency = stats.latency_us
    return {
        "requestCount": stats.requests,
        "responseCount": stats.responses,
        "errorCount": stats.errors,
        "timeoutCount": stats.timeouts,
        "timeMeasurementCount": latency.total,
        "currentTimeMeasurement": _ms(latency.last),
        "minTimeMeasurement": _ms(latency.min),
        "maxTimeMeasurement": _ms(latency.max),
        "totalTimeMeasurement": _ms(latency.sum),
        "avgTimeMeasurement": _ms(latency.mean),
        "medTimeMeasurement": _ms(latency.quantile(0.5)),
        "ninetyFiveThPercentileTimeMeasurement": _ms(latency.quantile(0.95)),
        "ninetyNineThPercentileTimeMeasurement": _ms(latency.quantile(0.99)),
        "stdDevTimeMeasurement": _ms(latency.stddev),
    }


def statistics_data(statistics: Statistics) -> dict[str, dict[str, int | float]]:
    """A performance record's statisticsData: performance_fields by command, sorted by name."""
    return {
        action: performance_fields(statistics.commands[action])
        for action in sorted(statistics.commands)
    }
