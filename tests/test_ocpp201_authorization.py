"""OCPP 2.0.1 authorization (Part 2 block C) of one station: Authorizer201 over its device-model
variables, against a CSMS far side whose every AuthorizeRequest/Response is checked against the
v201 schemas; virtual clock, no socket."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from simulator.station.core.tokens import IdToken, TokenInfo, TokenStatus
from simulator.station.frames import CallError
from simulator.station.ocpp201.authorization import Authorize201
from simulator.station.ocpp201.tokens import id_token, id_token_type, token_info
from simulator.station.rpc import CallFailed, ConnectionLost
from tests.ocpp201_auth_support import Station, group, info, station

OFFLINE = ConnectionLost("offline")


@pytest.fixture
async def cs() -> AsyncIterator[Station]:
    made = station()
    yield made
    await made.services.close()


def listed(cs: Station, *entries: tuple[str, TokenInfo]) -> None:
    assert cs.authorization.send_local_list(1, full=True, entries=entries).value == "Accepted"


# -- the wire: IdTokenType, IdTokenInfoType, AuthorizeRequest ---------------------------------


async def test_c01_fr_02_an_unknown_token_is_sent_in_an_authorize_request_with_its_type(
    cs: Station,
) -> None:
    """C01.FR.02: AuthorizeRequest {idToken: {idToken, type}} (schema-checked by the CSMS)."""
    cs.csms.answers["0A1B2C3D"] = info()

    assert await cs.authorization.authorize(IdToken("0A1B2C3D", "ISO15693"))
    assert cs.csms.sent == [("Authorize", {"idToken": {"idToken": "0A1B2C3D", "type": "ISO15693"}})]


async def test_a_token_given_as_a_string_is_sent_as_iso14443(cs: Station) -> None:
    """A 1.6-style idTag (ATG file, UI) is an RFID UID: ISO14443."""
    await cs.authorization.authorize("TAG")

    assert cs.csms.sent[0][1]["idToken"] == {"idToken": "TAG", "type": "ISO14443"}


def test_an_id_token_type_reads_and_writes_back_the_same() -> None:
    data = {"idToken": "EMAID-1", "type": "eMAID"}

    assert id_token_type(id_token(data)) == data


def test_an_id_token_info_reads_status_expiry_group_and_evses() -> None:
    """2.27 IdTokenInfoType: cacheExpiryDateTime, groupIdToken and evseId."""
    read = token_info(
        info(
            "NotAtThisTime",
            cacheExpiryDateTime="2030-01-01T00:00:00Z",
            groupIdToken=group("FAMILY"),
            evseId=[1, 2],
        )
    )

    assert read.status is TokenStatus.NOT_AT_THIS_TIME
    assert read.expiry is not None and read.expiry.year == 2030
    assert (read.group, read.evse_ids) == ("FAMILY", (1, 2))


@pytest.mark.parametrize(
    "status", ["Blocked", "ConcurrentTx", "Expired", "Invalid", "NoCredit", "Unknown"]
)
async def test_c01_a_token_the_csms_does_not_accept_may_not_charge(
    cs: Station, status: str
) -> None:
    """C01 failure postcondition: any status but Accepted refuses, and is cached as named."""
    cs.csms.answers["X"] = info(status)

    assert not await cs.authorization.authorize("X")
    assert cs.authorization.tokens.cache["X"].status.value == status


async def test_authorize_unanswered_is_offline_and_a_callerror_is_an_answer() -> None:
    outbox = Authorize201(station().csms)

    assert outbox.unanswered(TimeoutError()) and outbox.unanswered(OFFLINE)
    assert not outbox.unanswered(CallFailed("Authorize", CallError("1", "NotImplemented")))


# -- AuthCtrlr ---------------------------------------------------------------------------------


async def test_c01_fr_01_with_authctrlr_disabled_every_token_charges_without_authorize(
    cs: Station,
) -> None:
    """AuthCtrlr.Enabled false: no authorization is done (C01.FR.01 applies when true)."""
    cs.variables.set("AuthCtrlr.Enabled", "false")

    assert await cs.authorization.authorize("ANY")
    assert cs.csms.sent == []


async def test_c05_fr_01_a_central_token_is_not_sent_in_an_authorize_request(
    cs: Station,
) -> None:
    assert await cs.authorization.authorize(IdToken("APP-42", "Central"))
    assert cs.csms.sent == []


async def test_c02_a_no_authorization_token_is_not_sent_in_an_authorize_request(
    cs: Station,
) -> None:
    assert await cs.authorization.authorize(IdToken("", "NoAuthorization"))
    assert cs.csms.sent == []


async def test_c05_fr_02_a_central_tokens_id_token_info_is_not_cached(cs: Station) -> None:
    """From a TransactionEventResponse, say."""
    cs.authorization.remember(IdToken("APP-42", "Central"), info())

    assert cs.authorization.tokens.cache == {}


async def test_disable_remote_authorization_refuses_an_unknown_token_without_asking(
    cs: Station,
) -> None:
    """AuthCtrlr.DisableRemoteAuthorization: no AuthorizeRequest at all."""
    cs.variables.set("AuthCtrlr.DisableRemoteAuthorization", "true")

    assert not await cs.authorization.authorize("NEW")
    assert cs.csms.sent == []


async def test_disable_remote_authorization_accepts_a_cached_valid_token(cs: Station) -> None:
    """The cache and list alone decide (appendix 2.3.8)."""
    cs.authorization.remember("C", info())
    cs.variables.set("AuthCtrlr.DisableRemoteAuthorization", "true")

    assert await cs.authorization.authorize("C")
    assert cs.csms.sent == []


# -- the Authorization Cache (C10-C12) ----------------------------------------------------------


async def test_c10_fr_01_the_cache_keeps_every_answer_whatever_its_status(cs: Station) -> None:
    cs.csms.answers["A"] = info()
    cs.csms.answers["B"] = info("Blocked")

    await cs.authorization.authorize("A")
    await cs.authorization.authorize("B")

    assert [(t, i.status.value) for t, i in cs.authorization.tokens.cache.items()] == [
        ("A", "Accepted"),
        ("B", "Blocked"),
    ]


async def test_c10_fr_05_an_id_token_info_of_a_transaction_response_updates_the_cache(
    cs: Station,
) -> None:
    cs.authorization.remember("A", info())

    cs.authorization.remember("A", info("Blocked"))

    assert cs.authorization.tokens.cache["A"].status is TokenStatus.BLOCKED


async def test_c10_fr_11_with_authcachectrlr_disabled_nothing_is_cached(cs: Station) -> None:
    cs.variables.set("AuthCacheCtrlr.Enabled", "false")
    cs.csms.answers["A"] = info()

    assert await cs.authorization.authorize("A")
    assert cs.authorization.tokens.cache == {}


async def test_c12_fr_02_local_pre_authorize_starts_a_cached_token_without_authorize(
    cs: Station,
) -> None:
    cs.authorization.remember("C", info())
    cs.variables.set("AuthCtrlr.LocalPreAuthorize", "true")

    assert await cs.authorization.authorize("C")
    assert cs.csms.sent == []


async def test_c10_fr_03_a_cached_token_not_accepted_is_asked_for_online(cs: Station) -> None:
    """C10.FR.03 / C12.FR.05 (also with LocalPreAuthorize): the CSMS may have unblocked it."""
    cs.variables.set("AuthCtrlr.LocalPreAuthorize", "true")
    cs.authorization.remember("C", info("Blocked"))
    cs.csms.answers["C"] = info()

    assert await cs.authorization.authorize("C")
    assert cs.csms.asked() == ["C"]


async def test_cache_disable_post_authorize_refuses_a_cached_blocked_token_unasked(
    cs: Station,
) -> None:
    """AuthCacheCtrlr.DisablePostAuthorize turns C10.FR.03 / C12.FR.05 off."""
    cs.variables.set("AuthCacheCtrlr.DisablePostAuthorize", "true")
    cs.authorization.remember("C", info("Blocked"))

    assert not await cs.authorization.authorize("C")
    assert cs.csms.sent == []


async def test_list_disable_post_authorize_refuses_a_listed_blocked_token_unasked(
    cs: Station,
) -> None:
    """LocalAuthListCtrlr.DisablePostAuthorize turns C14.FR.03 off."""
    cs.variables.set("LocalAuthListCtrlr.DisablePostAuthorize", "true")
    listed(cs, ("L", TokenInfo(TokenStatus.BLOCKED)))

    assert not await cs.authorization.authorize("L")
    assert cs.csms.sent == []


async def test_c10_fr_08_an_entry_without_expiry_ends_after_the_cache_lifetime(
    cs: Station,
) -> None:
    cs.variables.set("AuthCacheCtrlr.LifeTime", "60")
    cs.variables.set("AuthCtrlr.LocalPreAuthorize", "true")
    cs.authorization.remember("C", info())

    await cs.services.clock.run_for(59)
    assert await cs.authorization.authorize("C")
    await cs.services.clock.run_for(1)
    assert not await cs.authorization.authorize("C")  # C10.FR.10 Expired: asked again

    assert cs.csms.asked() == ["C"]


async def test_c10_fr_13_a_cache_expiry_date_time_wins_over_the_lifetime(cs: Station) -> None:
    cs.variables.set("AuthCacheCtrlr.LifeTime", "60")
    expiry = cs.services.clock.now() + timedelta(hours=2)
    cs.authorization.remember("C", info(cacheExpiryDateTime=expiry.isoformat()))

    assert cs.authorization.tokens.cache["C"].expiry == expiry


async def test_c10_fr_07_a_full_lru_cache_drops_the_least_recently_used_valid_token(
    cs: Station,
) -> None:
    """AuthCacheCtrlr.Policy LRU: a token used since is kept; the one unused goes."""
    cs.variables.set("AuthCtrlr.LocalPreAuthorize", "true")
    cs.authorization.tokens.cache_size = 2
    cs.authorization.remember("OLD", info())
    cs.authorization.remember("NEWER", info())

    assert await cs.authorization.authorize("OLD")  # used from the cache
    cs.authorization.remember("NEWEST", info())

    assert list(cs.authorization.tokens.cache) == ["OLD", "NEWEST"]


# -- offline (C13, C15) --------------------------------------------------------------------------


async def test_c13_offline_a_listed_valid_token_is_authorized(cs: Station) -> None:
    listed(cs, ("L", TokenInfo(TokenStatus.ACCEPTED)))
    cs.csms.error = OFFLINE

    assert await cs.authorization.authorize("L")


@pytest.mark.parametrize("name", ["LocalAuthorizeOffline", "LocalAuthorizationOffline"])
async def test_without_local_authorize_offline_a_listed_token_is_refused_offline(
    cs: Station, name: str
) -> None:
    """Either spelling (SCOPE.md note b: the device model's and Part 2's text)."""
    cs.variables.drop("AuthCtrlr.LocalAuthorizeOffline")
    cs.variables.set(f"AuthCtrlr.{name}", "false")
    listed(cs, ("L", TokenInfo(TokenStatus.ACCEPTED)))
    cs.csms.error = OFFLINE

    assert not await cs.authorization.authorize("L")


async def test_c15_fr_08_offline_an_unknown_token_is_accepted_when_enabled(cs: Station) -> None:
    cs.variables.set("AuthCtrlr.OfflineTxForUnknownIdEnabled", "true")
    cs.csms.error = OFFLINE

    assert await cs.authorization.authorize("NEW")


async def test_c15_fr_01_a_token_accepted_as_unknown_offline_is_not_cached(cs: Station) -> None:
    cs.variables.set("AuthCtrlr.OfflineTxForUnknownIdEnabled", "true")
    cs.csms.error = OFFLINE

    await cs.authorization.authorize("NEW")

    assert cs.authorization.tokens.cache == {}


async def test_c15_offline_an_unknown_token_is_not_accepted_by_default(cs: Station) -> None:
    cs.csms.error = OFFLINE

    with pytest.raises(ConnectionLost):
        await cs.authorization.authorize("NEW")


# -- stopping: the same token, GroupId (C01.FR.03, C09), Master Pass (C16) ----------------------


async def test_c01_fr_03_the_starting_token_ends_its_authorization_without_authorize(
    cs: Station,
) -> None:
    assert await cs.authorization.authorize_stop("A", IdToken("A"))
    assert cs.csms.sent == []


async def test_c09_fr_07_a_cached_valid_token_of_the_group_stops_without_authorize(
    cs: Station,
) -> None:
    cs.authorization.remember("A", info(groupIdToken=group("FAMILY")))
    cs.authorization.remember("B", info(groupIdToken=group("FAMILY")))

    assert await cs.authorization.authorize_stop("A", "B")
    assert cs.csms.sent == []


async def test_c09_fr_03_a_token_the_csms_places_in_the_group_may_stop(cs: Station) -> None:
    """The cache is off: the starter's group is what the CSMS answered for it."""
    cs.variables.set("AuthCacheCtrlr.Enabled", "false")
    cs.csms.answers["A"] = info(groupIdToken=group("FAMILY"))
    cs.csms.answers["B"] = info(groupIdToken=group("FAMILY"))
    assert await cs.authorization.authorize("A")

    assert await cs.authorization.authorize_stop("A", "B")
    assert cs.csms.asked() == ["A", "B"]


