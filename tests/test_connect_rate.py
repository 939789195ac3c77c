"""The per-worker token bucket on new connections (DESIGN.md: a ramp-up or a CSMS restart does
not become a storm)."""

from __future__ import annotations

import asyncio
import itertools
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from simulator.station.connect_rate import ConnectRate
from tests.virtual_clock import VirtualClock

# Float rounding in (now - updated) * rate: a grant may land this early or this much over.
EPSILON = 1e-6

rates = st.floats(min_value=0.1, max_value=10_000)
bursts = st.floats(min_value=1, max_value=1_000)
# Gaps between successive requests, in seconds: bursts of simultaneous callers and pauses.
gaps = st.lists(st.floats(min_value=0, max_value=5), min_size=1, max_size=200)


class ManualClock:
    """A monotonic clock the test moves by hand (reserve() reads the time, never sleeps)."""

    def __init__(self) -> None:
        self.time = 100.0

    def monotonic(self) -> float:
        return self.time

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.time, UTC)

    async def sleep(self, seconds: float) -> None:
        raise AssertionError("reserve() must not sleep")


def grant_times(rate: float, burst: float, request_gaps: list[float]) -> list[float]:
    """When each caller may connect, for callers arriving `request_gaps` apart."""
    clock = ManualClock()
    bucket = ConnectRate(rate, burst, clock=clock)
    grants = []
    for gap in request_gaps:
        clock.time += gap
        grants.append(clock.time + bucket.reserve())
    return grants


@given(rates, bursts, gaps)
def test_no_window_sees_more_than_burst_plus_rate_times_its_length(
    rate: float, burst: float, request_gaps: list[float]
) -> None:
    grants = grant_times(rate, burst, request_gaps)
    for first in range(len(grants)):
        for last in range(first, len(grants)):
            window = grants[last] - grants[first]
            count = last - first + 1
            assert count <= burst + rate * window + EPSILON * (1 + rate)


@given(rates, bursts, gaps)
def test_callers_are_granted_in_the_order_they_asked(
    rate: float, burst: float, request_gaps: list[float]
) -> None:
    """FIFO: no caller overtakes one that asked before it."""
    grants = grant_times(rate, burst, request_gaps)
    assert all(a <= b + EPSILON for a, b in itertools.pairwise(grants))


@given(rates, bursts, gaps)
def test_nobody_is_granted_before_asking(
    rate: float, burst: float, request_gaps: list[float]
) -> None:
    clock_times = [100.0 + sum(request_gaps[: i + 1]) for i in range(len(request_gaps))]
    grants = grant_times(rate, burst, request_gaps)
    assert all(g >= t - EPSILON for g, t in zip(grants, clock_times, strict=True))


@given(rates, st.integers(min_value=1, max_value=1_000))
def test_a_full_bucket_lets_a_whole_burst_through_at_once(rate: float, burst: int) -> None:
    assert grant_times(rate, burst, [0.0] * burst) == [100.0] * burst


@pytest.mark.key("connectionRatePerWorker")
@given(rates, st.integers(min_value=1, max_value=100), st.integers(min_value=1, max_value=500))
def test_callers_beyond_the_burst_are_spaced_one_over_rate_apart(
    rate: float, burst: int, extra: int
) -> None:
    """The work-conserving side of the bound: waiting callers are let through as fast as the
    rate allows, not slower."""
    grants = grant_times(rate, burst, [0.0] * (burst + extra))
    beyond = grants[burst - 1 :]
    for a, b in itertools.pairwise(beyond):
        assert b - a == pytest.approx(1 / rate, rel=1e-6, abs=EPSILON)


@given(rates, bursts, st.floats(min_value=0, max_value=10_000))
def test_an_idle_bucket_refills_to_its_burst_and_no_further(
    rate: float, burst: float, idle: float
) -> None:
    clock = ManualClock()
    bucket = ConnectRate(rate, burst, clock=clock)
    while bucket.reserve() == 0:  # empty it, one token into debt
        pass
    # Longer than a refill takes (one second more, against float rounding): capped at burst.
    clock.time += idle + (burst + 1) / rate + 1
    granted_at_once = 0
    while bucket.reserve() == 0 and granted_at_once <= burst + 1:
        granted_at_once += 1
    assert granted_at_once == int(burst)


@pytest.mark.key("connectionRatePerWorker")
@given(st.integers(min_value=1, max_value=10_000))
def test_a_rate_of_zero_never_makes_anyone_wait(callers: int) -> None:
    """connectionRatePerWorker 0: no limit."""
    bucket = ConnectRate(0, clock=ManualClock())
    assert not bucket.limited
    assert all(bucket.reserve() == 0 for _ in range(callers))


def test_the_burst_defaults_to_one_second_of_the_rate() -> None:
    assert ConnectRate(50, clock=ManualClock()).burst == 50


def test_a_rate_below_one_per_second_still_lets_one_caller_through() -> None:
    bucket = ConnectRate(0.2, clock=ManualClock())
    assert bucket.reserve() == 0
    assert bucket.reserve() == pytest.approx(5.0)


def test_a_negative_rate_is_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        ConnectRate(-1, clock=ManualClock())


@pytest.mark.timeout(10)
async def test_waiting_callers_connect_in_turn_on_the_bucket_clock() -> None:
    clock = VirtualClock()
    bucket = ConnectRate(10, 2, clock=clock)
    connected: list[tuple[int, float]] = []

    async def caller(number: int) -> None:
        await bucket.acquire()
        connected.append((number, clock.monotonic()))

    tasks = [asyncio.create_task(caller(n)) for n in range(5)]
    await clock.run_for(1)
    await asyncio.gather(*tasks)
    assert [n for n, _ in connected] == [0, 1, 2, 3, 4]
    assert [t for _, t in connected] == pytest.approx([0, 0, 0.1, 0.2, 0.3])
