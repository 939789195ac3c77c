"""Reconnect delays (DESIGN.md: capped exponential back-off with jitter; OCPP-J errata 3.4)."""

from __future__ import annotations

import asyncio
import random
import socket
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from simulator.station.backoff import (
    EXPONENTIAL_BASE_SECONDS,
    EXPONENTIAL_CAP_SECONDS,
    reconnect_delay,
)
from simulator.station.station import CLOSED, CONNECTING, ChargingStation
from tests.fleet import specs_for
from tests.virtual_clock import VirtualClock

attempts = st.integers(min_value=1, max_value=10_000)
seeds = st.integers(min_value=0, max_value=2**32)
connection_timeouts = st.integers(min_value=0, max_value=3600)


def exponential(attempt: int, rng: random.Random, **limits: float) -> float:
    return reconnect_delay(attempt, exponential=True, fixed_seconds=30, rng=rng, **limits)


def capped(attempt: int) -> float:
    """The delay before jitter: base * 2^(attempt-1), at most the cap."""
    if attempt > 64:
        return EXPONENTIAL_CAP_SECONDS
    return min(EXPONENTIAL_CAP_SECONDS, EXPONENTIAL_BASE_SECONDS * 2.0 ** (attempt - 1))


@given(attempts, seeds)
def test_an_exponential_delay_lies_between_half_and_all_of_the_capped_delay(
    attempt: int, seed: int
) -> None:
    """Equal jitter: half the delay is fixed, the other half random."""
    d = capped(attempt)
    assert d / 2 <= exponential(attempt, random.Random(seed)) <= d


@given(attempts, seeds)
def test_an_exponential_delay_never_exceeds_the_cap(attempt: int, seed: int) -> None:
    assert exponential(attempt, random.Random(seed)) <= EXPONENTIAL_CAP_SECONDS


@pytest.mark.key("reconnectExponentialDelay")
@given(attempts, attempts, seeds)
def test_exponential_delays_grow_with_the_attempts_until_the_cap(a: int, b: int, seed: int) -> None:
    """The range a delay is drawn from moves up with every attempt: with the same draw, a later
    attempt never waits less."""
    earlier, later = sorted((a, b))
    assert exponential(earlier, random.Random(seed)) <= exponential(later, random.Random(seed))


def test_the_first_retry_waits_at_most_the_base_delay() -> None:
    for seed in range(100):
        delay = exponential(1, random.Random(seed))
        assert EXPONENTIAL_BASE_SECONDS / 2 <= delay <= EXPONENTIAL_BASE_SECONDS


@given(st.integers(min_value=-5, max_value=1), seeds)
def test_attempts_below_one_wait_like_the_first_retry(attempt: int, seed: int) -> None:
    assert exponential(attempt, random.Random(seed)) == exponential(1, random.Random(seed))


@pytest.mark.key("autoReconnectMaxRetries")
@given(st.integers(min_value=1_000, max_value=10**9), seeds)
def test_a_station_retrying_forever_keeps_a_capped_delay(attempt: int, seed: int) -> None:
    """autoReconnectMaxRetries -1 retries without end; 2.0 ** 1024 must not overflow."""
    delay = exponential(attempt, random.Random(seed))
    assert EXPONENTIAL_CAP_SECONDS / 2 <= delay <= EXPONENTIAL_CAP_SECONDS


@given(
    attempts,
    seeds,
    st.floats(min_value=0.001, max_value=10),
    st.floats(min_value=0.001, max_value=600),
)
def test_an_exponential_delay_respects_a_given_base_and_cap(
    attempt: int, seed: int, base: float, cap: float
) -> None:
    delay = exponential(attempt, random.Random(seed), base_seconds=base, cap_seconds=cap)
    assert 0 < delay <= cap
    assert delay <= base * 2.0 ** min(attempt - 1, 1023)


@pytest.mark.key("reconnectExponentialDelay")
@given(attempts, seeds, connection_timeouts)
def test_a_fixed_delay_is_connection_timeout_within_20_percent(
    attempt: int, seed: int, connection_timeout: int
) -> None:
    """OCPP 1.6 section 9.1.6 ConnectionTimeOut, jittered by +/- 20 %."""
    delay = reconnect_delay(
        attempt, exponential=False, fixed_seconds=connection_timeout, rng=random.Random(seed)
    )
    assert 0.8 * connection_timeout <= delay <= 1.2 * connection_timeout


