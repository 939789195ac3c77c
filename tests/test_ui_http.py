"""The UI server's pure parts: HTTP request heads, responses, Prometheus buckets."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from simulator.stats import Histogram
from simulator.ui.http import MAX_HEAD_BYTES, HttpError, parse_head, response_bytes
from simulator.ui.metrics import LATENCY_BOUNDS, prometheus_buckets
from simulator.ui.procedures import AddOptions

POST = (
    b"POST /ui/0.0.1/listTemplates HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n"
    b"Authorization: Basic abc\r\n\r\n{}"
)


def test_a_complete_head_gives_method_path_headers_and_where_the_body_starts() -> None:
    parsed = parse_head(POST)
    assert parsed is not None
    head, body_start = parsed
    assert (head.method, head.path, head.length) == ("POST", "/ui/0.0.1/listTemplates", 2)
    assert head.headers["authorization"] == "Basic abc"
    assert POST[body_start:] == b"{}"
    assert not head.is_websocket_upgrade


def test_an_incomplete_head_asks_for_more_data() -> None:
    assert parse_head(POST[:30]) is None


def test_a_websocket_upgrade_is_recognised_whatever_the_case() -> None:
    parsed = parse_head(b"GET / HTTP/1.1\r\nUpgrade: WebSocket\r\n\r\n")
    assert parsed is not None and parsed[0].is_websocket_upgrade


def test_the_query_string_is_not_part_of_the_path() -> None:
    parsed = parse_head(b"GET /metrics?x=1 HTTP/1.1\r\n\r\n")
    assert parsed is not None and parsed[0].path == "/metrics"


@pytest.mark.parametrize(
    ("data", "status"),
    [
        (b"NONSENSE\r\n\r\n", HTTPStatus.BAD_REQUEST),
        (b"GET / HTTP/2\r\n\r\n", HTTPStatus.HTTP_VERSION_NOT_SUPPORTED),
        (b"POST / HTTP/1.1\r\nbroken header\r\n\r\n", HTTPStatus.BAD_REQUEST),
        (b"POST / HTTP/1.1\r\nContent-Length: many\r\n\r\n", HTTPStatus.BAD_REQUEST),
        (
            b"POST / HTTP/1.1\r\nContent-Length: 99999999999\r\n\r\n",
            HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
        ),
        (b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", HTTPStatus.LENGTH_REQUIRED),
        (
            b"GET / HTTP/1.1\r\n" + b"X: y\r\n" * MAX_HEAD_BYTES,
            HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE,
        ),
    ],
)
def test_a_head_that_more_data_cannot_fix_is_refused_with_its_status(
    data: bytes, status: HTTPStatus
) -> None:
    with pytest.raises(HttpError) as refused:
        parse_head(data)
    assert refused.value.status == status


def test_a_response_carries_its_length_and_closes_the_connection() -> None:
    raw = response_bytes(HTTPStatus.OK, b'{"a":1}', "application/json", {"X-Extra": "1"})
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    assert lines[0] == "HTTP/1.1 200 OK"
    assert {"Content-Length: 7", "Connection: close", "X-Extra: 1"} <= set(lines)
    assert body == b'{"a":1}'


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
