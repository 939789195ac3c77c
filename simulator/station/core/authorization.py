"""Who may charge, decided in core terms (OCPP 1.6 section 3.5; 2.0.1 C10-C14): the Local
Authorization List and the Authorization Cache of one station, what they hold of a token
(`TokenInfo`), and how they and the CSMS answer for it.

The list changes only by a list update from the CSMS; the cache learns every TokenInfo the CSMS
sends, and one that contradicts the list is reported as a local list conflict. Both are plain
data (`as_data`/`from_data`) so the station can persist them. `Authorizer.authorize` is the one
place that asks the CSMS, through the adapter's `AuthorizationOutbox`; the keys that choose
between list, cache and CSMS come through `AuthorizationSettings`, read at each use so a
configuration change applies at once.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

from simulator.station.core.services import Services
from simulator.station.core.token_data import info_as_data, info_from_data
from simulator.station.core.tokens import IdToken, TokenInfo, TokenStatus

ACCEPTED = TokenStatus.ACCEPTED
# A cache without a configured size: large enough for any simulated user base, bounded so a
# long run with generated tokens does not grow without limit.
CACHE_SIZE = 1000
# Tokens whose group or EVSEs `Authorizer` keeps apart from the cache: more than the
# transactions a station runs at once, few enough to cost nothing when every answer has one.
TOLD_KEPT = 64

# A list update's entry: the token and what it stands for; None deletes it (a differential
# update).
ListEntry = tuple[str, TokenInfo | None]


class ListUpdate(StrEnum):
    """The answer to a list update (1.6 UpdateStatus, 2.0.1 SendLocalListStatusEnumType)."""

    ACCEPTED = "Accepted"
    FAILED = "Failed"
    NOT_SUPPORTED = "NotSupported"
    VERSION_MISMATCH = "VersionMismatch"


class AuthorizationSettings(Protocol):
    """The station's configuration as the authorization reads it (the 1.6 key each reads)."""

    def local_list_supported(self) -> bool: ...  # SupportedFeatureProfiles LocalAuthListManagement

    def local_list_enabled(self) -> bool: ...  # LocalAuthListEnabled

    def cache_enabled(self) -> bool: ...  # AuthorizationCacheEnabled

    def local_pre_authorize(self) -> bool: ...  # LocalPreAuthorize

    def local_authorize_offline(self) -> bool: ...  # LocalAuthorizeOffline

    def allow_offline_unknown(self) -> bool: ...  # AllowOfflineTxForUnknownId

    def local_list_max_length(self) -> int: ...  # LocalAuthListMaxLength

    def send_local_list_max_length(self) -> int: ...  # SendLocalListMaxLength


class AuthorizationOutbox(Protocol):
    """What the authorization says to the CSMS, in the adapter's version."""

    async def authorize(self, token: IdToken) -> TokenInfo: ...

    def unanswered(self, error: Exception) -> bool:
        """`error` means no answer (offline, timed out), not a refusal (section 3.5.4)."""
        ...

    async def report_conflict(self, token: str, status: TokenStatus) -> None: ...


def effective(info: TokenInfo, now: datetime) -> TokenInfo:
    """The TokenInfo as it stands now: a valid entry past its expiry is Expired (3.5.1)."""
    if info.status is ACCEPTED and info.expiry is not None and info.expiry <= now:
        return replace(info, status=TokenStatus.EXPIRED)
    return info