@given(attempts, attempts, seeds)
def test_a_fixed_delay_does_not_depend_on_the_attempt(a: int, b: int, seed: int) -> None:
    def fixed(attempt: int) -> float:
        return reconnect_delay(
            attempt, exponential=False, fixed_seconds=30, rng=random.Random(seed)
        )

    assert fixed(a) == fixed(b)


@given(attempts, seeds)
def test_a_negative_connection_timeout_waits_nothing(attempt: int, seed: int) -> None:
    delay = reconnect_delay(attempt, exponential=False, fixed_seconds=-5, rng=random.Random(seed))
    assert delay == 0


@given(seeds, st.booleans())
def test_the_same_seed_gives_the_same_delays(seed: int, is_exponential: bool) -> None:
    """DESIGN.md: randomness comes in through the station as a seeded RNG."""

    def delays(rng: random.Random) -> list[float]:
        return [
            reconnect_delay(attempt, exponential=is_exponential, fixed_seconds=30, rng=rng)
            for attempt in range(1, 20)
        ]

    assert delays(random.Random(seed)) == delays(random.Random(seed))


def test_different_seeds_spread_a_fleet_over_the_delay_range() -> None:
    """A fleet that lost its CSMS at once does not come back at once."""
    delays = {exponential(10, random.Random(seed)) for seed in range(50)}
    assert len(delays) == 50


# -- the station's reconnect loop follows these delays ------------------------------------------


class AttemptLog:
    """Virtual times at which the station starts a connection attempt and sees it fail."""

    def __init__(self, clock: VirtualClock) -> None:
        self.clock = clock
        self.started: list[float] = []
        self.failed: list[float] = []

    def __call__(self, station: ChargingStation, delta: dict[str, Any]) -> None:
        if delta.get("wsState") == CONNECTING:
            self.started.append(self.clock.monotonic())
        elif delta.get("wsState") == CLOSED:
            self.failed.append(self.clock.monotonic())


async def attempts_against_a_closed_port(
    tmp_path: Path, max_retries: int, **template: Any
) -> AttemptLog:
    """A station that can never connect (nothing listens), on a virtual clock, until it gives
    up after `max_retries` retries."""
    with socket.socket() as probe:  # a port that was free a moment ago: refused at once
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    clock = VirtualClock()
    log = AttemptLog(clock)
    spec = specs_for(
        tmp_path, f"ws://127.0.0.1:{port}", 1, autoReconnectMaxRetries=max_retries, **template
    )[0]
    station = ChargingStation(spec, clock=clock, on_change=log)
    await station.start()
    try:
        for _ in range(2_000):  # bounded: each round is one virtual second
            if not station.started:
                break
            await clock.run_for(1)
            await asyncio.sleep(0.005)  # real time for the refused connect to come back
        assert not station.started, "the station did not give up"
    finally:
        await station.stop()
    return log


@pytest.mark.integration
@pytest.mark.timeout(60)
async def test_a_station_waits_the_capped_exponential_delays_between_failed_attempts(
    tmp_path: Path,
) -> None:
    """reconnectExponentialDelay: the n-th retry comes after reconnect_delay(n), jittered in
    [capped/2, capped]; the station gives up after autoReconnectMaxRetries retries."""
    log = await attempts_against_a_closed_port(
        tmp_path, max_retries=9, reconnectExponentialDelay=True
    )
    assert len(log.started) == 10  # the first attempt and 9 retries
    waits = [start - fail for fail, start in zip(log.failed, log.started[1:], strict=False)]
    for attempt, wait in enumerate(waits, start=1):
        assert capped(attempt) / 2 - 1e-9 <= wait <= capped(attempt) + 1e-9, (attempt, wait)
    assert waits[-1] > waits[0]


@pytest.mark.integration
@pytest.mark.timeout(60)
async def test_a_station_without_exponential_delay_waits_connection_timeout_between_attempts(
    tmp_path: Path,
) -> None:
    """The seed's fixed reconnect delay: ConnectionTimeOut (quick template: 1 s), +/- 20 %,
    every time. (Its OCPP meaning, section 9.1.6, is the Preparing timeout; the TS simulator
    reuses it.)"""
    log = await attempts_against_a_closed_port(
        tmp_path, max_retries=5, reconnectExponentialDelay=False
    )
    waits = [start - fail for fail, start in zip(log.failed, log.started[1:], strict=False)]
    assert len(waits) == 5
    assert all(0.8 - 1e-9 <= wait <= 1.2 + 1e-9 for wait in waits)
