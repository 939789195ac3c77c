"""OCPP 2.0.1 IdTokenType and IdTokenInfoType (Part 2 data types 2.27, 2.28, 3.43) to the
core's tokens and back.

The core keys its list and cache by the token's value; the type travels with the `IdToken`
to the messages that carry one (AuthorizeRequest, TransactionEventRequest). Statuses 1.6 has
not (NoCredit, NotAllowedTypeEVSE, NotAtThisLocation, NotAtThisTime, Unknown) are the core's
`TokenStatus` members of the same name: not Accepted, so not valid, and kept as named in the
cache and list."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from simulator.station.core.authorization import ListEntry
from simulator.station.core.token_data import expiry_of, status_of
from simulator.station.core.tokens import IdToken, TokenInfo

CENTRAL = "Central"  # made by the CSMS: neither authorized nor cached (C05.FR.01/02)
NO_AUTHORIZATION = "NoAuthorization"  # a start button: nothing to authorize (C02)


def id_token(data: Mapping[str, Any]) -> IdToken:
    """An IdTokenType the CSMS sent (RequestStartTransaction, SendLocalList, ReserveNow)."""
    return IdToken(str(data["idToken"]), str(data["type"]))


def id_token_type(token: IdToken) -> dict[str, Any]:
    """The IdTokenType of a token: its value and type (additionalInfo is never sent)."""
    return {"idToken": token.value, "type": token.type}


def token_info(id_token_info: Mapping[str, Any]) -> TokenInfo:
    """An IdTokenInfoType the CSMS sent. Its cacheExpiryDateTime is when the entry stops being
    valid in the cache or list (C10.FR.13); the group is the groupIdToken's value (two tokens
    are of a group when these match, section C 1.2); the evseId list the EVSEs it may charge
    at (C01.FR.20). An unreadable expiry is left out and a status of no version reads as
    Invalid, as for 1.6: either only gets past a station without schema checks."""
    group = id_token_info.get("groupIdToken")
    return TokenInfo(
        status_of(id_token_info.get("status")),
        expiry=expiry_of(id_token_info.get("cacheExpiryDateTime")),
        group=str(group["idToken"]) if group else None,
        evse_ids=tuple(int(evse) for evse in id_token_info.get("evseId") or ()),
    )


def list_entry(entry: Mapping[str, Any]) -> ListEntry:
    """A SendLocalListRequest AuthorizationData: without idTokenInfo, a deletion (D01.FR.17)."""
    info = entry.get("idTokenInfo")
    return str(entry["idToken"]["idToken"]), token_info(info) if info is not None else None


__all__ = [
    "CENTRAL",
    "NO_AUTHORIZATION",
    "id_token",
    "id_token_type",
    "list_entry",
    "token_info",
]
