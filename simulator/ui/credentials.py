"""The UI server's basic credentials: where a request carries them and whether they match."""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Mapping

PROTOCOL_AUTH_PREFIX = "authorization.basic."


def credentials_match(expected: tuple[str, str], user: str, password: str) -> bool:
    # Constant time, so the answer's timing does not leak how much of a guess was right.
    return hmac.compare_digest(user.encode(), expected[0].encode()) & hmac.compare_digest(
        password.encode(), expected[1].encode()
    )


def _decode_pair(token: str, urlsafe: bool) -> tuple[str, str] | None:
    padded = token + "=" * (-len(token) % 4)
    try:
        raw = base64.urlsafe_b64decode(padded) if urlsafe else base64.b64decode(padded)
        user, _, password = raw.decode().partition(":")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    return user, password


def header_credentials(authorization: str) -> tuple[str, str] | None:
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "basic":
        return None
    return _decode_pair(token.strip(), urlsafe=False)


def request_credentials(headers: Mapping[str, str], protocol_auth: bool) -> tuple[str, str] | None:
    """basic-auth: the Authorization header. protocol-basic-auth: a second subprotocol
    `authorization.basic.<base64url(user:password)>`, since browsers cannot set headers."""
    if protocol_auth:
        offered = headers.get("Sec-WebSocket-Protocol", "")
        for item in (p.strip() for p in offered.split(",")):
            if item.startswith(PROTOCOL_AUTH_PREFIX):
                return _decode_pair(item[len(PROTOCOL_AUTH_PREFIX) :], urlsafe=True)
        return None
    return header_credentials(headers.get("Authorization", ""))
