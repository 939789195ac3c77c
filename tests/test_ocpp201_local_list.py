"""OCPP 2.0.1 SendLocalList, GetLocalListVersion (Part 2 block D) and ClearCache (C11) on one
station: the handlers over Authorizer201, every request and response checked against the v201
schemas; the list's data as the device model reports it and the station persists it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from simulator.station.core.authorization import LocalAuthorization
from simulator.station.core.tokens import TokenInfo, TokenStatus
from simulator.station.ocpp201.device_model import var_key
from simulator.station.ocpp201.local_list import (
    clear_cache,
    get_local_list_version,
    live_values,
    send_local_list,
)
from tests.device_model_support import schema
from tests.ocpp201_auth_support import Station, group, info, station


@pytest.fixture
async def cs() -> AsyncIterator[Station]:
    made = station()
    yield made
    await made.services.close()


def entry(token: str, status: str | None = "Accepted", **fields: Any) -> dict[str, Any]:
    """An AuthorizationData: without a status, a deletion."""
    data: dict[str, Any] = {"idToken": {"idToken": token, "type": "ISO14443"}}
    if status is not None:
        data["idTokenInfo"] = info(status, **fields)
    return data


async def send(cs: Station, version: int, kind: str, *entries: dict[str, Any]) -> str:
    request: dict[str, Any] = {"versionNumber": version, "updateType": kind}
    if entries:
        request["localAuthorizationList"] = list(entries)
    schema("SendLocalListRequest")(request)
    response = await send_local_list(cs, request)
    schema("SendLocalListResponse")(response)
    return str(response["status"])


async def version(cs: Station) -> int:
    request: dict[str, Any] = {}
    schema("GetLocalListVersionRequest")(request)
    response = await get_local_list_version(cs, request)
    schema("GetLocalListVersionResponse")(response)
    return int(response["versionNumber"])


async def clear(cs: Station) -> str:
    request: dict[str, Any] = {}
    schema("ClearCacheRequest")(request)
    response = await clear_cache(cs, request)
    schema("ClearCacheResponse")(response)
    return str(response["status"])


def listed(cs: Station) -> dict[str, str]:
    return {t: i.status.value for t, i in cs.authorization.tokens.local_list.items()}


# -- SendLocalList (D01) ------------------------------------------------------------------------


async def test_d01_fr_15_a_full_update_replaces_the_list_and_sets_its_version(
    cs: Station,
) -> None:
    await send(cs, 1, "Full", entry("OLD"))

    assert await send(cs, 5, "Full", entry("A"), entry("B", "Blocked")) == "Accepted"
    assert listed(cs) == {"A": "Accepted", "B": "Blocked"}
    assert await version(cs) == 5


async def test_d01_fr_04_a_full_update_without_a_list_empties_it_and_keeps_its_version(
    cs: Station,
) -> None:
    """D02 remark: an emptied list has a version > 0 (unlike 1.6, where it is 0)."""
    await send(cs, 1, "Full", entry("A"))

    assert await send(cs, 6, "Full") == "Accepted"
    assert (listed(cs), await version(cs)) == ({}, 6)


async def test_d01_fr_05_an_empty_differential_update_changes_only_the_version(
    cs: Station,
) -> None:
    await send(cs, 1, "Full", entry("A"))

    assert await send(cs, 2, "Differential") == "Accepted"
    assert (listed(cs), await version(cs)) == ({"A": "Accepted"}, 2)


async def test_d01_fr_16_a_differential_update_adds_and_updates_entries(cs: Station) -> None:
    await send(cs, 1, "Full", entry("A"))

    assert await send(cs, 2, "Differential", entry("A", "Blocked"), entry("B")) == "Accepted"
    assert listed(cs) == {"A": "Blocked", "B": "Accepted"}


async def test_d01_fr_17_a_differential_entry_without_id_token_info_is_deleted(
    cs: Station,
) -> None:
    await send(cs, 1, "Full", entry("A"), entry("B"))

    assert await send(cs, 2, "Differential", entry("A", None)) == "Accepted"
    assert listed(cs) == {"B": "Accepted"}


@pytest.mark.parametrize("update", [3, 2])
async def test_d01_fr_19_a_differential_update_not_above_the_version_mismatches(
    cs: Station, update: int
) -> None:
    await send(cs, 3, "Full", entry("A"))

    assert await send(cs, update, "Differential", entry("B")) == "VersionMismatch"
    assert (listed(cs), await version(cs)) == ({"A": "Accepted"}, 3)


async def test_d01_fr_19_an_emptied_list_still_compares_with_its_version(cs: Station) -> None:
    await send(cs, 6, "Full")

    assert await send(cs, 5, "Differential", entry("B")) == "VersionMismatch"


async def test_d01_fr_18_version_zero_fails(cs: Station) -> None:
    assert await send(cs, 0, "Full", entry("A")) == "Failed"
    assert listed(cs) == {}


async def test_d01_fr_06_a_token_twice_fails_and_the_list_stays(cs: Station) -> None:
    await send(cs, 1, "Full", entry("A"))

    assert await send(cs, 2, "Full", entry("B"), entry("B", "Blocked")) == "Failed"
    assert (listed(cs), await version(cs)) == ({"A": "Accepted"}, 1)


async def test_d01_fr_11_more_items_than_items_per_message_fails(cs: Station) -> None:
    cs.variables.set("LocalAuthListCtrlr.ItemsPerMessage", "2")

    assert await send(cs, 1, "Full", entry("A"), entry("B"), entry("C")) == "Failed"
    assert await send(cs, 1, "Full", entry("A"), entry("B")) == "Accepted"


async def test_d01_fr_11_a_message_over_bytes_per_message_fails(cs: Station) -> None:
    cs.variables.set("LocalAuthListCtrlr.BytesPerMessage", "200")
    entries = [entry(f"TOKEN-{n:03}") for n in range(3)]  # about 240 bytes of JSON

    assert await send(cs, 1, "Full", *entries) == "Failed"
    assert await send(cs, 1, "Full", entries[0]) == "Accepted"


async def test_d01_fr_12_more_tokens_than_entries_max_limit_fails(cs: Station) -> None:
    """Differential updates that would grow the list past LocalAuthListCtrlr.Entries' maxLimit."""
    most = cs.authorization.settings.local_list_max_length()
    cs.authorization.tokens.local_list = {
        f"T{n}": TokenInfo(TokenStatus.ACCEPTED) for n in range(most)
    }
    cs.authorization.tokens.list_version = 1

    assert await send(cs, 2, "Differential", entry("ONE-MORE")) == "Failed"
    assert len(cs.authorization.tokens.local_list) == most


