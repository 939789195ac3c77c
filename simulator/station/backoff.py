"""Delays before a station reconnects (pure, so they can be property-tested)."""

from __future__ import annotations

from simulator.station.light_random import Rng

EXPONENTIAL_BASE_SECONDS = 0.5
EXPONENTIAL_CAP_SECONDS = 60.0
# 2.0 ** 1024 raises OverflowError: a station retrying forever (autoReconnectMaxRetries -1) at
# the 60 s cap would crash after about a thousand attempts, some 13 hours.
_MAX_EXPONENT = 1023


def reconnect_delay(
    attempt: int,
    *,
    exponential: bool,
    fixed_seconds: float,
    rng: Rng,
    base_seconds: float = EXPONENTIAL_BASE_SECONDS,
    cap_seconds: float = EXPONENTIAL_CAP_SECONDS,
) -> float:
    """Seconds to wait before reconnect attempt `attempt` (1 for the first retry).

    Exponential: base * 2^(attempt-1), capped, then "equal jitter" (half fixed, half random) so a
    fleet that lost its CSMS at the same instant does not come back at the same instant. Fixed
    (the seed's default, reconnectExponentialDelay false): ConnectionTimeOut seconds, +/- 20 %.
    """
    if exponential:
        exponent = min(max(attempt - 1, 0), _MAX_EXPONENT)
        delay = min(cap_seconds, base_seconds * 2.0**exponent)
        return delay / 2 + rng.random() * delay / 2
    return max(fixed_seconds, 0.0) * (0.8 + 0.4 * rng.random())


def back_off_201(
    attempt: int, *, wait_minimum: float, random_range: float, repeat_times: int, rng: Rng
) -> float:
    """OCPP-J 2.0.1 P4 5.3: the first reconnection waits RetryBackOffWaitMinimum plus a random
    part of up to RetryBackOffRandomRange; each next one doubles the wait, RetryBackOffRepeatTimes
    times at most, and later ones keep the last wait (random part anew each time)."""
    doublings = min(max(attempt - 1, 0), max(repeat_times, 0), _MAX_EXPONENT)
    return max(wait_minimum, 0.0) * 2.0**doublings + rng.random() * max(random_range, 0.0)
