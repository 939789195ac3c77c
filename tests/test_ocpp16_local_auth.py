"""Local authorization (OCPP 1.6 sections 3.5, 5.4, 5.10, 5.15) against the bundled CSMS."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from ocpp.v16 import call

from simulator.csms import CentralSystem
from simulator.station.core.authorization import LocalAuthorization
from simulator.station.ocpp16.id_tag_lists import IdTagLists
from simulator.station.rpc import ConnectionLost
from simulator.station.station import ChargingStation
from tests.test_station import booted, make_station

pytestmark = pytest.mark.integration

NOW = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture
async def csms() -> AsyncIterator[CentralSystem]:
    async with CentralSystem(heartbeat_interval=60, reject_id_tags=("TAG-BAD",)) as central:
        yield central


def keys(**values: str) -> dict[str, Any]:
    return {
        "configurationKey": [
            {"key": key, "readonly": False, "value": value} for key, value in values.items()
        ]
    }


def entry(id_tag: str, status: str | None = "Accepted") -> dict[str, Any]:
    return (
        {"idTag": id_tag} if status is None else {"idTag": id_tag, "idTagInfo": {"status": status}}
    )


def send_list(version: int, update: str, *entries: dict[str, Any]) -> call.SendLocalList:
    return call.SendLocalList(
        list_version=version, update_type=update, local_authorization_list=list(entries)
    )


async def list_version(csms: CentralSystem, station: ChargingStation) -> int:
    result = await csms.call(station.spec.station_id, call.GetLocalListVersion())
    return int(result.list_version)


async def test_an_empty_list_has_version_zero(tmp_path: Path, csms: CentralSystem) -> None:
    """Section 5.10: 0 indicates an empty local authorization list."""
    station, _ = make_station(tmp_path, csms.url)
    async with booted(station, csms):
        assert await list_version(csms, station) == 0


async def test_a_full_list_replaces_the_list_and_sets_its_version(
    tmp_path: Path, csms: CentralSystem
) -> None:
    """Sections 5.15 and 6.41: a Full update is the new list with its version."""
    station, _ = make_station(tmp_path, csms.url)
    station_id = station.spec.station_id
    async with booted(station, csms):
        first = await csms.call(station_id, send_list(3, "Full", entry("A"), entry("B")))
        second = await csms.call(station_id, send_list(4, "Full", entry("C", "Blocked")))
        assert (first.status, second.status) == ("Accepted", "Accepted")
        assert station.authorization.state.local_list == {"C": {"status": "Blocked"}}
        assert await list_version(csms, station) == 4


async def test_a_differential_update_adds_updates_and_deletes(
    tmp_path: Path, csms: CentralSystem
) -> None:
    """Section 6.41: entries with idTagInfo are added or updated, those without removed."""
    station, _ = make_station(tmp_path, csms.url)
    station_id = station.spec.station_id
    async with booted(station, csms):
        await csms.call(station_id, send_list(1, "Full", entry("A"), entry("B")))
        result = await csms.call(
            station_id,
            send_list(2, "Differential", entry("A", None), entry("B", "Expired"), entry("C")),
        )
        assert result.status == "Accepted"
        assert station.authorization.state.local_list == {
            "B": {"status": "Expired"},
            "C": {"status": "Accepted"},
        }
        assert await list_version(csms, station) == 2


async def test_a_differential_update_to_an_older_version_is_a_version_mismatch(
    tmp_path: Path, csms: CentralSystem
) -> None:
    """Section 7.47: VersionMismatch when the version is less or equal to the current one."""
    station, _ = make_station(tmp_path, csms.url)
    station_id = station.spec.station_id
    async with booted(station, csms):
        await csms.call(station_id, send_list(5, "Full", entry("A")))
        result = await csms.call(station_id, send_list(5, "Differential", entry("B")))
        assert result.status == "VersionMismatch"
        assert list(station.authorization.state.local_list) == ["A"]


async def test_a_differential_after_an_empty_full_list_compares_with_the_version_reported(
    tmp_path: Path, csms: CentralSystem
) -> None:
    """Sections 5.10 and 6.41: an empty list has version 0, the version GetLocalListVersion
    reports, so a Differential update at version 3 is newer than it and is applied."""
    station, _ = make_station(tmp_path, csms.url)
    station_id = station.spec.station_id
    async with booted(station, csms):
        assert (await csms.call(station_id, send_list(6, "Full"))).status == "Accepted"
        assert await list_version(csms, station) == 0
        result = await csms.call(station_id, send_list(3, "Differential", entry("A")))
        assert result.status == "Accepted"
        assert await list_version(csms, station) == 3


def test_a_list_emptied_by_a_differential_update_is_at_version_zero() -> None:
    """Section 5.10: 0 indicates an empty list, whichever update emptied it; the next
    Differential compares with 0."""
    state = IdTagLists()
    limits = {"max_length": 10, "send_max_length": 10}
    assert state.update(5, "Full", [entry("A")], **limits) == "Accepted"
    assert state.update(6, "Differential", [entry("A", None)], **limits) == "Accepted"
    assert state.version() == 0
    assert state.update(2, "Differential", [entry("B")], **limits) == "Accepted"
    assert state.version() == 2


async def test_updates_beyond_the_length_limits_fail(tmp_path: Path, csms: CentralSystem) -> None:
    """Sections 9.2.3 / 9.2.4 (LocalAuthListMaxLength, SendLocalListMaxLength) and errata 3.52
    (version 0 is reserved): Failed, the list unchanged."""
    station, _ = make_station(
        tmp_path,
        csms.url,
        Configuration=keys(LocalAuthListMaxLength="3", SendLocalListMaxLength="2"),
    )
    station_id = station.spec.station_id
    async with booted(station, csms):
        assert (
            await csms.call(station_id, send_list(1, "Full", entry("A"), entry("B")))
        ).status == ("Accepted")
        too_many = send_list(2, "Full", entry("C"), entry("D"), entry("E"))
        assert (await csms.call(station_id, too_many)).status == "Failed"
        overflow = send_list(2, "Differential", entry("C"), entry("D"))
        assert (await csms.call(station_id, overflow)).status == "Failed"
        assert (await csms.call(station_id, send_list(0, "Full"))).status == "Failed"
        assert sorted(station.authorization.state.local_list) == ["A", "B"]
        assert await list_version(csms, station) == 1


async def test_a_station_without_local_lists_answers_not_supported_and_minus_one(
    tmp_path: Path, csms: CentralSystem
) -> None:
    """Sections 3.5.2, 5.10, 7.47: SupportedFeatureProfiles without LocalAuthListManagement."""
    station, _ = make_station(
        tmp_path, csms.url, Configuration=keys(SupportedFeatureProfiles="Core")
    )
    async with booted(station, csms):
        result = await csms.call(station.spec.station_id, send_list(1, "Full", entry("A")))
        assert result.status == "NotSupported"
        assert await list_version(csms, station) == -1


async def test_the_cache_learns_from_authorize_and_clear_cache_empties_it(
    tmp_path: Path, csms: CentralSystem
) -> None:
    """Sections 3.5.1 and 5.4: IdTagInfo of Authorize.conf is cached; ClearCache empties it."""
    station, _ = make_station(tmp_path, csms.url)
    async with booted(station, csms):
        assert await station.transactions.authorize("TAG-A")
        assert not await station.transactions.authorize("TAG-BAD")
        assert dict(station.authorization.state.cache) == {
            "TAG-A": {"status": "Accepted"},
            "TAG-BAD": {"status": "Invalid"},
        }
        result = await csms.call(station.spec.station_id, call.ClearCache())
        assert result.status == "Accepted"
        assert not station.authorization.state.cache


async def test_the_cache_learns_from_start_and_stop_transaction(
    tmp_path: Path, csms: CentralSystem
) -> None:
    """Section 3.5.1: the IdTagInfo of StartTransaction.conf and StopTransaction.conf."""
    station, _ = make_station(tmp_path, csms.url)
    async with booted(station, csms):
        await station.transactions.start(1, "TAG-A")
        await station.transactions.start(2, "TAG-BAD")  # refused: stopped at once
        await station.transactions.stop(1)
        assert dict(station.authorization.state.cache) == {
            "TAG-A": {"status": "Accepted"},
            "TAG-BAD": {"status": "Invalid"},
        }


async def test_local_pre_authorize_starts_without_asking_the_csms(
    tmp_path: Path, csms: CentralSystem
) -> None:
    """Section 9.1.13: LocalPreAuthorize true: a locally valid idTag needs no Authorize.req."""
    station, _ = make_station(tmp_path, csms.url, Configuration=keys(LocalPreAuthorize="true"))
    station_id = station.spec.station_id
    async with booted(station, csms):
        await csms.call(station_id, send_list(1, "Full", entry("TAG-L")))
        assert await station.transactions.authorize("TAG-L")
        assert csms.received(station_id, "Authorize") == []


async def test_offline_the_local_list_authorizes(tmp_path: Path, csms: CentralSystem) -> None:
    """Sections 3.5 and 9.1.12: LocalAuthorizeOffline: listed valid idTags charge offline,
    listed invalid ones do not; unknown ones only with AllowOfflineTxForUnknownId (3.5.4)."""
    station, _ = make_station(tmp_path, csms.url)
    station_id = station.spec.station_id
    async with booted(station, csms):
        await csms.call(station_id, send_list(1, "Full", entry("TAG-L"), entry("TAG-X", "Blocked")))
        await station.close_connection()
        assert await station.transactions.authorize("TAG-L")
        assert not await station.transactions.authorize("TAG-X")
        with pytest.raises(ConnectionLost):
            await station.transactions.authorize("TAG-NEW")
        station.configuration.set("AllowOfflineTxForUnknownId", "true")
        assert await station.transactions.authorize("TAG-NEW")


async def test_a_disabled_local_list_is_not_consulted(tmp_path: Path, csms: CentralSystem) -> None:
    """Section 9.2.1 LocalAuthListEnabled false: the list is kept but does not authorize; a
    listed idTag offline is as unknown as any other."""
    station, _ = make_station(tmp_path, csms.url)
    station_id = station.spec.station_id
    async with booted(station, csms):
        await csms.call(station_id, send_list(1, "Full", entry("TAG-L")))
        station.configuration.set("LocalAuthListEnabled", "false")
        await station.close_connection()
        with pytest.raises(ConnectionLost):
            await station.transactions.authorize("TAG-L")
        station.configuration.set("LocalAuthListEnabled", "true")
        assert await station.transactions.authorize("TAG-L")


# --- the list and cache as data --------------------------------------------------------------


def test_listed_id_tags_are_not_cached() -> None:
    """Section 3.5.3."""
    state = IdTagLists()
    state.update(1, "Full", [entry("A")], max_length=10, send_max_length=10)
    state.remember("A", {"status": "Invalid"})
    assert "A" not in state.cache


def test_a_full_cache_drops_invalid_entries_before_the_oldest_valid_ones() -> None:
    """Section 3.5.1."""
    state = IdTagLists(LocalAuthorization(cache_size=3))
    state.remember("old", {"status": "Accepted"})
    state.remember("bad", {"status": "Invalid"})
    state.remember("new", {"status": "Accepted"})
    state.remember("next", {"status": "Accepted"})
    assert list(state.cache) == ["old", "new", "next"]
    state.remember("last", {"status": "Accepted"})
    assert list(state.cache) == ["new", "next", "last"]


def test_a_valid_entry_past_its_expiry_date_is_expired() -> None:
    """Section 3.5.1: expired validity."""
    state = IdTagLists()
    state.remember("A", {"status": "Accepted", "expiryDate": "2025-12-31T23:00:00Z"})
    found = state.lookup("A", NOW, list_enabled=True, cache_enabled=True)
    assert found is not None and found["status"] == "Expired"


def test_the_list_and_cache_survive_as_data() -> None:
    """What issue 5 persists."""
    state = IdTagLists()
    state.update(7, "Full", [entry("A")], max_length=10, send_max_length=10)
    state.remember("B", {"status": "Blocked"})
    restored = IdTagLists.from_data(state.as_data())
    assert restored == state


# -- LocalListConflict (section 3.5.2) ----------------------------------------------------------


def conflicts(csms: CentralSystem, station: ChargingStation) -> list[dict[str, Any]]:
    return [
        m.payload
        for m in csms.received(station.spec.station_id, "StatusNotification")
        if m.payload["errorCode"] == "LocalListConflict"
    ]


async def test_an_authorize_answer_contradicting_the_list_is_reported_as_local_list_conflict(
    tmp_path: Path, csms: CentralSystem
) -> None:
    """Section 3.5.2: the list says Accepted, Authorize.conf says Invalid: StatusNotification
    with connectorId 0 and errorCode LocalListConflict; the list stays as it was (only
    SendLocalList changes it)."""
    station, _ = make_station(tmp_path, csms.url)
    station_id = station.spec.station_id
    async with booted(station, csms):
        await csms.call(station_id, send_list(1, "Full", entry("TAG-BAD")))
        assert not await station.transactions.authorize("TAG-BAD")
        await csms.wait_until(lambda: bool(conflicts(csms, station)), 10, "conflict reported")
        (conflict,) = conflicts(csms, station)
        assert conflict["connectorId"] == 0 and conflict["status"] == "Available"
        assert station.authorization.state.local_list == {"TAG-BAD": {"status": "Accepted"}}


async def test_a_start_transaction_answer_contradicting_the_list_is_a_local_list_conflict(
    tmp_path: Path, csms: CentralSystem
) -> None:
    """Section 3.5.2: the list says Blocked, StartTransaction.conf says Accepted."""
    station, _ = make_station(tmp_path, csms.url)
    station_id = station.spec.station_id
    async with booted(station, csms):
        await csms.call(station_id, send_list(1, "Full", entry("TAG-L", "Blocked")))
        await station.transactions.start(1, "TAG-L")
        await csms.wait_until(lambda: bool(conflicts(csms, station)), 10, "conflict reported")
        assert conflicts(csms, station)[0]["info"] == "TAG-L is Accepted for the CSMS"


async def test_a_start_transaction_answer_contradicting_the_list_is_reported_once(
    tmp_path: Path, csms: CentralSystem
) -> None:
    """Section 3.5.2, "for instance, a StartTransaction.conf": the list says Blocked, the
    CSMS accepts; the Authorize.conf before it told the same conflict, reported once."""
    station, _ = make_station(tmp_path, csms.url)
    station_id = station.spec.station_id
    async with booted(station, csms):
        await csms.call(station_id, send_list(1, "Full", entry("TAG-L", "Blocked")))
        assert await station.transactions.authorize("TAG-L")
        await station.transactions.start(1, "TAG-L")
        await csms.wait_until(lambda: bool(conflicts(csms, station)), 10, "conflict reported")
        await station.heartbeat()  # anything spawned by the start has been sent before it
        assert len(conflicts(csms, station)) == 1


async def test_an_answer_agreeing_with_the_list_is_no_conflict(
    tmp_path: Path, csms: CentralSystem
) -> None:
    """Section 3.5.2: only a contradiction is reported."""
    station, _ = make_station(tmp_path, csms.url)
    station_id = station.spec.station_id
    async with booted(station, csms):
        await csms.call(
            station_id, send_list(1, "Full", entry("TAG-L"), entry("TAG-BAD", "Invalid"))
        )
        await station.transactions.start(1, "TAG-L")
        assert not await station.transactions.authorize("TAG-BAD")
        await station.heartbeat()
        assert conflicts(csms, station) == []


def test_an_expired_list_entry_conflicts_with_an_accepting_csms() -> None:
    """Section 3.5.1: an entry past its expiryDate stands as Expired."""
    state = IdTagLists()
    info = {"status": "Accepted", "expiryDate": "2025-01-01T00:00:00Z"}
    state.update(1, "Full", [{"idTag": "A", "idTagInfo": info}], max_length=10, send_max_length=10)
    assert state.conflicts("A", {"status": "Accepted"}, NOW)
    assert not state.conflicts("A", {"status": "Expired"}, NOW)
    assert not state.conflicts("UNLISTED", {"status": "Invalid"}, NOW)