@dataclass(slots=True)
class LocalAuthorization:
    """The Local Authorization List (with its version) and the Authorization Cache."""

    list_version: int = 0
    local_list: dict[str, TokenInfo] = field(default_factory=dict)
    cache: OrderedDict[str, TokenInfo] = field(default_factory=OrderedDict)
    cache_size: int = CACHE_SIZE
    # `as_data` until the next change: the station persists it with every queued message,
    # and the list and cache change far less often.
    _data: dict[str, Any] | None = field(default=None, init=False, compare=False, repr=False)

    # -- list updates -------------------------------------------------------------------------

    def version(self, *, keep_emptied: bool = False) -> int:
        """The list's version (1.6 section 5.10): 0 for an empty list. A differential update
        compares with this version too: a list emptied at version 6 is at 0, not at a hidden 6.
        `keep_emptied`: an emptied list keeps the version of the update that emptied it, and
        0 is a list never sent (2.0.1 D01.FR.04/05, D02 remark)."""
        return self.list_version if self.local_list or keep_emptied else 0

    def update(
        self,
        list_version: int,
        *,
        full: bool,
        entries: Sequence[ListEntry],
        max_length: int,
        send_max_length: int,
        keep_emptied: bool = False,
    ) -> ListUpdate:
        """A list update (1.6 sections 5.15, 6.41; 2.0.1 D01): the list is unchanged unless
        Accepted. `keep_emptied` as for `version`."""
        tokens = [token for token, _ in entries]
        if list_version <= 0 or len(entries) > send_max_length or len(set(tokens)) != len(tokens):
            return ListUpdate.FAILED  # 1.6 errata 3.52, 2.0.1 D01.FR.18: 0 and -1 are reserved
        if full:
            updated: dict[str, TokenInfo] = {}
        else:
            if list_version <= self.version(keep_emptied=keep_emptied):
                return ListUpdate.VERSION_MISMATCH
            updated = dict(self.local_list)
        for token, info in entries:
            if info is None:
                updated.pop(token, None)
            else:
                updated[token] = info
        if len(updated) > max_length:
            return ListUpdate.FAILED
        self.local_list = updated
        self.list_version = list_version if updated or keep_emptied else 0
        self._data = None
        for token in updated:
            # Section 3.5.3: identifiers of the list are not kept in the cache.
            self.cache.pop(token, None)
        return ListUpdate.ACCEPTED

    # -- the cache ----------------------------------------------------------------------------

    def remember(self, token: str, info: TokenInfo) -> None:
        """A TokenInfo from the CSMS (section 3.5.1): latest first; when full, the not-valid
        entries go first, then the oldest valid ones."""
        if token in self.local_list:
            return
        self.cache.pop(token, None)
        if len(self.cache) >= self.cache_size:
            invalid = [known for known, held in self.cache.items() if held.status is not ACCEPTED]
            for known in invalid:
                del self.cache[known]
            while len(self.cache) >= self.cache_size:
                self.cache.popitem(last=False)
        self.cache[token] = info
        self._data = None

    def touch(self, token: str) -> None:
        """The cached token was used: it is the last the cache drops of the valid ones (an
        adapter whose cache is least-recently-used, 2.0.1 AuthCacheCtrlr.Policy LRU)."""
        if token in self.cache and next(reversed(self.cache)) != token:
            self.cache.move_to_end(token)
            self._data = None

    def conflicts(self, token: str, info: TokenInfo, now: datetime) -> bool:
        """Section 3.5.2: the CSMS's TokenInfo for the token says another status than the
        list's entry does (as it stands now: an entry past its expiry is Expired)."""
        entry = self.local_list.get(token)
        return entry is not None and effective(entry, now).status is not info.status

    def clear_cache(self) -> None:
        self.cache.clear()
        self._data = None

    def lookup(
        self, token: str, now: datetime, *, list_enabled: bool, cache_enabled: bool
    ) -> TokenInfo | None:
        """What the station knows of the token: the list before the cache (section 3.5.3)."""
        if list_enabled and token in self.local_list:
            return effective(self.local_list[token], now)
        if cache_enabled and token in self.cache:
            return effective(self.cache[token], now)
        return None

    # -- persistence --------------------------------------------------------------------------

    def as_data(self) -> dict[str, Any]:
        """The persisted form; shared until the next change, so read, not changed."""
        if self._data is None:
            self._data = {
                "listVersion": self.list_version,
                "localList": {token: info_as_data(info) for token, info in self.local_list.items()},
                "cache": [(token, info_as_data(info)) for token, info in self.cache.items()],
            }
        return self._data

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> LocalAuthorization:
        listed = dict(data.get("localList", {}))
        cached = data.get("cache", [])
        return cls(
            list_version=int(data.get("listVersion", 0)),
            local_list={token: info_from_data(info) for token, info in listed.items()},
            cache=OrderedDict((token, info_from_data(info)) for token, info in cached),
        )


