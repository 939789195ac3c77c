from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from workers.placement import (
    DynamicPolicy,
    NoWorkerError,
    StaticPolicy,
    Strategy,
    WorkerSetPolicy,
    idle_surplus,
    least_used,
    modelled,
    parse_strategy,
    plan,
    round_robin,
)

element_ids = st.lists(st.text(min_size=1, max_size=8), unique=True, max_size=60)
loads_of = st.dictionaries(st.integers(0, 20), st.integers(0, 30), min_size=1, max_size=8)
any_strategy = st.sampled_from(list(Strategy))
round_robins = [s for s in Strategy if modelled(s) is Strategy.ROUND_ROBIN]


@pytest.mark.key("worker.poolStrategy")
def test_every_poolifier_strategy_name_is_accepted() -> None:
    for name in (
        "ROUND_ROBIN",
        "LEAST_USED",
        "LEAST_BUSY",
        "LEAST_ELU",
        "FAIR_SHARE",
        "WEIGHTED_ROUND_ROBIN",
        "INTERLEAVED_WEIGHTED_ROUND_ROBIN",
    ):
        assert parse_strategy(name) == name


def test_an_unknown_strategy_names_the_accepted_ones() -> None:
    with pytest.raises(ValueError, match="LEAST_USED"):
        parse_strategy("RANDOM")


def test_strategies_are_modelled_as_round_robin_or_least_used() -> None:
    assert modelled(Strategy.WEIGHTED_ROUND_ROBIN) is Strategy.ROUND_ROBIN
    assert modelled(Strategy.INTERLEAVED_WEIGHTED_ROUND_ROBIN) is Strategy.ROUND_ROBIN
    for strategy in (Strategy.LEAST_BUSY, Strategy.LEAST_ELU, Strategy.FAIR_SHARE):
        assert modelled(strategy) is Strategy.LEAST_USED


def test_round_robin_takes_the_next_id_and_wraps() -> None:
    assert round_robin([0, 1, 2], None) == 0
    assert round_robin([0, 1, 2], 0) == 1
    assert round_robin([0, 1, 2], 2) == 0
    assert round_robin([0, 2, 5], 2) == 5  # ids with gaps, as after a worker was retired
    assert round_robin([0, 2, 5], 3) == 5


def test_least_used_breaks_ties_on_the_lowest_id() -> None:
    assert least_used({3: 1, 1: 1, 2: 4}) == 1


def test_a_static_pool_without_live_workers_cannot_place() -> None:
    with pytest.raises(NoWorkerError):
        plan(StaticPolicy(Strategy.ROUND_ROBIN), ["a"], {}, None, 0)


def test_an_element_given_twice_is_refused() -> None:
    with pytest.raises(ValueError, match="twice"):
        plan(StaticPolicy(Strategy.ROUND_ROBIN), ["a", "a"], {0: 0}, None, 1)


def test_worker_set_fills_workers_in_order_and_opens_new_ones() -> None:
    result = plan(WorkerSetPolicy(2), ["a", "b", "c", "d", "e"], {0: 1}, None, 1)
    assert result.assignments == {"a": 0, "b": 1, "c": 1, "d": 2, "e": 2}
    assert result.opened == (1, 2)
    assert result.loads == {0: 2, 1: 2, 2: 2}


def test_dynamic_pool_opens_a_worker_only_when_all_are_full() -> None:
    policy = DynamicPolicy(capacity=2, max_size=3, strategy=Strategy.ROUND_ROBIN)
    result = plan(policy, list("abcdefgh"), {0: 0}, None, 1)
    assert result.assignments == {
        "a": 0,
        "b": 0,
        "c": 1,
        "d": 1,
        "e": 2,
        "f": 2,
        "g": 0,  # at max_size: past capacity, by strategy
        "h": 1,
    }
    assert result.opened == (1, 2)


