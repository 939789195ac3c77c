"""Latency histograms and per-command statistics (DESIGN.md: fixed-size, mergeable, log-linear)."""

from __future__ import annotations

import math
import random

from hypothesis import given, settings
from hypothesis import strategies as st

from simulator.stats import (
    SUB_BUCKETS,
    CommandStats,
    Histogram,
    Statistics,
    bucket_bounds,
    bucket_index,
    performance_fields,
)

values = st.integers(min_value=0, max_value=2**40)
samples = st.lists(values, max_size=200)
quantiles = st.floats(min_value=0.0, max_value=1.0)
actions = st.sampled_from(["BootNotification", "Heartbeat", "StatusNotification", "MeterValues"])


def histogram_of(data: list[int]) -> Histogram:
    histogram = Histogram()
    for value in data:
        histogram.record(value)
    return histogram


def assert_same_samples(actual: Histogram, expected: Histogram) -> None:
    """Equal histograms, but for the float sum of squares, which depends on the order of adding."""
    assert actual.counts == expected.counts
    assert (actual.total, actual.sum) == (expected.total, expected.sum)
    assert (actual.min, actual.max) == (expected.min, expected.max)
    assert math.isclose(actual.sum_squares, expected.sum_squares, rel_tol=1e-12)


def command_stats(requests: int, latencies: list[int]) -> CommandStats:
    stats = CommandStats(requests=requests, responses=len(latencies), errors=1, timeouts=2)
    stats.latency_us = histogram_of(latencies)
    return stats


# -- buckets -----------------------------------------------------------------------------------


@given(values)
def test_a_value_lies_within_the_bounds_of_its_bucket(value: int) -> None:
    low, high = bucket_bounds(bucket_index(value))
    assert low <= value < high


@given(st.integers(min_value=0, max_value=40 * SUB_BUCKETS))
def test_the_bounds_of_a_bucket_map_back_to_that_bucket(index: int) -> None:
    low, high = bucket_bounds(index)
    assert bucket_index(low) == index
    assert bucket_index(high - 1) == index


@given(st.integers(min_value=0, max_value=40 * SUB_BUCKETS))
def test_buckets_tile_the_values_without_gaps(index: int) -> None:
    assert bucket_bounds(index)[1] == bucket_bounds(index + 1)[0]


@given(values, values)
def test_bucket_index_is_monotone(a: int, b: int) -> None:
    low, high = sorted((a, b))
    assert bucket_index(low) <= bucket_index(high)


@given(st.integers(min_value=0, max_value=SUB_BUCKETS - 1))
def test_values_below_32_have_a_bucket_of_their_own(value: int) -> None:
    assert bucket_bounds(bucket_index(value)) == (value, value + 1)


@given(st.integers(min_value=SUB_BUCKETS, max_value=2**40))
def test_a_bucket_above_32_is_at_most_a_32nd_of_its_values_wide(value: int) -> None:
    """DESIGN.md: quantiles are exact to the bucket width (about 3 %)."""
    low, high = bucket_bounds(bucket_index(value))
    assert (high - low) * SUB_BUCKETS <= low


# -- one histogram -----------------------------------------------------------------------------


@given(samples)
def test_a_histogram_keeps_count_min_max_and_sum(data: list[int]) -> None:
    histogram = histogram_of(data)
    assert histogram.total == len(data)
    assert histogram.sum == sum(data)
    assert sum(histogram.counts.values()) == len(data)
    if data:
        assert (histogram.min, histogram.max) == (min(data), max(data))


def test_an_empty_histogram_reads_as_zero() -> None:
    histogram = Histogram()
    assert histogram.quantile(0.5) == 0
    assert histogram.mean == 0.0
    assert histogram.stddev == 0.0


@given(st.lists(values, min_size=1, max_size=200), quantiles)
def test_a_quantile_is_within_one_bucket_of_the_exact_one(data: list[int], q: float) -> None:
    """DESIGN.md: p50/p95/p99/max are exact to the bucket width."""
    exact = sorted(data)[max(1, math.ceil(q * len(data))) - 1]
    estimate = histogram_of(data).quantile(q)
    assert abs(bucket_index(estimate) - bucket_index(exact)) <= 1


@given(st.lists(values, min_size=1, max_size=200), quantiles)
def test_a_quantile_lies_between_min_and_max(data: list[int], q: float) -> None:
    assert min(data) <= histogram_of(data).quantile(q) <= max(data)


