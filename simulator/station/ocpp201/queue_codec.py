"""The OCPP 2.0.1 envelopes of the transaction queue (Part 2 E 1.2, 1.3; E04, E11-E13).

What the CSMS knows a transaction by is the station's own: a transactionId made when the
transaction opens (a UUID4 from the system's randomness, never the station's seeded generator,
which would replay the same ids after a restart: E01.FR.08) and kept, with the transaction's
next seqNo and last reported chargingState, in the queue's persisted state per reference. Each
event is numbered when it is made (put): seqNo 0 for the first, +1 for each next (Part 2
1.3.2.1, E01.FR.07), so a retry, a reconnect or a restart resends the number the event had.
Nothing is late-bound: `bind` sends the payload as made, but for its offline flag.

Offline (E04.FR.03, E11.FR.02/07, E12.FR.02): an event made while the link was down says
offline: true from the start; one made online that is still queued when the link went down
(sent on a later connection, or after a restart) says so too.

Bounded (E04.FR.07/08): when the queue is full while offline, Updated events that carry
nothing but meter values are dropped, intermediate ones first (the 1st, the 3rd, the 5th...
of those between a transaction's first and last queued events), never a Started, an Ended
nor an Updated that reports an authorization, a token or a change of charging state; each
drop is counted (`dropped`). Online nothing is dropped (the queue drains, or waits out a
retry). A drop's seqNo stays a gap the CSMS sees between two offline events: it learns from
the numbers which events it will never get (1.3.2), and GetTransactionStatus (E14) tells it
whether more are still queued.

Retries (E13): a CALLERROR and a missing answer within the message timeout are both a failure
to process the message (E13 remark); the core's queue waits MessageAttemptInterval x the
failures so far and gives the event up after MessageAttempts failures (E13.FR.02-04).
"""

from __future__ import annotations

import uuid
from collections import deque
from collections.abc import Callable, Collection, Mapping
from typing import Any

from simulator.station.core.queue import DEFAULT_MAX_LENGTH, QueuedMessage, QueueHost
from simulator.station.core.queue import TransactionQueue as CoreQueue
from simulator.station.core.token_data import status_of
from simulator.station.core.tokens import TokenStatus, Verdict
from simulator.station.rpc import CallFailed, ConnectionLost

TRANSACTION_EVENT = "TransactionEvent"
# A private key of an envelope made online: the link it was made on, dropped before sending.
_LINK = "_link"
_AUTHORIZING = frozenset({"Authorized", "RemoteStart"})
# A missing answer is a failure too (E13 remark), unlike 1.6's section 3.7.1.
_REFUSED = (CallFailed, TimeoutError)
_LOST = (ConnectionLost,)


def new_transaction_id() -> str:
    return str(uuid.uuid4())


def token_status(info: Mapping[str, Any]) -> TokenStatus:
    """IdTokenInfo.status (2.31); one 2.0.1 does not define counts as not accepted."""
    return status_of(info.get("status"))


def authorizes(payload: Mapping[str, Any]) -> bool:
    """The event carries an authorization of its transaction (E01.FR.10, E02.FR.01)."""
    return "idToken" in payload and payload.get("triggerReason") in _AUTHORIZING


class QueueCodec201:
    """The queue's 2.0.1 state: per open transaction its id, next seqNo and chargingState."""

    __slots__ = ("_link", "_new_id", "_open")

    def __init__(self, link: Callable[[], int], new_id: Callable[[], str]) -> None:
        self._link = link
        self._new_id = new_id
        # ref -> [transactionId, next seqNo, last chargingState sent ("" none)]
        self._open: dict[int, list[Any]] = {}

    def open(self, ref: int) -> str:
        """The transaction `ref`'s id, made now if it has none."""
        record = self._open.get(ref)
        if record is None:
            record = self._open[ref] = [self._new_id(), 0, ""]
        return str(record[0])

    def transaction_id(self, ref: int) -> str | None:
        record = self._open.get(ref)
        return str(record[0]) if record is not None else None

    def forget(self, ref: int) -> None:
        """A transaction that never was (its start given up while the caller waited)."""
        self._open.pop(ref, None)

    def next_event(self, ref: int, state: str | None, *, last: bool) -> tuple[str, int, str | None]:
        """Number the transaction's next event: its transactionId, its seqNo, and the
        chargingState to report (None: unchanged, E02.FR.13 reports changes). `last`: the
        Ended event, after which the transaction is no longer open."""
        self.open(ref)
        record = self._open[ref]
        seq_no = int(record[1])
        record[1] = seq_no + 1
        changed = state if state is not None and state != record[2] else None
        if changed is not None:
            record[2] = changed
        if last:
            del self._open[ref]
        return str(record[0]), seq_no, changed

    def stamp(self, payload: dict[str, Any]) -> None:
        """Mark an envelope made online with the link it is made on (see `bind`)."""
        payload[_LINK] = self._link()

    def bind(self, entry: QueuedMessage) -> dict[str, Any] | None:
        payload = entry.payload
        if _LINK not in payload:
            return payload
        sent = {key: value for key, value in payload.items() if key != _LINK}
        if payload[_LINK] != self._link():
            sent["offline"] = True  # queued while the link went down (E11.FR.07)
        return sent

    def answered(
        self,
        entry: QueuedMessage,
        reply: Mapping[str, Any] | None,
        waiting: Collection[QueuedMessage],
    ) -> Verdict | None:
        """The verdict on an authorization the station must learn late (its caller went
        on); a message given up teaches nothing: its transaction goes on (unlike 1.6, the CSMS
        needs no answer of ours to know the transaction's id)."""
        if reply is None or entry.ref is None or not authorizes(entry.payload):
            return None
        info = reply.get("idTokenInfo")
        return Verdict(token_status(info), reply) if isinstance(info, Mapping) else None

    def went_offline(self, entries: Collection[QueuedMessage]) -> None:
        """Every envelope queued now is sent offline (a restart: the station was)."""
        for entry in entries:
            if entry.payload.pop(_LINK, None) is not None:
                entry.payload["offline"] = True
                entry.payload_changed()

    def as_data(self) -> dict[str, Any]:
        return {"transactions201": [[ref, *record] for ref, record in self._open.items()]}

    def restore(self, data: Mapping[str, Any]) -> None:
        self._open = {
            int(ref): [str(tid), int(seq), str(state)]
            for ref, tid, seq, state in data.get("transactions201", [])
        }


