"""The core's authorization (OCPP 1.6 section 3.5) against a fake outbox and fake settings on a
virtual clock: no socket, no station."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from simulator.station.core.authorization import (
    Authorizer,
    ListUpdate,
    LocalAuthorization,
    effective,
)
from simulator.station.core.tokens import IdToken, TokenInfo, TokenStatus
from tests.core.fake_services import FakeServices

ACCEPTED = TokenInfo(TokenStatus.ACCEPTED)
BLOCKED = TokenInfo(TokenStatus.BLOCKED)
INVALID = TokenInfo(TokenStatus.INVALID)
BASE_STATE = Path(__file__).parent.parent / "data" / "state-ebd1ce3.json"


class Offline(Exception):
    """What the fake outbox raises for "no answer"."""


class Refused(Exception):
    """An answer that is an error (a CALLERROR): not being offline."""


@dataclass
class FakeSettings:
    list_supported: bool = True
    list_enabled: bool = True
    cache: bool = True
    pre_authorize: bool = False
    authorize_offline: bool = True
    offline_unknown: bool = False
    max_length: int = 10
    send_max_length: int = 5

    def local_list_supported(self) -> bool:
        return self.list_supported

    def local_list_enabled(self) -> bool:
        return self.list_enabled

    def cache_enabled(self) -> bool:
        return self.cache

    def local_pre_authorize(self) -> bool:
        return self.pre_authorize

    def local_authorize_offline(self) -> bool:
        return self.authorize_offline

    def allow_offline_unknown(self) -> bool:
        return self.offline_unknown

    def local_list_max_length(self) -> int:
        return self.max_length

    def send_local_list_max_length(self) -> int:
        return self.send_max_length


@dataclass
class FakeOutbox:
    answers: dict[str, TokenInfo] = field(default_factory=dict)
    error: Exception | None = None
    asked: list[str] = field(default_factory=list)
    conflicts: list[tuple[str, TokenStatus]] = field(default_factory=list)

    async def authorize(self, token: IdToken) -> TokenInfo:
        self.asked.append(token.value)
        if self.error is not None:
            raise self.error
        return self.answers.get(token.value, INVALID)

    def unanswered(self, error: Exception) -> bool:
        return isinstance(error, Offline)

    async def report_conflict(self, token: str, status: TokenStatus) -> None:
        self.conflicts.append((token, status))


@dataclass
class Setup:
    services: FakeServices
    settings: FakeSettings
    outbox: FakeOutbox
    authorizer: Authorizer

    def listed(self, *entries: tuple[str, TokenInfo | None]) -> None:
        assert self.authorizer.send_local_list(1, full=True, entries=entries) is ListUpdate.ACCEPTED


@pytest.fixture
async def setup() -> AsyncIterator[Setup]:
    services, settings, outbox = FakeServices(), FakeSettings(), FakeOutbox()
    yield Setup(services, settings, outbox, Authorizer(services, settings, outbox))
    await services.close()


async def test_a_token_the_csms_accepts_is_authorized_and_cached(setup: Setup) -> None:
    """Sections 3.5.1, 4.1."""
    setup.outbox.answers["A"] = ACCEPTED

    assert await setup.authorizer.authorize("A")
    assert setup.authorizer.tokens.cache == {"A": ACCEPTED}


async def test_a_token_the_csms_refuses_is_not_authorized(setup: Setup) -> None:
    assert not await setup.authorizer.authorize("X")


async def test_a_disabled_cache_learns_nothing(setup: Setup) -> None:
    """Section 9.1.2."""
    setup.settings.cache = False
    setup.outbox.answers["A"] = ACCEPTED

    assert await setup.authorizer.authorize("A")
    assert setup.authorizer.tokens.cache == {}


async def test_pre_authorize_starts_a_listed_token_without_asking_the_csms(setup: Setup) -> None:
    """Section 9.1.13 LocalPreAuthorize."""
    setup.settings.pre_authorize = True
    setup.listed(("L", ACCEPTED))

    assert await setup.authorizer.authorize("L")
    assert setup.outbox.asked == []


async def test_offline_a_listed_valid_token_is_authorized(setup: Setup) -> None:
    """Sections 3.5.4, 9.1.12 LocalAuthorizeOffline."""
    setup.listed(("L", ACCEPTED))
    setup.outbox.error = Offline()

    assert await setup.authorizer.authorize("L")


async def test_offline_a_listed_blocked_token_is_refused(setup: Setup) -> None:
    """Section 3.5.4: a known token that is not valid is refused, not "unknown"."""
    setup.settings.offline_unknown = True
    setup.listed(("X", BLOCKED))
    setup.outbox.error = Offline()

    assert not await setup.authorizer.authorize("X")


async def test_offline_without_local_authorize_offline_a_listed_token_is_refused(
    setup: Setup,
) -> None:
    """Section 9.1.12."""
    setup.settings.authorize_offline = False
    setup.listed(("L", ACCEPTED))
    setup.outbox.error = Offline()

    assert not await setup.authorizer.authorize("L")


async def test_offline_an_unknown_token_raises_what_told_no_answer(setup: Setup) -> None:
    """Section 3.5.4: without AllowOfflineTxForUnknownId the caller hears the station is
    offline."""
    setup.outbox.error = Offline()

    with pytest.raises(Offline):
        await setup.authorizer.authorize("NEW")


async def test_offline_an_unknown_token_is_authorized_with_allow_offline_tx(setup: Setup) -> None:
    """Section 3.5.4 AllowOfflineTxForUnknownId."""
    setup.settings.offline_unknown = True
    setup.outbox.error = Offline()

    assert await setup.authorizer.authorize("NEW")


async def test_an_error_answer_is_not_taken_for_being_offline(setup: Setup) -> None:
    """A CALLERROR is an answer: the offline rules do not apply to it."""
    setup.settings.offline_unknown = True
    setup.outbox.error = Refused()

    with pytest.raises(Refused):
        await setup.authorizer.authorize("NEW")


async def test_a_disabled_local_list_does_not_authorize_offline(setup: Setup) -> None:
    """Section 9.2.1 LocalAuthListEnabled false: a listed token is as unknown as any other."""
    setup.listed(("L", ACCEPTED))
    setup.settings.list_enabled = False
    setup.outbox.error = Offline()

    with pytest.raises(Offline):
        await setup.authorizer.authorize("L")


async def test_an_answer_contradicting_the_list_is_reported_once(setup: Setup) -> None:
    """Section 3.5.2: the list says Blocked, the CSMS accepts; the authorization and the
    transaction start that follows tell the same conflict, reported once."""
    setup.listed(("L", BLOCKED))
    setup.outbox.answers["L"] = ACCEPTED

    assert await setup.authorizer.authorize("L")
    setup.authorizer.remember("L", ACCEPTED)
    await setup.services.settled()

    assert setup.outbox.conflicts == [("L", TokenStatus.ACCEPTED)]
    assert setup.authorizer.tokens.local_list == {"L": BLOCKED}


async def test_an_answer_agreeing_with_the_list_is_no_conflict(setup: Setup) -> None:
    setup.listed(("L", ACCEPTED))
    setup.outbox.answers["L"] = ACCEPTED

    assert await setup.authorizer.authorize("L")
    await setup.services.settled()

    assert setup.outbox.conflicts == []


async def test_a_listed_entry_turns_expired_at_its_expiry_on_the_clock(setup: Setup) -> None:
    """Section 3.5.1: a valid entry past its expiryDate stands as Expired."""
    clock = setup.services.clock
    setup.listed(("L", TokenInfo(TokenStatus.ACCEPTED, expiry=clock.now() + timedelta(minutes=1))))
    known_before = setup.authorizer.known("L")

    await clock.run_for(61)

    assert known_before is not None and known_before.status is TokenStatus.ACCEPTED
    known_after = setup.authorizer.known("L")
    assert known_after is not None and known_after.status is TokenStatus.EXPIRED


async def test_a_list_update_without_local_list_support_is_not_supported(setup: Setup) -> None:
    """Sections 5.10, 5.15: NotSupported, and version -1."""
    setup.settings.list_supported = False

    assert setup.authorizer.send_local_list(1, full=True, entries=[]) is ListUpdate.NOT_SUPPORTED
    assert setup.authorizer.list_version() == -1


async def test_the_cache_is_persisted_when_it_learns(setup: Setup) -> None:
    """Issue 5: the cache survives a restart."""
    setup.authorizer.remember("A", ACCEPTED)

    assert setup.services.persisted == 1


# -- the list and cache as data ------------------------------------------------------------------


def test_a_differential_update_deletes_an_entry_without_info() -> None:
    """Section 6.41."""
    lists = LocalAuthorization()
    limits = {"max_length": 10, "send_max_length": 10}
    lists.update(1, full=True, entries=[("A", ACCEPTED), ("B", ACCEPTED)], **limits)

    answer = lists.update(2, full=False, entries=[("A", None)], **limits)

    assert (answer, lists.local_list) == (ListUpdate.ACCEPTED, {"B": ACCEPTED})


def test_a_list_update_naming_a_token_twice_fails() -> None:
    """Section 5.15: the list is unchanged unless Accepted."""
    lists = LocalAuthorization()

    answer = lists.update(
        1, full=True, entries=[("A", ACCEPTED), ("A", BLOCKED)], max_length=10, send_max_length=10
    )

    assert (answer, lists.local_list) == (ListUpdate.FAILED, {})


def test_an_entry_is_expired_from_its_expiry_on() -> None:
    """Section 3.5.1."""
    moment = FakeServices().clock.now()
    info = TokenInfo(TokenStatus.ACCEPTED, expiry=moment)

    assert effective(info, moment - timedelta(seconds=1)) is info
    assert effective(info, moment).status is TokenStatus.EXPIRED


def test_the_base_state_files_section_is_written_back_as_it_was_read() -> None:
    """Issue 14: the persisted localAuthorization of a file written by ebd1ce3 (IdTagInfo
    shaped) restores and is persisted again byte for byte."""
    section = json.loads(BASE_STATE.read_text(encoding="utf-8"))["localAuthorization"]

    written = LocalAuthorization.from_data(section).as_data()

    assert json.dumps(written) == json.dumps(section)


@pytest.mark.parametrize(
    "stamp", ["2030-01-01T00:00:00Z", "2030-01-01T00:00:00.250Z", "2030-01-01T00:00:00.000001Z"]
)
def test_an_expiry_is_persisted_as_it_was_read(stamp: str) -> None:
    data: dict[str, Any] = {
        "listVersion": 2,
        "localList": {"A": {"status": "Accepted", "parentIdTag": "G", "expiryDate": stamp}},
        "cache": [],
    }

    assert LocalAuthorization.from_data(data).as_data() == data


def test_a_persisted_expiry_without_offset_reads_as_utc() -> None:
    data = {"localList": {"A": {"status": "Accepted", "expiryDate": "2030-01-01T00:00:00"}}}

    expiry = LocalAuthorization.from_data(data).local_list["A"].expiry

    assert expiry is not None and expiry.utcoffset() == timedelta(0)


def test_the_persisted_form_follows_every_change() -> None:
    """The persisted form is kept between changes; a list update, a remembered token and a
    cleared cache each show in the next one."""
    lists = LocalAuthorization()
    seen = [lists.as_data()]
    lists.update(1, full=True, entries=[("A", ACCEPTED)], max_length=10, send_max_length=10)
    seen.append(lists.as_data())
    lists.remember("B", BLOCKED)
    seen.append(lists.as_data())
    lists.clear_cache()
    seen.append(lists.as_data())

    assert [(data["listVersion"], list(data["localList"]), data["cache"]) for data in seen] == [
        (0, [], []),
        (1, ["A"], []),
        (1, ["A"], [("B", {"status": "Blocked"})]),
        (1, ["A"], []),
    ]
