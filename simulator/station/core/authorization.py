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

    def version(self) -> int:
        """The list's version (1.6 section 5.10): 0 for an empty list. A differential update
        compares with this version too: a list emptied at version 6 is at 0, not at a hidden 6."""
        return self.list_version if self.local_list else 0

    def update(
        self,
        list_version: int,
        *,
        full: bool,
        entries: Sequence[ListEntry],
        max_length: int,
        send_max_length: int,
    ) -> ListUpdate:
        """A list update (1.6 sections 5.15, 6.41): the list is unchanged unless Accepted."""
        tokens = [token for token, _ in entries]
        if list_version <= 0 or len(entries) > send_max_length or len(set(tokens)) != len(tokens):
            return ListUpdate.FAILED  # 1.6 errata 3.52: versions 0 and -1 are reserved
        if full:
            updated: dict[str, TokenInfo] = {}
        else:
            if list_version <= self.version():
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
        self.list_version = list_version if updated else 0
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
    settings that choose between them (1.6 sections 3.5, 9.1)."""

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
        )

    def list_version(self) -> int:
        """Section 5.10: -1 when the station does not support local lists."""
        return self.tokens.version() if self.supported() else -1

    def remember(self, token: str, info: TokenInfo) -> None:
        """A TokenInfo from the CSMS: into the cache; one that contradicts the Local
        Authorization List is reported (section 3.5.2) and leaves the list as it is, which
        only a list update changes."""
        if self.list_enabled and self.tokens.conflicts(token, info, self.services.clock.now()):
            self._report_conflict(token, info.status)
        if self.cache_enabled:
            self.tokens.remember(token, info)
            self.services.persist()  # the cache survives a restart (issue 5)

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

    async def authorize(self, token: str) -> bool:
        """True when the token may charge (sections 3.5, 4.1).

        Online: LocalPreAuthorize lets a locally valid token start without asking the CSMS;
        otherwise the CSMS decides, and its answer goes into the cache. Offline (no answer):
        LocalAuthorizeOffline accepts a locally valid token, and AllowOfflineTxForUnknownId
        one the station does not know (section 3.5.4); else the error that told "no answer".
        """
        known = self.known(token)
        locally_valid = known is not None and known.status is ACCEPTED
        if locally_valid and self.settings.local_pre_authorize():
            return True
        try:
            info = await self.outbox.authorize(IdToken(token))
        except Exception as error:
            if not self.outbox.unanswered(error):
                raise
            if known is not None:
                # Section 3.5.4: a known token that is not valid is refused, not "unknown".
                return locally_valid and self.settings.local_authorize_offline()
            if self.settings.allow_offline_unknown():
                return True
            raise
        self.remember(token, info)
        return info.status is ACCEPTED

    def restore(self, data: Mapping[str, Any]) -> None:
        """The list and cache a previous run persisted (`LocalAuthorization.as_data`)."""
        self.tokens = LocalAuthorization.from_data(data)


__all__ = [
    "CACHE_SIZE",
    "AuthorizationOutbox",
    "AuthorizationSettings",
    "Authorizer",
    "ListEntry",
    "ListUpdate",
    "LocalAuthorization",
    "effective",
]