@pytest.mark.key("worker.poolMinSize")
def test_idle_workers_are_stopped_newest_first_down_to_min_size() -> None:
    idle = {1: 0.0, 2: 0.0, 3: 9.5}
    assert idle_surplus(idle, live_workers=4, now=10.0, idle_timeout=1.0, min_size=1) == [2, 1]
    assert idle_surplus(idle, live_workers=4, now=10.0, idle_timeout=1.0, min_size=3) == [2]
    assert idle_surplus(idle, live_workers=2, now=10.0, idle_timeout=1.0, min_size=2) == []


@given(element_ids, loads_of, any_strategy)
def test_static_placement_places_every_element_exactly_once(
    ids: list[str], loads: dict[int, int], strategy: Strategy
) -> None:
    result = plan(StaticPolicy(strategy), ids, loads, None, max(loads) + 1)
    assert list(result.assignments) == ids
    assert set(result.assignments.values()) <= set(loads)
    assert result.opened == ()
    assert sum(result.loads.values()) == sum(loads.values()) + len(ids)


@given(element_ids, st.integers(1, 8), st.sampled_from(round_robins))
def test_round_robin_balances_within_one(ids: list[str], workers: int, strategy: Strategy) -> None:
    result = plan(StaticPolicy(strategy), ids, dict.fromkeys(range(workers), 0), None, workers)
    assert max(result.loads.values()) - min(result.loads.values()) <= 1


@given(loads_of)
def test_least_used_never_picks_a_worker_with_more_elements_than_another(
    loads: dict[int, int],
) -> None:
    chosen = StaticPolicy(Strategy.LEAST_USED).choose(loads, None)
    assert chosen is not None
    assert all(loads[chosen] <= n for n in loads.values())


@given(element_ids, st.integers(1, 8), st.data())
def test_worker_set_never_exceeds_elements_per_worker(
    ids: list[str], per_worker: int, data: st.DataObject
) -> None:
    loads = data.draw(st.dictionaries(st.integers(0, 10), st.integers(0, per_worker), max_size=6))
    next_id = max(loads, default=-1) + 1
    result = plan(WorkerSetPolicy(per_worker), ids, loads, None, next_id)
    assert list(result.assignments) == ids
    assert all(n <= per_worker for n in result.loads.values())
    assert result.opened == tuple(range(next_id, next_id + len(result.opened)))


@given(
    element_ids,
    st.integers(1, 5),
    st.integers(1, 6),
    any_strategy,
    st.dictionaries(st.integers(0, 5), st.integers(0, 8), max_size=6),
)
def test_dynamic_pool_grows_only_when_every_worker_is_full(
    ids: list[str], capacity: int, max_size: int, strategy: Strategy, loads: dict[int, int]
) -> None:
    policy = DynamicPolicy(capacity, max_size, strategy)
    current = dict(loads)
    last: int | None = None
    next_id = 100
    for element_id in ids:
        chosen = policy.choose(current, last)
        if chosen is None:
            assert all(n >= capacity for n in current.values())
            assert len(current) < max_size
            chosen, next_id = next_id, next_id + 1
            current[chosen] = 0
        elif any(n < capacity for n in current.values()):
            assert current[chosen] < capacity, element_id
        current[chosen] += 1
        last = chosen
    assert len(current) <= max(max_size, len(loads))


@given(
    st.dictionaries(st.integers(0, 20), st.floats(0, 100), max_size=10),
    st.integers(0, 25),
    st.integers(0, 10),
    st.floats(0, 50),
)
def test_idle_surplus_never_goes_below_min_size(
    idle: dict[int, float], extra_busy: int, min_size: int, timeout: float
) -> None:
    live = len(idle) + extra_busy
    stopped = idle_surplus(idle, live, now=100.0, idle_timeout=timeout, min_size=min_size)
    assert live - len(stopped) >= min(live, min_size)
    assert all(100.0 - idle[w] >= timeout for w in stopped)
