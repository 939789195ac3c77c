"""Reconnect delays (DESIGN.md: capped exponential back-off with jitter; OCPP-J errata 3.4)."""

from __future__ import annotations

import random

from hypothesis import given
from hypothesis import strategies as st

from simulator.station.backoff import (
    EXPONENTIAL_BASE_SECONDS,
    EXPONENTIAL_CAP_SECONDS,
    reconnect_delay,
)

attempts = st.integers(min_value=1, max_value=10_000)
seeds = st.integers(min_value=0, max_value=2**32)
connection_timeouts = st.integers(min_value=0, max_value=3600)


def exponential(attempt: int, rng: random.Random, **limits: float) -> float:
    return reconnect_delay(attempt, exponential=True, fixed_seconds=30, rng=rng, **limits)


def capped(attempt: int) -> float:
    """The delay before jitter: base * 2^(attempt-1), at most the cap."""
    if attempt > 64:
        return EXPONENTIAL_CAP_SECONDS
    return min(EXPONENTIAL_CAP_SECONDS, EXPONENTIAL_BASE_SECONDS * 2 ** (attempt - 1))


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