async def test_c09_fr_11_a_token_of_the_group_not_accepted_may_not_stop(cs: Station) -> None:
    cs.authorization.remember("A", info(groupIdToken=group("FAMILY")))
    cs.csms.answers["B"] = info("Blocked", groupIdToken=group("FAMILY"))

    assert not await cs.authorization.authorize_stop("A", "B")


async def test_a_valid_token_of_another_group_may_not_stop(cs: Station) -> None:
    cs.authorization.remember("A", info(groupIdToken=group("FAMILY")))
    cs.csms.answers["B"] = info(groupIdToken=group("OTHERS"))

    assert not await cs.authorization.authorize_stop("A", "B")


async def test_c16_fr_03_a_master_pass_may_not_start_a_transaction(cs: Station) -> None:
    cs.variables.set("AuthCtrlr.MasterPassGroupId", "POLICE")
    cs.csms.answers["M"] = info(groupIdToken=group("POLICE"))

    assert not await cs.authorization.authorize("M")
    assert cs.authorization.master_pass("M")


async def test_c16_a_master_pass_stops_any_transaction(cs: Station) -> None:
    cs.variables.set("AuthCtrlr.MasterPassGroupId", "POLICE")
    cs.authorization.remember("A", info(groupIdToken=group("FAMILY")))
    cs.csms.answers["M"] = info(groupIdToken=group("POLICE"))

    assert await cs.authorization.authorize_stop("A", "M")


async def test_without_master_pass_group_id_no_token_is_a_master_pass(cs: Station) -> None:
    """MasterPassGroupId empty (the default): a group named "" or any other is no master."""
    cs.csms.answers["M"] = info(groupIdToken=group("POLICE"))

    assert await cs.authorization.authorize("M")
    assert not cs.authorization.master_pass("M")


async def test_c01_fr_21_a_token_allowed_at_some_evses_charges_only_there(cs: Station) -> None:
    cs.csms.answers["E"] = info(evseId=[2])
    await cs.authorization.authorize("E")

    assert [cs.authorization.allowed_at("E", evse) for evse in (1, 2)] == [False, True]
    assert cs.authorization.allowed_at("ANY", 1)
