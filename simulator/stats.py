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

    def record(self, value: int) -> None:
        index = bucket_index(value)
        self.counts[index] = self.counts.get(index, 0) + 1
        if self.total == 0 or value < self.min:
            self.min = value
        self.max = max(self.max, value)
        self.total += 1
        self.sum += value
        self.sum_squares += float(value) * value

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
        )


@dataclass(slots=True)
class CommandStats:
    """What one OCPP action did: calls sent, answers, errors, timeouts and their latency."""

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
