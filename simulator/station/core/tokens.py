"""Who may charge, in core terms: the token a user presents, what the CSMS (or the local list
or cache) says of it, and the verdict on a transaction message.

1.6 spells a token as an idTag with an IdTagInfo (sections 7.14, 7.15); 2.0.1 as an IdToken with
an IdTokenInfo (2.30, 2.31). The statuses share their spelling where both have them, so the
enum's values are the wire strings and an adapter maps with `TokenStatus(value)`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any


class TokenStatus(StrEnum):
    ACCEPTED = "Accepted"
    BLOCKED = "Blocked"
    EXPIRED = "Expired"
    INVALID = "Invalid"
    CONCURRENT_TX = "ConcurrentTx"
    # 2.0.1 only (AuthorizationStatusEnumType).
    NO_CREDIT = "NoCredit"
    NOT_ALLOWED_TYPE_EVSE = "NotAllowedTypeEVSE"
    NOT_AT_THIS_LOCATION = "NotAtThisLocation"
    NOT_AT_THIS_TIME = "NotAtThisTime"
    UNKNOWN = "Unknown"


@dataclass(frozen=True, slots=True)
class IdToken:
    value: str
    # 2.0.1 IdTokenEnumType; 1.6 idTags carry none, and an adapter that has no type sends none.
    type: str = "ISO14443"


@dataclass(frozen=True, slots=True)
class TokenInfo:
    status: TokenStatus
    expiry: datetime | None = None  # 1.6 expiryDate, 2.0.1 cacheExpiryDateTime
    group: str | None = None  # 1.6 parentIdTag, 2.0.1 groupIdToken's idToken
    # 2.0.1 evseId: the EVSEs the token may charge at (C01.FR.20/21); empty: at every one.
    evse_ids: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class Verdict:
    """The answer to a transaction message as the core needs it."""

    # None: no answer now (offline, timeout); the core carries on (1.6 section 3.5.4).
    status: TokenStatus | None
    # The wire answer, opaque to the core: returned to the UI and the tests.
    reply: Mapping[str, Any] | None = None


__all__ = ["IdToken", "TokenInfo", "TokenStatus", "Verdict"]
