"""GetTransactionStatus (Part 2 E14, 1.27): whether a transaction is still ongoing and whether
transaction-related messages still wait in the station's queue."""

from __future__ import annotations

from typing import Any, Protocol


class TransactionMessages(Protocol):
    """The station's queue as E14 reads it (core/queue.py; 2.0.1: queue_codec.py)."""

    def queued_for(self, transaction_id: int | str | None) -> bool: ...


class TransactionsView(Protocol):
    @property
    def queue(self) -> TransactionMessages: ...

    def transaction_connector(self, transaction_id: int | str) -> int | None: ...


class TransactionStatusStation(Protocol):
    @property
    def transactions(self) -> TransactionsView: ...


async def get_transaction_status(
    station: TransactionStatusStation, payload: dict[str, Any]
) -> dict[str, Any]:
    """With a transactionId: ongoingIndicator (E14.FR.01-03: false for one the station never
    had or has ended) and messagesInQueue of that transaction (E14.FR.04/05); without: no
    ongoingIndicator (E14.FR.06), messagesInQueue of any transaction (E14.FR.07/08)."""
    transactions = station.transactions
    transaction_id = payload.get("transactionId")
    if transaction_id is None:
        return {"messagesInQueue": transactions.queue.queued_for(None)}
    transaction_id = str(transaction_id)
    return {
        "ongoingIndicator": transactions.transaction_connector(transaction_id) is not None,
        "messagesInQueue": transactions.queue.queued_for(transaction_id),
    }


__all__ = [
    "TransactionMessages",
    "TransactionStatusStation",
    "TransactionsView",
    "get_transaction_status",
]
