"""The OCPP dateTime a station writes (clock.iso_timestamp): UTC, milliseconds, a Z; each
second formatted once (issue 16), with the output of formatting every stamp in full."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from simulator.station.clock import iso_timestamp


def formatted_in_full(moment: datetime) -> str:
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


offsets = st.integers(-14 * 60, 14 * 60).map(lambda minutes: timezone(timedelta(minutes=minutes)))
# Anywhere in time, or among few values of each field, so that stamps often differ in one
# field only (the year, the hour, the second...).
moments = st.datetimes(
    min_value=datetime(1900, 1, 2), max_value=datetime(9999, 12, 30), timezones=offsets
) | st.builds(
    datetime,
    year=st.sampled_from([1999, 2026, 2036]),
    month=st.sampled_from([1, 12]),
    day=st.sampled_from([1, 28]),
    hour=st.sampled_from([0, 23]),
    minute=st.sampled_from([0, 59]),
    second=st.sampled_from([0, 59]),
    microsecond=st.integers(0, 999_999),
    tzinfo=st.sampled_from([UTC, timezone(timedelta(hours=-1))]),
)


def test_a_timestamp_is_utc_with_milliseconds_and_a_z() -> None:
    moment = datetime(2026, 3, 1, 23, 30, 5, 123_999, tzinfo=timezone(timedelta(hours=-2)))

    assert iso_timestamp(moment) == "2026-03-02T01:30:05.123Z"


@given(st.lists(moments, min_size=1, max_size=200))
def test_timestamps_in_any_order_and_zone_read_as_formatted_in_full(
    stamps: list[datetime],
) -> None:
    """Seconds seen before, new ones, more distinct seconds than are kept, any UTC offset."""
    assert [iso_timestamp(m) for m in stamps] == [formatted_in_full(m) for m in stamps]


@given(st.datetimes(min_value=datetime(2000, 1, 1)), st.integers(0, 999))
def test_the_milliseconds_of_one_second_share_its_text(second: datetime, ms: int) -> None:
    start = second.replace(microsecond=0, tzinfo=UTC)
    moment = start + timedelta(milliseconds=ms)

    assert iso_timestamp(moment) == iso_timestamp(start)[:-4] + f"{ms:03d}Z"
