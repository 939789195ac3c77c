"""The core's authorization spoken in OCPP 2.0.1 (Part 2 block C): AuthorizeRequest for the
CSMS's IdTokenInfo, and the 2.0.1 face of the `Authorizer` the station exposes as
`station.authorization`, with what 2.0.1 adds to 1.6's rules: AuthCtrlr.Enabled, tokens of
type Central and NoAuthorization, DisableRemoteAuthorization, DisablePostAuthorize, the
Master Pass, AuthCacheCtrlr.LifeTime and Policy LRU, and the list version of D02."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import timedelta
from typing import Any, Final, Protocol

from simulator.station.core.authorization import (
    ACCEPTED,
    AuthorizationOutbox,
    AuthorizationSettings,
    Authorizer,
    ListEntry,
    ListUpdate,
    LocalAuthorization,
)
from simulator.station.core.services import Services
from simulator.station.core.tokens import IdToken, TokenInfo, TokenStatus
from simulator.station.ocpp201.tokens import CENTRAL, NO_AUTHORIZATION, id_token_type, token_info
from simulator.station.ports import Caller
from simulator.station.rpc import ConnectionLost

# No answer from the CSMS; a CALLERROR (CallFailed) is an answer, not being offline.
_UNANSWERED = (TimeoutError, ConnectionLost)
# Tokens the station neither asks the CSMS about nor caches: made by the CSMS (C05.FR.01/02),
# or a start button's (C02: the CSMS cannot refuse it).
_NOT_AUTHORIZED = frozenset({CENTRAL, NO_AUTHORIZATION})

# The action names are spelled here: importing the `ocpp` library's v201 enums loads its whole
# v201 package (~130 ms at every process start, 1.6-only fleets included).
AUTHORIZE: Final = "Authorize"


class AuthorizationSettings201(AuthorizationSettings, Protocol):
    """What 2.0.1's authorization reads beyond the core's settings (the variable each reads)."""

    def authorization_enabled(self) -> bool: ...  # AuthCtrlr.Enabled

    def remote_authorization_disabled(self) -> bool: ...  # AuthCtrlr.DisableRemoteAuthorization

    def cache_post_authorize_disabled(self) -> bool: ...  # AuthCacheCtrlr.DisablePostAuthorize

    def list_post_authorize_disabled(self) -> bool: ...  # LocalAuthListCtrlr.DisablePostAuthorize

    def master_pass_group(self) -> str | None: ...  # AuthCtrlr.MasterPassGroupId; None: unset

    def cache_lifetime(self) -> int:  # AuthCacheCtrlr.LifeTime
        """Seconds a cache entry without cacheExpiryDateTime stays valid; 0: no end."""
        ...

    def send_local_list_max_bytes(self) -> int: ...  # LocalAuthListCtrlr.BytesPerMessage


class Authorize201:
    """The core's AuthorizationOutbox over the station's one path of messages."""

    __slots__ = ("station",)

    def __init__(self, station: Caller) -> None:
        self.station = station

    async def authorize(self, token: IdToken) -> TokenInfo:
        """C01.FR.02: AuthorizeRequest with the token and its type; its idTokenInfo."""
        # The 2.0.1 action, named by the v201 package (1.6 has one of the same name).
        request = {"idToken": id_token_type(token)}
        response = await self.station.call(AUTHORIZE, request)
        return token_info(response["idTokenInfo"])

    def unanswered(self, error: Exception) -> bool:
        return isinstance(error, _UNANSWERED)

    async def report_conflict(self, token: str, status: TokenStatus) -> None:
        """The core logged the conflict; 2.0.1 has no message for it (1.6's LocalListConflict
        is a StatusNotification errorCode, which 2.0.1's StatusNotification has not)."""


class Authorizer201(Authorizer):
    """`Authorizer` with 2.0.1's rules (Part 2 block C, the device model variables of
    AuthCtrlr, AuthCacheCtrlr and LocalAuthListCtrlr), read at each use."""

    KEEPS_EMPTIED_LIST_VERSION = True
    settings: AuthorizationSettings201

    def __init__(
        self,
        services: Services,
        settings: AuthorizationSettings201,
        outbox: AuthorizationOutbox,
    ) -> None:
        super().__init__(services, settings, outbox)

    @property
    def state(self) -> LocalAuthorization:
        """The list and cache (what ClearCache empties)."""
        return self.tokens

    def list_version(self) -> int:
        """D02.FR.01-03: the version the last update gave (kept when it emptied the list), 0
        before any update and whenever the list is disabled."""
        return self.tokens.version(keep_emptied=True) if self.list_enabled else 0

    def send_local_list(
        self, list_version: int, *, full: bool, entries: Sequence[ListEntry], size: int = 0
    ) -> ListUpdate:
        """D01: Failed when the list is not enabled (D01's prerequisite) or the message is
        over ItemsPerMessage or BytesPerMessage (`size`, D01.FR.11); else as the core."""
        if not self.list_enabled or size > self.settings.send_local_list_max_bytes():
            return ListUpdate.FAILED
        return super().send_local_list(list_version, full=full, entries=entries)

    # -- the decisions ------------------------------------------------------------------------

    def asks_csms(self, token: IdToken, known: TokenInfo | None) -> bool:
        """Not with DisableRemoteAuthorization (only the list and cache decide); not for a
        token the list or cache holds as not Accepted with that store's DisablePostAuthorize
        (C10.FR.03 and C12.FR.05 then C14.FR.03 are off)."""
        if self.settings.remote_authorization_disabled():
            return False
        if known is None or known.status is ACCEPTED:
            return True
        listed = self.list_enabled and token.value in self.tokens.local_list
        if listed:
            return not self.settings.list_post_authorize_disabled()
        return not self.settings.cache_post_authorize_disabled()

    def stops_for(self, info: TokenInfo, group: str | None) -> bool:
        """C09.FR.03, and a Master Pass stops any transaction (C16)."""
        return super().stops_for(info, group) or self._master(info.group)

    def _master(self, group: str | None) -> bool:
        master = self.settings.master_pass_group()
        return master is not None and group == master

    def master_pass(self, token: str) -> bool:
        """The token's group is AuthCtrlr.MasterPassGroupId (C16): it may stop every
        transaction (C16.FR.02) and start none (C12.FR.09, C16.FR.03)."""
        return self._master(self.group_of(token))

    def allowed_at(self, token: str, evse_id: int) -> bool:
        """C01.FR.21: a token the CSMS allowed at some EVSEs only charges at those."""
        info = self.told(token)
        return info is None or not info.evse_ids or evse_id in info.evse_ids

    async def authorize(self, token: str | IdToken) -> bool:
        """The core's decision, with: every token may charge while AuthCtrlr.Enabled is false
        (C01.FR.01 is then off); a Central or NoAuthorization token without asking (C05.FR.01,
        C02); a Master Pass never starts (C12.FR.09, C16.FR.03). A cached token that
        decided is the most recently used (AuthCacheCtrlr.Policy LRU)."""
        presented = token if isinstance(token, IdToken) else IdToken(token)
        if not self.settings.authorization_enabled() or presented.type in _NOT_AUTHORIZED:
            return True
        allowed = await super().authorize(presented)
        if allowed and self.master_pass(presented.value):
            return False
        if allowed:
            self.tokens.touch(presented.value)
        return allowed

    async def authorize_stop(self, started_by: str, presented: str | IdToken) -> bool:
        """The core's decision (C01.FR.03, C09), any token while AuthCtrlr.Enabled is false."""
        if not self.settings.authorization_enabled():
            return True
        return await super().authorize_stop(started_by, presented)

    def remember(self, token: str | IdToken, info: TokenInfo | Mapping[str, Any]) -> None:
        """`info` as a TokenInfo, or the idTokenInfo of a TransactionEventResponse (C10.FR.05).
        A Central token's is not cached (C05.FR.02). An entry the CSMS gave no
        cacheExpiryDateTime ends AuthCacheCtrlr.LifeTime after it was told (C10.FR.08)."""
        presented = token if isinstance(token, IdToken) else IdToken(token)
        told = info if isinstance(info, TokenInfo) else token_info(info)
        if presented.type == CENTRAL:
            self.learn(presented.value, told)
            return
        lifetime = self.settings.cache_lifetime()
        if told.expiry is None and lifetime > 0:
            told = replace(told, expiry=self.services.clock.now() + timedelta(seconds=lifetime))
        super().remember(presented.value, told)


__all__ = ["AuthorizationSettings201", "Authorize201", "Authorizer201"]
