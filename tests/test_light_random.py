"""The stations' small seeded generator (simulator/station/light_random.py)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from simulator.station.light_random import LightRandom


@given(seed=st.text(max_size=20))
def test_the_same_seed_draws_the_same_numbers(seed: str) -> None:
    first, second = LightRandom(seed), LightRandom(seed)
    assert [first.random() for _ in range(5)] == [second.random() for _ in range(5)]


def test_streams_of_other_names_differ() -> None:
    draws = {tuple(LightRandom(f"7:meter:{c}").random() for _ in range(3)) for c in range(50)}
    assert len(draws) == 50


@given(seed=st.integers(), low=st.integers(-1000, 1000), width=st.integers(0, 1000))
def test_randint_stays_within_both_bounds(seed: int, low: int, width: int) -> None:
    rng = LightRandom(seed)
    assert all(low <= rng.randint(low, low + width) <= low + width for _ in range(20))


@given(seed=st.integers())
def test_random_and_uniform_stay_in_their_range(seed: int) -> None:
    rng = LightRandom(seed)
    assert all(0.0 <= rng.random() < 1.0 for _ in range(50))
    assert all(2.0 <= rng.uniform(2.0, 3.0) <= 3.0 for _ in range(50))


def test_a_saved_state_replays_the_draws_after_it() -> None:
    rng = LightRandom("s")
    state = rng.getstate()
    first = [rng.random() for _ in range(4)]
    rng.setstate(state)
    assert [rng.random() for _ in range(4)] == first


def test_draws_spread_evenly_over_ten_bins() -> None:
    rng = LightRandom(42)
    bins = [0] * 10
    for _ in range(20_000):
        bins[rng.randrange(10)] += 1
    assert all(1_700 < count < 2_300 for count in bins), bins


def test_choice_picks_from_the_sequence_and_refuses_an_empty_one() -> None:
    rng = LightRandom(1)
    assert {rng.choice("abc") for _ in range(100)} == {"a", "b", "c"}
    with pytest.raises(IndexError):
        rng.choice([])
    with pytest.raises(ValueError):
        rng.randrange(3, 3)