async def test_d01_a_disabled_list_takes_no_update(cs: Station) -> None:
    """D01's prerequisite: LocalAuthListCtrlr.Enabled."""
    cs.variables.set("LocalAuthListCtrlr.Enabled", "false")

    assert await send(cs, 1, "Full", entry("A")) == "Failed"
    assert listed(cs) == {}


async def test_d01_fr_10_an_accepted_update_is_persisted_and_a_failed_one_is_not(
    cs: Station,
) -> None:
    await send(cs, 1, "Full", entry("A"))
    after_accepted = cs.services.persisted
    await send(cs, 0, "Full", entry("B"))

    assert (after_accepted, cs.services.persisted) == (1, 1)


async def test_d01_fr_10_the_list_restores_with_its_groups_evses_and_emptied_version(
    cs: Station,
) -> None:
    await send(cs, 1, "Full", entry("A", groupIdToken=group("G"), evseId=[2]))
    kept = LocalAuthorization.from_data(cs.authorization.tokens.as_data())
    await send(cs, 4, "Full")
    emptied = LocalAuthorization.from_data(cs.authorization.tokens.as_data())

    assert (kept.local_list["A"].group, kept.local_list["A"].evse_ids) == ("G", (2,))
    assert emptied.version(keep_emptied=True) == 4


async def test_c13_fr_01_a_listed_entry_has_priority_over_the_cache(cs: Station) -> None:
    cs.authorization.remember("A", info())
    await send(cs, 1, "Full", entry("A", "Blocked"))

    known = cs.authorization.known("A")

    assert known is not None and known.status is TokenStatus.BLOCKED


# -- GetLocalListVersion (D02) ------------------------------------------------------------------


async def test_d02_fr_02_before_any_update_the_version_is_zero(cs: Station) -> None:
    assert await version(cs) == 0


async def test_d02_fr_01_the_version_is_that_of_the_last_accepted_update(cs: Station) -> None:
    await send(cs, 3, "Full", entry("A"))
    await send(cs, 4, "Differential", entry("B"))
    await send(cs, 4, "Differential", entry("C"))  # VersionMismatch

    assert await version(cs) == 4


async def test_d02_fr_03_a_disabled_list_reports_version_zero(cs: Station) -> None:
    await send(cs, 3, "Full", entry("A"))
    cs.variables.set("LocalAuthListCtrlr.Enabled", "false")

    assert await version(cs) == 0


# -- ClearCache (C11) ---------------------------------------------------------------------------


async def test_c11_fr_03_clear_cache_empties_the_cache_and_leaves_the_list(cs: Station) -> None:
    await send(cs, 1, "Full", entry("L"))
    cs.authorization.remember("C", info())

    assert await clear(cs) == "Accepted"
    assert cs.authorization.tokens.cache == {}
    assert listed(cs) == {"L": "Accepted"}


async def test_c11_fr_04_with_the_cache_disabled_clear_cache_is_rejected(cs: Station) -> None:
    cs.authorization.remember("C", info())
    cs.variables.set("AuthCacheCtrlr.Enabled", "false")

    assert await clear(cs) == "Rejected"
    assert list(cs.authorization.tokens.cache) == ["C"]


async def test_c11_a_cleared_cache_is_persisted(cs: Station) -> None:
    before = cs.services.persisted

    await clear(cs)

    assert cs.services.persisted == before + 1


# -- what the device model reports --------------------------------------------------------------


async def test_d01_fr_12_entries_reports_the_lists_size_and_storage_its_bytes(
    cs: Station,
) -> None:
    empty = live_values(cs.authorization.tokens)
    await send(cs, 1, "Full", entry("A"), entry("B"))
    cs.authorization.remember("C", info())

    live = live_values(cs.authorization.tokens)

    assert empty[var_key("LocalAuthListCtrlr", "Entries")] == "0"
    assert empty[var_key("LocalAuthListCtrlr", "Storage")] == "0"
    assert live[var_key("LocalAuthListCtrlr", "Entries")] == "2"
    assert int(live[var_key("LocalAuthListCtrlr", "Storage")]) > 0
    assert int(live[var_key("AuthCacheCtrlr", "Storage")]) > 0
