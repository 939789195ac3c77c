"""The OCPP 1.6 envelopes of the transaction queue (section 3.7): the late-bound transactionId.

A transaction is known by the station's own reference until the CSMS's transactionId arrives
with the StartTransaction.conf: a StopTransaction or MeterValues queued behind a start that is
still waiting is sent with the id the CSMS returns once the start is delivered. A start the
CSMS kept refusing leaves its transaction without an id: what follows of it is skipped, since
the CSMS has no such transaction.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from simulator.station.core.queue import (
    DEFAULT_MAX_LENGTH,
    QueuedMessage,
    QueueHost,
    TransactionQueue,
)
from simulator.station.core.tokens import TokenStatus, Verdict
from simulator.station.rpc import CallFailed, ConnectionLost

START = "StartTransaction"
STOP = "StopTransaction"
METER_VALUES = "MeterValues"

_STATUSES = {status.value: status for status in TokenStatus}
# Shared by every station's queue.
_REFUSED = (CallFailed,)
_LOST = (ConnectionLost,)


def token_status(reply: Mapping[str, Any]) -> TokenStatus:
    """idTagInfo.status (section 7.15) of an answer that has one; a status 1.6 does not know
    counts as not accepted, as any status but Accepted does."""
    return _STATUSES.get(reply["idTagInfo"]["status"], TokenStatus.INVALID)


class QueueCodec16:
    __slots__ = ("_stopped", "transaction_ids")

    def __init__(self) -> None:
        # ref -> the CSMS's transactionId, from the start's delivery until the stop's.
        self.transaction_ids: dict[int, int] = {}
        self._stopped: set[int] = set()  # delivered stops whose ids later messages may need

    def bind(self, entry: QueuedMessage) -> dict[str, Any] | None:
        if entry.action == START or entry.ref is None:
            return entry.payload
        transaction_id = self.transaction_ids.get(entry.ref)
        if transaction_id is None:
            return None  # its start was skipped: the CSMS has no such transaction
        return {**entry.payload, "transactionId": transaction_id}

    def answered(
        self,
        entry: QueuedMessage,
        reply: Mapping[str, Any] | None,
        waiting: Collection[QueuedMessage],
    ) -> Verdict | None:
        verdict: Verdict | None = None
        if entry.action == START and entry.ref is not None:
            if reply is not None:
                self.transaction_ids[entry.ref] = int(reply["transactionId"])
                verdict = Verdict(token_status(reply), reply)
            else:
                verdict = Verdict(None, None)
        elif entry.action == STOP and entry.ref is not None:
            self._stopped.add(entry.ref)
        if entry.ref in self._stopped and all(e.ref != entry.ref for e in waiting):
            # Nothing of the transaction left to send (outOfOrderEndMeterValues may follow
            # its stop): its id is no longer needed.
            self._stopped.discard(entry.ref)
            self.transaction_ids.pop(entry.ref, None)
        return verdict

    def as_data(self) -> dict[str, Any]:
        return {
            "transactionIds": [[ref, tid] for ref, tid in self.transaction_ids.items()],
            "stopped": sorted(self._stopped),
        }

    def restore(self, data: Mapping[str, Any]) -> None:
        self.transaction_ids = {int(r): int(t) for r, t in data.get("transactionIds", [])}
        self._stopped = {int(r) for r in data.get("stopped", [])}


class TransactionQueue16(TransactionQueue):
    """The queue of a 1.6 station: its codec, and the OCPP-J session's errors."""

    def __init__(self, host: QueueHost, *, max_length: int = DEFAULT_MAX_LENGTH) -> None:
        self.codec = QueueCodec16()
        super().__init__(host, self.codec, refused=_REFUSED, lost=_LOST, max_length=max_length)

    @property
    def transaction_ids(self) -> dict[int, int]:
        return self.codec.transaction_ids


__all__ = [
    "METER_VALUES",
    "START",
    "STOP",
    "QueueCodec16",
    "TransactionQueue16",
    "token_status",
]