@given(st.lists(values, min_size=1, max_size=200))
def test_the_top_quantile_is_the_maximum_within_one_bucket(data: list[int]) -> None:
    top = histogram_of(data).quantile(1.0)
    assert bucket_index(top) == bucket_index(max(data))


@given(st.lists(values, min_size=1, max_size=100))
def test_mean_and_standard_deviation_are_exact(data: list[int]) -> None:
    histogram = histogram_of(data)
    mean = sum(data) / len(data)
    variance = sum((v - mean) ** 2 for v in data) / len(data)
    assert math.isclose(histogram.mean, mean, rel_tol=1e-9)
    assert math.isclose(histogram.stddev, math.sqrt(variance), rel_tol=1e-6, abs_tol=1e-3 * mean)


def test_memory_is_bounded_by_the_range_of_values_not_the_number_of_samples() -> None:
    """DESIGN.md: histograms are fixed-size."""
    histogram = histogram_of([value % 1000 for value in range(100_000)])
    assert len(histogram.counts) <= bucket_index(999) + 1


# -- merging -----------------------------------------------------------------------------------


@given(samples, samples)
def test_merging_two_histograms_equals_the_histogram_of_all_samples(
    a: list[int], b: list[int]
) -> None:
    merged = histogram_of(a)
    merged.merge(histogram_of(b))
    assert_same_samples(merged, histogram_of(a + b))


@given(samples, samples, quantiles)
def test_a_merged_histogram_has_the_quantiles_of_all_samples(
    a: list[int], b: list[int], q: float
) -> None:
    merged = histogram_of(a)
    merged.merge(histogram_of(b))
    assert merged.quantile(q) == histogram_of(a + b).quantile(q)


# -- serialization -----------------------------------------------------------------------------


@given(samples)
def test_a_histogram_survives_to_dict_and_from_dict(data: list[int]) -> None:
    histogram = histogram_of(data)
    assert Histogram.from_dict(histogram.to_dict()) == histogram


@given(st.dictionaries(actions, st.tuples(st.integers(0, 1000), samples), max_size=4))
def test_statistics_survive_to_dict_and_from_dict(
    per_action: dict[str, tuple[int, list[int]]],
) -> None:
    statistics = Statistics(
        {action: command_stats(requests, data) for action, (requests, data) in per_action.items()}
    )
    assert Statistics.from_dict(statistics.to_dict()) == statistics


# -- statistics --------------------------------------------------------------------------------


def test_command_creates_the_stats_of_an_action_once() -> None:
    statistics = Statistics()
    statistics.command("Heartbeat").requests += 1
    statistics.command("Heartbeat").requests += 1
    assert statistics.commands["Heartbeat"].requests == 2


@given(
    st.dictionaries(actions, st.tuples(st.integers(0, 1000), samples), max_size=4),
    st.dictionaries(actions, st.tuples(st.integers(0, 1000), samples), max_size=4),
)
def test_merging_statistics_adds_them_action_by_action(
    left: dict[str, tuple[int, list[int]]], right: dict[str, tuple[int, list[int]]]
) -> None:
    merged = Statistics({a: command_stats(n, data) for a, (n, data) in left.items()})
    merged.merge(Statistics({a: command_stats(n, data) for a, (n, data) in right.items()}))
    assert set(merged.commands) == set(left) | set(right)
    for action, stats in merged.commands.items():
        parts = [side[action] for side in (left, right) if action in side]
        assert stats.requests == sum(requests for requests, _ in parts)
        assert stats.responses == sum(len(data) for _, data in parts)
        assert stats.errors == len(parts)
        assert stats.timeouts == 2 * len(parts)
        assert_same_samples(stats.latency_us, histogram_of([v for _, data in parts for v in data]))


def test_merging_leaves_the_merged_statistics_unchanged() -> None:
    source = Statistics({"Heartbeat": command_stats(3, [100, 200])})
    before = source.to_dict()
    target = Statistics()
    target.merge(source)
    target.command("Heartbeat").latency_us.record(300)
    target.command("Heartbeat").requests += 1
    assert source.to_dict() == before


def test_merged_of_no_parts_is_empty() -> None:
    assert Statistics.merged([]) == Statistics()


def test_merged_equals_merging_one_part_after_the_other() -> None:
    parts = [
        Statistics({"Heartbeat": command_stats(2, [100, 200])}),
        Statistics({"Heartbeat": command_stats(1, [5000]), "Authorize": command_stats(1, [40])}),
    ]
    expected = Statistics()
    for part in parts:
        expected.merge(part)
    assert Statistics.merged(parts) == expected


