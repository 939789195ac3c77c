"""The core's authorization beyond starts: who may end a transaction's authorization (the same
token, a token of its group), the list version an emptied list keeps where a version says so,
the cache's use order, and the EVSEs an entry carries. Fake outbox and settings, virtual
clock."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from simulator.station.core.authorization import Authorizer, ListUpdate, LocalAuthorization
from simulator.station.core.tokens import IdToken, TokenInfo, TokenStatus
from tests.core.fake_services import FakeServices
from tests.core.test_authorization import FakeOutbox, FakeSettings, Offline, Setup

ACCEPTED = TokenInfo(TokenStatus.ACCEPTED)
LIMITS = {"max_length": 10, "send_max_length": 10}


def of_group(group: str, status: TokenStatus = TokenStatus.ACCEPTED) -> TokenInfo:
    return TokenInfo(status, group=group)


@pytest.fixture
async def setup() -> AsyncIterator[Setup]:
    services, settings, outbox = FakeServices(), FakeSettings(), FakeOutbox()
    yield Setup(services, settings, outbox, Authorizer(services, settings, outbox))
    await services.close()


async def test_the_token_that_started_may_stop_without_asking(setup: Setup) -> None:
    assert await setup.authorizer.authorize_stop("A", "A")
    assert setup.outbox.asked == []


async def test_a_cached_valid_token_of_the_starters_group_stops_without_asking(
    setup: Setup,
) -> None:
    """1.6 parentIdTag, 2.0.1 C01.FR.03 (b)."""
    setup.authorizer.remember("A", of_group("G"))
    setup.authorizer.remember("B", of_group("G"))

    assert await setup.authorizer.authorize_stop("A", "B")
    assert setup.outbox.asked == []


async def test_an_unknown_token_the_csms_places_in_the_group_may_stop(setup: Setup) -> None:
    setup.authorizer.remember("A", of_group("G"))
    setup.outbox.answers["B"] = of_group("G")

    assert await setup.authorizer.authorize_stop("A", "B")
    assert setup.outbox.asked == ["B"]


async def test_a_token_of_the_group_the_csms_does_not_accept_may_not_stop(setup: Setup) -> None:
    setup.authorizer.remember("A", of_group("G"))
    setup.outbox.answers["B"] = of_group("G", TokenStatus.BLOCKED)

    assert not await setup.authorizer.authorize_stop("A", "B")


async def test_a_token_of_no_group_may_not_stop_a_grouped_transaction(setup: Setup) -> None:
    setup.authorizer.remember("A", of_group("G"))
    setup.outbox.answers["B"] = ACCEPTED

    assert not await setup.authorizer.authorize_stop("A", "B")


async def test_two_tokens_of_no_group_are_not_of_one_group(setup: Setup) -> None:
    setup.authorizer.remember("A", ACCEPTED)
    setup.outbox.answers["B"] = ACCEPTED

    assert not await setup.authorizer.authorize_stop("A", "B")


async def test_offline_a_token_the_station_cannot_place_may_not_stop(setup: Setup) -> None:
    setup.authorizer.remember("A", of_group("G"))
    setup.outbox.error = Offline()

    assert not await setup.authorizer.authorize_stop("A", "B")


async def test_the_starters_group_is_known_with_the_cache_disabled(setup: Setup) -> None:
    """What the CSMS said of the starter is kept apart from the cache."""
    setup.settings.cache = False
    setup.outbox.answers["A"] = of_group("G")
    setup.outbox.answers["B"] = of_group("G")
    assert await setup.authorizer.authorize("A")

    assert setup.authorizer.group_of("A") == "G"
    assert await setup.authorizer.authorize_stop("A", "B")


async def test_an_authorization_passes_the_tokens_type_to_the_outbox(setup: Setup) -> None:
    seen: list[IdToken] = []
    answer = setup.outbox.authorize

    async def recording(token: IdToken) -> TokenInfo:
        seen.append(token)
        return await answer(token)

    setup.outbox.authorize = recording  # type: ignore[method-assign]

    await setup.authorizer.authorize(IdToken("K-1", "KeyCode"))
    await setup.authorizer.authorize("RFID")

    assert [(t.value, t.type) for t in seen] == [("K-1", "KeyCode"), ("RFID", "ISO14443")]


# -- the list and cache as data ------------------------------------------------------------------


def test_an_emptied_list_is_at_version_zero_by_default() -> None:
    """1.6 section 5.10."""
    lists = LocalAuthorization()
    lists.update(3, full=True, entries=[("A", ACCEPTED)], **LIMITS)

    lists.update(4, full=True, entries=[], **LIMITS)

    assert (lists.version(), lists.as_data()["listVersion"]) == (0, 0)


def test_an_emptied_list_keeps_its_version_where_asked() -> None:
    """2.0.1 D01.FR.04, D02 remark."""
    lists = LocalAuthorization()

    lists.update(4, full=True, entries=[], keep_emptied=True, **LIMITS)

    assert lists.version(keep_emptied=True) == 4
    assert lists.update(4, full=False, entries=[], keep_emptied=True, **LIMITS) is (
        ListUpdate.VERSION_MISMATCH
    )


def test_a_touched_valid_entry_is_the_last_a_full_cache_drops() -> None:
    lists = LocalAuthorization(cache_size=2)
    lists.remember("OLD", ACCEPTED)
    lists.remember("NEW", ACCEPTED)

    lists.touch("OLD")
    lists.remember("NEWEST", ACCEPTED)

    assert list(lists.cache) == ["OLD", "NEWEST"]


def test_a_touch_shows_in_the_persisted_order() -> None:
    lists = LocalAuthorization()
    lists.remember("A", ACCEPTED)
    lists.remember("B", ACCEPTED)
    lists.as_data()

    lists.touch("A")

    assert [token for token, _ in lists.as_data()["cache"]] == ["B", "A"]


def test_an_entrys_evses_are_persisted_and_restored() -> None:
    lists = LocalAuthorization()
    lists.remember("E", TokenInfo(TokenStatus.ACCEPTED, evse_ids=(1, 3)))

    restored = LocalAuthorization.from_data(lists.as_data())

    assert restored.cache["E"].evse_ids == (1, 3)


def test_an_entry_of_every_evse_is_persisted_as_1_6_wrote_it() -> None:
    lists = LocalAuthorization()
    lists.remember("A", of_group("G"))

    assert lists.as_data()["cache"] == [("A", {"status": "Accepted", "parentIdTag": "G"})]
