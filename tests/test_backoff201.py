"""The OCPP 2.0.1 reconnect back-off (OCPP-J P4 5.3), a pure function of the attempt and the
OCPPCommCtrlr.RetryBackOff* variables."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from simulator.station.backoff import back_off_201
from simulator.station.light_random import LightRandom


@given(
    attempt=st.integers(1, 50),
    minimum=st.integers(0, 600),
    spread=st.integers(0, 60),
    repeat=st.integers(0, 10),
    seed=st.integers(0, 2**32),
)
def test_the_wait_is_the_minimum_doubled_up_to_repeat_times_plus_a_random_part(
    attempt: int, minimum: int, spread: int, repeat: int, seed: int
) -> None:
    """P4 5.3: RetryBackOffWaitMinimum, doubled per attempt RetryBackOffRepeatTimes times at
    most, plus at most RetryBackOffRandomRange."""
    wait = back_off_201(
        attempt,
        wait_minimum=minimum,
        random_range=spread,
        repeat_times=repeat,
        rng=LightRandom(seed),
    )
    base = minimum * 2 ** min(attempt - 1, repeat)

    assert base <= wait <= base + spread


def test_the_first_reconnection_waits_the_minimum_without_a_random_range() -> None:
    wait = back_off_201(1, wait_minimum=3, random_range=0, repeat_times=5, rng=LightRandom(1))

    assert wait == 3


def test_after_repeat_times_doublings_the_wait_stays() -> None:
    waits = [
        back_off_201(n, wait_minimum=2, random_range=0, repeat_times=2, rng=LightRandom(1))
        for n in range(1, 6)
    ]

    assert waits == [2, 4, 8, 8, 8]
