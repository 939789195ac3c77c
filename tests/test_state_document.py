"""The persisted document encoded section by section (station_state.StateDocument): byte for
byte what a full rebuild of `persisted_state` encodes to, whatever changed in between, at a
cost that follows what changed (issue 16)."""

from __future__ import annotations

import dataclasses
import tempfile
from collections.abc import Callable
from pathlib import Path

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulator.station.core.tokens import TokenInfo, TokenStatus
from tests.offline_station import OfflineStation, make_station

Change = Callable[[OfflineStation, int], None]


def change_key(station: OfflineStation, n: int) -> None:
    station.configuration.change("HeartbeatInterval", str(60 + n))


def set_key(station: OfflineStation, n: int) -> None:
    station.configuration.set(f"EvsimKey{n % 3}", str(n))


def restore_keys(station: OfflineStation, n: int) -> None:
    station.configuration.restore([{"key": "MeterValueSampleInterval", "value": str(n)}])


def connector_status(station: OfflineStation, n: int) -> None:
    station.connectors[1].status = ("Available", "Preparing", "Charging")[n % 3]


def connector_lock(station: OfflineStation, n: int) -> None:
    station.connectors[1].locked = not station.connectors[1].locked


def queue(station: OfflineStation, n: int) -> None:
    station.transactions.queue.restore({"nextRef": n + 1, "entries": [], "dropped": n})


def queue_message(station: OfflineStation, n: int) -> None:
    station.transactions.queue.put("DataTransfer", {"vendorId": "evsim", "data": str(n)}, None)


def remember_token(station: OfflineStation, n: int) -> None:
    station.authorization.tokens.remember(f"TAG{n}", TokenInfo(TokenStatus.ACCEPTED))


def clear_cache(station: OfflineStation, n: int) -> None:
    station.authorization.tokens.clear_cache()


def firmware(station: OfflineStation, n: int) -> None:
    station.firmware_version = f"2.{n}"


def serial_number(station: OfflineStation, n: int) -> None:
    station.spec = dataclasses.replace(station.spec, meter_serial_number=f"M-{n}")


CHANGES: dict[str, Change] = {
    "configurationKey": change_key,
    "changedKeys": set_key,
    "restored configurationKey": restore_keys,
    "connectorsStatus": connector_status,
    "connectorsStatus lock": connector_lock,
    "transactionQueue": queue,
    "transactionQueue entry": queue_message,
    "localAuthorization": remember_token,
    "localAuthorization cleared": clear_cache,
    "stationInfo": firmware,
    "stationInfo serial": serial_number,
}


def full_rebuild(station: OfflineStation) -> bytes:
    return orjson.dumps(station.persisted_state())


def test_the_first_document_is_the_full_rebuilds_bytes(tmp_path: Path) -> None:
    station = make_station(tmp_path)
    assert station.persisted_document() == full_rebuild(station)


@pytest.mark.parametrize("name", sorted(CHANGES))
def test_a_change_of_each_section_reaches_the_next_document(tmp_path: Path, name: str) -> None:
    station = make_station(tmp_path)
    remember_token(station, 0)  # a cache to clear
    before = station.persisted_document()
    CHANGES[name](station, 7)
    after = station.persisted_document()
    assert after != before
    assert after == full_rebuild(station)


@pytest.mark.parametrize(
    "persistent", ["ocppPersistentConfiguration", "stationInfoPersistentConfiguration"]
)
def test_a_section_the_template_does_not_persist_stays_out(tmp_path: Path, persistent: str) -> None:
    station = make_station(tmp_path, **{persistent: False})
    change_key(station, 1)
    firmware(station, 1)
    assert station.persisted_document() == full_rebuild(station)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    st.lists(
        st.tuples(st.sampled_from(sorted(CHANGES)), st.integers(0, 5), st.booleans()),
        max_size=25,
    )
)
def test_after_any_changes_the_document_equals_a_full_rebuild(
    steps: list[tuple[str, int, bool]],
) -> None:
    """`encode` between some of the changes (`snapshot`): a cached section must follow every
    change made since, whichever were encoded in between."""
    with tempfile.TemporaryDirectory(prefix="evsim-document-") as name:
        station = make_station(Path(name))
        station.persisted_document()
        for change, n, snapshot in steps:
            CHANGES[change](station, n)
            if snapshot:
                assert station.persisted_document() == full_rebuild(station)
        assert station.persisted_document() == full_rebuild(station)


def test_stations_with_the_same_keys_share_their_encoded_entries(tmp_path: Path) -> None:
    """A fleet of one template pays a reference per key and station, not a copy of its keys."""
    first = make_station(tmp_path / "a", index=1)
    second = make_station(tmp_path / "b", index=1)
    first.persisted_document()
    second.persisted_document()
    assert first._document._config is not None and second._document._config is not None
    pieces = list(zip(first._document._config[2], second._document._config[2], strict=True))
    assert all(mine is theirs for mine, theirs in pieces[1:-1])


def test_the_fixed_part_holds_the_shared_entries_not_a_copy_of_them(tmp_path: Path) -> None:
    """What a station keeps between writes is its fixed part: were it joined, each station
    would hold ~4 KB of keys of its own again (issue 16)."""
    first = make_station(tmp_path / "a", index=1)
    second = make_station(tmp_path / "b", index=1)
    mine, _ = first.persisted_parts()
    theirs, _ = second.persisted_parts()
    shared = sum(len(piece) for piece in mine if any(piece is other for other in theirs))
    assert shared > 0.8 * sum(map(len, mine))


def test_the_fixed_part_is_the_same_object_while_nothing_in_it_changed(tmp_path: Path) -> None:
    """What lets a write skip it (persistence.OpenFiles): a transaction message changes the
    connectors and the queue, never the fixed part."""
    station = make_station(tmp_path)
    fixed, _ = station.persisted_parts()
    connector_status(station, 1)
    queue(station, 1)
    assert station.persisted_parts()[0] is fixed


@pytest.mark.parametrize(
    "name", ["configurationKey", "changedKeys", "localAuthorization", "stationInfo"]
)
def test_a_change_of_a_fixed_section_gives_another_fixed_part(tmp_path: Path, name: str) -> None:
    station = make_station(tmp_path)
    fixed, _ = station.persisted_parts()
    CHANGES[name](station, 7)
    again, rest = station.persisted_parts()
    assert again != fixed
    assert b"".join(again) + rest == full_rebuild(station)