class Authorizer:
    """A station's authorization of tokens: its CSMS, its local list and cache, and the
    settings that choose between them (1.6 sections 3.5, 9.1; 2.0.1 C01, C09-C15)."""

    # 2.0.1 (D01.FR.04/05, D02): an emptied list keeps its version; 1.6: it is at 0.
    KEEPS_EMPTIED_LIST_VERSION = False

    def __init__(
        self,
        services: Services,
        settings: AuthorizationSettings,
        outbox: AuthorizationOutbox,
    ) -> None:
        self.services = services
        self.settings = settings
        self.outbox = outbox
        self.tokens = LocalAuthorization()
        # Conflicts reported, (list version, token, the CSMS's status): an answer to an
        # authorization and the transaction start that follows tell the same conflict once.
        self._conflicts: set[tuple[int, str, TokenStatus]] = set()
        # The latest TokenInfo with a group or EVSEs the CSMS sent per token, whether the
        # cache keeps it or not: whose group may stop a transaction (`authorize_stop`), where
        # a token may charge (2.0.1 evseId).
        self._told: OrderedDict[str, TokenInfo] = OrderedDict()

    def supported(self) -> bool:
        return self.settings.local_list_supported()

    @property
    def list_enabled(self) -> bool:
        return self.supported() and self.settings.local_list_enabled()

    @property
    def cache_enabled(self) -> bool:
        return self.settings.cache_enabled()

    def send_local_list(
        self, list_version: int, *, full: bool, entries: Sequence[ListEntry]
    ) -> ListUpdate:
        if not self.supported():
            return ListUpdate.NOT_SUPPORTED
        return self.tokens.update(
            list_version,
            full=full,
            entries=entries,
            max_length=self.settings.local_list_max_length(),
            send_max_length=self.settings.send_local_list_max_length(),
            keep_emptied=self.KEEPS_EMPTIED_LIST_VERSION,
        )

    def list_version(self) -> int:
        """Section 5.10: -1 when the station does not support local lists."""
        return self.tokens.version() if self.supported() else -1

    def remember(self, token: str, info: TokenInfo) -> None:
        """A TokenInfo from the CSMS: `learn`ed, and into the cache."""
        self.learn(token, info)
        if self.cache_enabled:
            self.tokens.remember(token, info)
            self.services.persist()  # the cache survives a restart (issue 5)

    def learn(self, token: str, info: TokenInfo) -> None:
        """What a TokenInfo from the CSMS tells besides the cache: one that contradicts the
        Local Authorization List is reported (section 3.5.2) and leaves the list as it is,
        which only a list update changes; one that says more than a status (a group, EVSEs)
        is kept for `told`."""
        if self.list_enabled and self.tokens.conflicts(token, info, self.services.clock.now()):
            self._report_conflict(token, info.status)
        self._told.pop(token, None)
        if info.group is not None or info.evse_ids:
            self._told[token] = info
            if len(self._told) > TOLD_KEPT:
                self._told.popitem(last=False)

    def _report_conflict(self, token: str, status: TokenStatus) -> None:
        conflict = (self.tokens.list_version, token, status)
        if conflict in self._conflicts:
            return
        self._conflicts.add(conflict)
        self.services.log.info("Local list conflict: the CSMS says {} is {}", token, status)
        self.services.spawn(self.outbox.report_conflict(token, status))

    def known(self, token: str) -> TokenInfo | None:
        return self.tokens.lookup(
            token,
            self.services.clock.now(),
            list_enabled=self.list_enabled,
            cache_enabled=self.cache_enabled,
        )

    def told(self, token: str) -> TokenInfo | None:
        """What the station was told of the token: its list or cache entry (`known`), else
        the CSMS's latest answer that said more than a status."""
        known = self.known(token)
        return known if known is not None else self._told.get(token)

    def group_of(self, token: str) -> str | None:
        info = self.told(token)
        return info.group if info is not None else None

    def asks_csms(self, token: IdToken, known: TokenInfo | None) -> bool:
        """May an authorization of `token`, known locally as `known`, ask the CSMS? Always in
        1.6; an adapter whose version can forbid it says when not."""
        return True

    def stops_for(self, info: TokenInfo, group: str | None) -> bool:
        """May a valid token other than the one that started a transaction of `group` stop
        it? When it is of the same group (1.6 parentIdTag; 2.0.1 C09.FR.03)."""
        return group is not None and info.group == group

    async def authorize_stop(self, started_by: str, presented: str | IdToken) -> bool:
        """True when `presented` may end the authorization of a transaction `started_by`
        began (2.0.1 C01.FR.03, C09.FR.03/07/11; 1.6 section 3.5 parentIdTag): the same token
        always; a locally valid one of the same group without asking the CSMS; else the
        CSMS's answer, valid and of the group. Offline, a token the station cannot place in
        the group may not stop."""
        token = presented if isinstance(presented, IdToken) else IdToken(presented)
        if token.value == started_by:
            return True
        group = self.group_of(started_by)
        known = self.known(token.value)
        if known is not None and known.status is ACCEPTED and self.stops_for(known, group):
            return True
        if not self.asks_csms(token, known):
            return False
        try:
            info = await self.outbox.authorize(token)
        except Exception as error:
            if not self.outbox.unanswered(error):
                raise
            return False
        self.remember(token.value, info)
        return info.status is ACCEPTED and self.stops_for(info, group)

    async def authorize(self, token: str | IdToken) -> bool:
        """True when the token may charge (sections 3.5, 4.1).

        Online: LocalPreAuthorize lets a locally valid token start without asking the CSMS;
        otherwise the CSMS decides, and its answer goes into the cache. Offline (no answer):
        LocalAuthorizeOffline accepts a locally valid token, and AllowOfflineTxForUnknownId
        one the station does not know (section 3.5.4); else the error that told "no answer".
        Where the adapter's `asks_csms` forbids asking, only a locally valid token may.
        """
        presented = token if isinstance(token, IdToken) else IdToken(token)
        value = presented.value
        known = self.known(value)
        locally_valid = known is not None and known.status is ACCEPTED
        if locally_valid and self.settings.local_pre_authorize():
            return True
        if not self.asks_csms(presented, known):
            return locally_valid
        try:
            info = await self.outbox.authorize(presented)
        except Exception as error:
            if not self.outbox.unanswered(error):
                raise
            if known is not None:
                # Section 3.5.4: a known token that is not valid is refused, not "unknown".
                return locally_valid and self.settings.local_authorize_offline()
            if self.settings.allow_offline_unknown():
                return True
            raise
        self.remember(value, info)
        return info.status is ACCEPTED

    def restore(self, data: Mapping[str, Any]) -> None:
        """The list and cache a previous run persisted (`LocalAuthorization.as_data`)."""
        self.tokens = LocalAuthorization.from_data(data)


__all__ = [
    "CACHE_SIZE",
    "TOLD_KEPT",
    "AuthorizationOutbox",
    "AuthorizationSettings",
    "Authorizer",
    "ListEntry",
    "ListUpdate",
    "LocalAuthorization",
    "effective",
]
