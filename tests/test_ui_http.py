"""The UI server's pure parts: Prometheus buckets, addChargingStations options."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from simulator.stats import Histogram
from simulator.ui.metrics import LATENCY_BOUNDS, prometheus_buckets
from simulator.ui.procedures import AddOptions


@given(st.lists(st.integers(min_value=0, max_value=60_000_000), max_size=200))
def test_prometheus_buckets_are_cumulative_and_count_every_sample_below_its_bound(
    samples: list[int],
) -> None:
    histogram = Histogram()
    for value in samples:
        histogram.record(value)
    buckets = prometheus_buckets(histogram)
    counts = [count for _, count in buckets]
    assert counts == sorted(counts)
    assert buckets[-1] == ("+Inf", len(samples))
    for (le, count), bound in zip(buckets, LATENCY_BOUNDS, strict=False):
        assert float(le) == bound
        # Exact to the log-linear bucket width (~3 %): never more than the samples below the
        # bound, never fewer than those clearly below it.
        assert count <= sum(1 for v in samples if v <= bound * 1_000_000)
        assert count >= sum(1 for v in samples if v <= bound * 1_000_000 * 0.96)


def test_add_options_map_to_the_template_keys_they_override() -> None:
    options = AddOptions.model_validate(
        {
            "baseName": "B",
            "nameSuffix": "-S",
            "supervisionUrls": "ws://h:1/ocpp",
            "persistentConfiguration": False,
            "autoStart": False,
        }
    )
    assert options.template_overrides() == {
        "base_name": "B",
        "name_suffix": "-S",
        "supervision_urls": ["ws://h:1/ocpp"],
        "ocpp_persistent_configuration": False,
        "station_info_persistent_configuration": False,
    }


@pytest.mark.parametrize("urls", ["http://h/ocpp", ["ws://h:1", 5], 7])
def test_add_options_refuse_supervision_urls_that_are_not_websocket_urls(urls: object) -> None:
    with pytest.raises(ValidationError):
        AddOptions.model_validate({"supervisionUrls": urls})