def test_overall_adds_every_action() -> None:
    statistics = Statistics(
        {"Heartbeat": command_stats(2, [100, 200]), "Authorize": command_stats(5, [40])}
    )
    overall = statistics.overall()
    assert (overall.requests, overall.responses, overall.errors, overall.timeouts) == (7, 3, 2, 4)
    assert_same_samples(overall.latency_us, histogram_of([100, 200, 40]))


# -- accuracy on random data (issue 7) ----------------------------------------------------------


def exact_quantile(data: list[int], q: float) -> int:
    """The nearest-rank quantile by sorting: what the histogram approximates."""
    return sorted(data)[max(1, math.ceil(q * len(data))) - 1]


@given(st.lists(values, min_size=1, max_size=200), quantiles)
def test_a_quantile_is_off_by_at_most_a_32nd_of_the_exact_value(data: list[int], q: float) -> None:
    """The bucket error: a bucket above 32 is at most 1/32 of its lowest value wide."""
    exact = exact_quantile(data, q)
    assert abs(histogram_of(data).quantile(q) - exact) * SUB_BUCKETS <= exact


@settings(max_examples=20, deadline=None)
@given(st.integers(min_value=0, max_value=2**32))
def test_latency_percentiles_of_random_samples_are_within_the_bucket_error(seed: int) -> None:
    """Round-trip times look log-normal: a millisecond or so, with a long tail."""
    rng = random.Random(seed)
    data = [int(rng.lognormvariate(7.0, 1.0)) for _ in range(5000)]
    histogram = histogram_of(data)
    for q in (0.5, 0.95, 0.99, 1.0):
        exact = exact_quantile(data, q)
        assert abs(histogram.quantile(q) - exact) * SUB_BUCKETS <= exact


# -- windows and records (issue 7) --------------------------------------------------------------


def test_the_last_value_is_the_one_recorded_last() -> None:
    assert histogram_of([300, 100, 200]).last == 200


def test_merging_keeps_the_last_value_of_the_later_histogram() -> None:
    merged = histogram_of([5, 7])
    merged.merge(histogram_of([3]))
    assert merged.last == 3


def test_take_returns_the_window_and_leaves_the_same_object_empty() -> None:
    statistics = Statistics({"Heartbeat": command_stats(2, [100, 200])})
    taken = statistics.take()
    assert taken.commands["Heartbeat"].requests == 2
    assert statistics.commands == {}
    statistics.command("Heartbeat").requests += 1
    assert taken.commands["Heartbeat"].requests == 2


@given(st.lists(st.dictionaries(actions, st.tuples(st.integers(0, 100), samples), max_size=4)))
def test_windows_taken_and_merged_equal_the_statistics_never_taken(
    windows: list[dict[str, tuple[int, list[int]]]],
) -> None:
    """What the supervisor adds up from a worker's windows is what one object would hold."""
    kept, taken_sum = Statistics(), Statistics()
    live = Statistics()
    for window in windows:
        for action, (requests, data) in window.items():
            kept.command(action).merge(command_stats(requests, data))
            live.command(action).merge(command_stats(requests, data))
        taken_sum.merge(live.take())
    assert taken_sum.to_dict().keys() == kept.to_dict().keys()
    for action, stats in kept.commands.items():
        assert taken_sum.commands[action].requests == stats.requests
        assert_same_samples(taken_sum.commands[action].latency_us, stats.latency_us)


@given(st.lists(st.integers(min_value=0, max_value=10**8), min_size=1, max_size=200))
def test_performance_fields_are_ordered_and_add_up(data: list[int]) -> None:
    stats = CommandStats(requests=len(data), responses=len(data))
    stats.latency_us = histogram_of(data)
    fields = performance_fields(stats)
    assert fields["timeMeasurementCount"] == len(data)
    assert fields["currentTimeMeasurement"] == round(data[-1] / 1000, 3)
    assert fields["totalTimeMeasurement"] == round(sum(data) / 1000, 3)
    ordered = [
        fields[name]
        for name in (
            "minTimeMeasurement",
            "medTimeMeasurement",
            "ninetyFiveThPercentileTimeMeasurement",
            "ninetyNineThPercentileTimeMeasurement",
            "maxTimeMeasurement",
        )
    ]
    assert ordered == sorted(ordered)
    assert fields["minTimeMeasurement"] <= fields["avgTimeMeasurement"]
    assert fields["avgTimeMeasurement"] <= fields["maxTimeMeasurement"]
