"""What a start or stop refused by the station's own state raises, in every version."""

from __future__ import annotations


class TransactionError(Exception):
    """A start or stop the connector's state does not allow."""


class NotAuthorized(TransactionError):
    """The token may not start a transaction (the CSMS's answer, the local list or cache)."""


__all__ = ["NotAuthorized", "TransactionError"]
