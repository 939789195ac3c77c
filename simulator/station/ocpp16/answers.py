"""What a 1.6 answer says, for the code outside this package that only needs its verdict."""

from __future__ import annotations

from typing import Any

_ACCEPTED = "Accepted"


def start_refusal(reply: dict[str, Any]) -> str | None:
    """Why the CSMS refused a StartTransaction.conf's idTag ("StartTransaction: Invalid"), or
    None when it accepted it."""
    status = reply["idTagInfo"]["status"]
    return None if status == _ACCEPTED else f"StartTransaction: {status}"


__all__ = ["start_refusal"]