def _intermediate(entries: deque[QueuedMessage], new: QueuedMessage) -> list[int]:
    """Indexes of the entries a full queue may drop: meter-value updates (no boundary), not
    the one being added, with an older and a newer event of their transaction queued behind
    the head (which may have been sent already), so the gap each drop leaves lies between two
    events the CSMS will first get offline-flagged, as its check of drops wants."""
    first: dict[int | None, int] = {}
    last: dict[int | None, int] = {}
    for i, entry in enumerate(entries):
        if i > 0:
            first.setdefault(entry.ref, i)
            last[entry.ref] = i
    return [
        i
        for i, entry in enumerate(entries)
        if i > 0
        and entry is not new
        and not entry.boundary
        and first[entry.ref] < i < last[entry.ref]
    ]


class Thinning:
    """How a full 2.0.1 queue makes room (E04.FR.07/08): only while the station is offline,
    the intermediate meter-value updates are thinned out evenly, the 1st, the 3rd, the 5th of
    them... then again from the first, so what is left still spans the outage. Online, nothing is
    dropped: the queue drains, or waits for a retry a bounded time, growing past the bound."""

    __slots__ = ("_cursor", "_offline")

    def __init__(self, offline: Callable[[], bool]) -> None:
        self._offline = offline
        self._cursor = 0

    def __call__(self, entries: deque[QueuedMessage], entry: QueuedMessage, limit: int) -> int:
        entries.append(entry)
        dropped = 0
        while len(entries) > limit and self._offline():
            candidates = _intermediate(entries, entry)
            if not candidates:
                break
            pick = self._cursor if self._cursor < len(candidates) else 0
            victim = entries[candidates[pick]]
            del entries[candidates[pick]]
            if victim.waiter is not None and not victim.waiter.done():
                victim.waiter.set_result(None)
            self._cursor = pick + 1
            dropped += 1
        return dropped


class TransactionQueue201(CoreQueue):
    """The queue of a 2.0.1 station: its codec, its admission, the OCPP-J session's errors.
    `link`: the number of the station's current connection (any count that changes with
    each new connection; a station's `connections`)."""

    def __init__(
        self,
        host: QueueHost,
        *,
        link: Callable[[], int],
        max_length: int = DEFAULT_MAX_LENGTH,
        new_id: Callable[[], str] = new_transaction_id,
    ) -> None:
        self.codec = QueueCodec201(link, new_id)
        super().__init__(
            host,
            self.codec,
            refused=_REFUSED,
            lost=_LOST,
            max_length=max_length,
            admission=Thinning(lambda: not host.link_up()),
        )

    def new_ref(self) -> int:
        ref = super().new_ref()
        self.codec.open(ref)  # the id exists from the start: the CSMS may ask for it (E14)
        return ref

    def transaction_id(self, ref: int) -> str | None:
        return self.codec.transaction_id(ref)

    def queued_for(self, transaction_id: int | str | None) -> bool:
        """Messages of that transaction (None: of any) wait to be delivered (E14.FR.04-08),
        its Ended included: read from the envelopes, which keep the id after the end."""
        if transaction_id is None:
            return bool(self.entries)
        return any(
            entry.payload.get("transactionInfo", {}).get("transactionId") == transaction_id
            for entry in self.entries
        )

    def restore(self, data: dict[str, Any]) -> None:
        super().restore(data)
        self.codec.went_offline(self.entries)


__all__ = [
    "TRANSACTION_EVENT",
    "QueueCodec201",
    "Thinning",
    "TransactionQueue201",
    "authorizes",
    "new_transaction_id",
    "token_status",
]
