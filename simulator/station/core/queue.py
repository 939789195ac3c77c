"""Transaction-related messages, in order and never lost (OCPP 1.6 section 3.7).

The messages of a transaction's start, updates and end all pass through one queue per station,
as encoded envelopes (action, payload, the station's transaction reference): what is
version-specific about an envelope (1.6's late-bound transactionId) is the adapter's
`QueueCodec`, and which errors mean "refused" or "connection lost" the adapter says too.
Online and with nothing waiting, a message is sent at once by the task that made it; otherwise
it waits, and one sender delivers the queue head first once the CSMS has accepted the station
again. "The delivery of new transaction-related messages SHALL wait until the queue has been
emptied" (3.7): a message never overtakes an older one.

Transactions are known by the station's own reference (`ref`); the codec binds an envelope to
what the CSMS knows at the moment it is sent (in 1.6, a stop queued behind a start that is still
waiting is sent with the transactionId the start's answer brings).

Failures (section 3.7.1, OCPP-J errata 3.3): a CALLERROR is a "failure to process the message";
the message is sent again after TransactionMessageRetryInterval x the failures so far, and
skipped after TransactionMessageAttempts failures. A missing answer is not such a failure: the
CSMS may have processed it, so it is sent again after the retry interval without counting, since
skipping it would lose billing data.

Written ahead and after: a message is sent only once the state holding it is on disk, and the
station acts on its answer (a transactionId, a stop acknowledged) only once the state without it
is, so a process killed at any point neither forgets a message nor sends again one the CSMS
answered (but for the instant between reading the answer and writing it).

The queue is bounded: when full, the oldest meter value that is not a transaction boundary
(Transaction.Begin / Transaction.End values) is dropped and counted (the version may choose
another victim among those, `Admission`). Starts and stops are never dropped, so a queue of
only starts and stops may grow past the bound.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Awaitable, Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

import orjson

from simulator.station.core.tokens import Verdict

if TYPE_CHECKING:
    from collections.abc import Coroutine

DEFAULT_MAX_LENGTH = 1000
# TransactionMessageAttempts / TransactionMessageRetryInterval when a station has no such key.
DEFAULT_ATTEMPTS = 3
DEFAULT_RETRY_INTERVAL = 60


@dataclass(slots=True, eq=False)
class QueuedMessage:
    action: str
    payload: dict[str, Any]  # as the codec left it at `put`: `bind` completes it at sending
    ref: int | None  # the station's reference of the transaction, None: no transaction
    boundary: bool = False  # a start, a stop, or a begin / end meter value: never dropped
    failures: int = 0
    # Set while a caller waits for this message's answer; resolved with the CALLRESULT payload,
    # or None when the message stays queued (offline, no answer, a retry later).
    waiter: asyncio.Future[dict[str, Any] | None] | None = field(default=None, repr=False)
    # The payload as JSON, kept once encoded: every state write encodes the whole queue, which
    # offline grows to a thousand messages (issue 16: 2.0 ms a write encoded anew, 0.19 ms so).
    _encoded: orjson.Fragment | None = field(default=None, repr=False)

    def to_data(self, *, encoded: bool = False) -> list[Any]:
        """The persisted entry; `encoded`: its payload as JSON already (orjson.Fragment), for
        a document orjson encodes."""
        payload: Any = self.payload
        if encoded:
            payload = self._encoded
            if payload is None:
                payload = self._encoded = orjson.Fragment(orjson.dumps(self.payload))
        return [self.action, payload, self.ref, self.boundary, self.failures]

    def payload_changed(self) -> None:
        """The payload was changed in place: encoded again at the next write."""
        self._encoded = None

    @classmethod
    def from_data(cls, data: list[Any]) -> QueuedMessage:
        action, payload, ref, boundary, failures = data
        return cls(str(action), dict(payload), ref, bool(boundary), int(failures))


def admit(entries: deque[QueuedMessage], entry: QueuedMessage, max_length: int) -> int:
    """Append `entry`; when the queue is over `max_length`, drop the oldest droppable messages
    (meter values that are no boundary; never the head, which may be in flight). The count
    dropped."""
    entries.append(entry)
    dropped = 0
    while len(entries) > max_length:
        victim = next(
            (e for i, e in enumerate(entries) if i > 0 and not e.boundary and e is not entry),
            None,
        )
        if victim is None:
            break
        entries.remove(victim)
        _resolve(victim, None)
        dropped += 1
    return dropped


# How a full queue makes room: append the entry, drop what must go, return the count dropped.
Admission = Callable[[deque[QueuedMessage], QueuedMessage, int], int]


class QueueHost(Protocol):
    """What the queue needs of its station (a Protocol so the queue can be tested alone)."""

    def link_up(self) -> bool: ...

    def outgoing_supported(self, action: str) -> bool: ...

    async def call(self, action: str, payload: dict[str, Any]) -> dict[str, Any]: ...

    async def sleep(self, seconds: float) -> None: ...

    def retry_policy(self) -> tuple[int, int]: ...

    async def persisted(self) -> None: ...

    async def answer_persisted(self) -> None: ...

    def queue_changed(self, *, grew: bool) -> None: ...

    def spawn(self, coroutine: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]: ...


class QueueCodec(Protocol):
    """What is version-specific about the envelopes of one station's queue."""

    def bind(self, entry: QueuedMessage) -> dict[str, Any] | None:
        """The payload to send now; None: skip the entry (the CSMS cannot know its
        transaction)."""
        ...

    def answered(
        self,
        entry: QueuedMessage,
        reply: Mapping[str, Any] | None,
        waiting: Collection[QueuedMessage],
    ) -> Verdict | None:
        """Record what `reply` (None: the entry was given up) teaches; `waiting`: the entries
        still queued. A Verdict for an entry whose late answer the station must learn (a
        start: its reply None when the start was skipped), else None."""
        ...

    def as_data(self) -> dict[str, Any]: ...

    def restore(self, data: Mapping[str, Any]) -> None: ...


# A start's answer (its Verdict.reply None: the start was skipped) nobody waited for.
LateAnswer = Callable[[int, Verdict], Awaitable[None]]
Errors = tuple[type[BaseException], ...]


class TransactionQueue:
    def __init__(
        self,
        host: QueueHost,
        codec: QueueCodec,
        *,
        refused: Errors,
        lost: Errors,
        max_length: int = DEFAULT_MAX_LENGTH,
        admission: Admission = admit,
    ) -> None:
        """`refused`: what `host.call` raises when the peer failed to process a message (a
        CALLERROR: counted, retried, skipped); `lost`: when the connection went away;
        `admission`: how a full queue makes room."""
        self._host = host
        self._codec = codec
        self._refused = refused
        self._lost = lost
        self._admit = admission
        self.max_length = max_length
        self.entries: deque[QueuedMessage] = deque()
        self.next_ref = 1
        self.dropped = 0  # meter values dropped because the queue was full
        self.skipped = 0  # messages given up after TransactionMessageAttempts failures
        self.on_late: LateAnswer | None = None
        self._sender: asyncio.Task[None] | None = None
        self._retrying = False
        self._retry_started: asyncio.Future[None] | None = None

    def __len__(self) -> int:
        return len(self.entries)

    def new_ref(self) -> int:
        ref, self.next_ref = self.next_ref, self.next_ref + 1
        return ref

    def transaction_id(self, ref: int) -> int | str | None:
        """The id the CSMS knows the transaction `ref` by, when the station makes it (2.0.1);
        None: the CSMS's answer to the start brings it (1.6)."""
        return None

    def queued_for(self, transaction_id: int | str | None) -> bool:
        """Messages of the transaction the CSMS knows by that id (None: of any) wait to be
        delivered (2.0.1 E14)."""
        if transaction_id is None:
            return bool(self.entries)
        return any(
            entry.ref is not None and self.transaction_id(entry.ref) == transaction_id
            for entry in self.entries
        )

    @property
    def busy(self) -> bool:
        """A sender is at work: a new message queues behind what it sends."""
        return self._sender is not None and not self._sender.done()

    async def submit(
        self,
        action: str,
        payload: dict[str, Any],
        ref: int | None,
        *,
        boundary: bool = False,
        wait: bool = True,
    ) -> dict[str, Any] | None:
        """Queue a message and deliver what waits. With `wait`, return its answer once
        delivered, or None as soon as it stays queued (offline, no answer in time, a retry
        later): the station carries on, and a late answer to a start goes to `on_late`."""
        return await self.deliver(self.put(action, payload, ref, boundary=boundary, wait=wait))

    def put(
        self,
        action: str,
        payload: dict[str, Any],
        ref: int | None,
        *,
        boundary: bool = False,
        wait: bool = False,
    ) -> QueuedMessage:
        """Queue a message without sending anything yet (messages that must stay together).
        An action the template's commandsSupport disables is not queued at all: it would only
        fail, be retried and block the queue; its entry comes back answered None."""
        entry = QueuedMessage(action, payload, ref, boundary)
        if wait:
            entry.waiter = asyncio.get_running_loop().create_future()
        if not self._host.outgoing_supported(action):
            _resolve(entry, None)
            return entry
        self.dropped += self._admit(self.entries, entry, self.max_length)
        self._host.queue_changed(grew=True)
        return entry

    async def deliver(self, entry: QueuedMessage) -> dict[str, Any] | None:
        """Have what waits sent, `entry` included, when the station is online; `entry`'s
        answer when it waited for one (None: not delivered now)."""
        if not self._host.link_up() or self._retrying:
            _resolve(entry, None)  # offline, or behind a retry that waits: carry on
        else:
            self._start_sender()
        if entry.waiter is None:
            return None
        return await entry.waiter

    def resume(self) -> None:
        """The CSMS accepted the station again: deliver what waits."""
        if self.entries:
            self._start_sender()

    async def flush(self) -> None:
        """Until nothing waits that can be sent now: the station is about to go away, and a
        stop made by a task it cancels next must still leave."""
        while self.entries and self._host.link_up() and not self._retrying:
            self._start_sender()
            sender = self._sender
            if sender is None:
                return
            # Until the sender is done, or waits to retry (which may take minutes).
            retrying = self._retry_started = asyncio.get_running_loop().create_future()
            await asyncio.wait({sender, retrying}, return_when=asyncio.FIRST_COMPLETED)
            self._retry_started = None

    def _start_sender(self) -> None:
        # Its own task: a caller cancelled meanwhile (a sampler whose transaction stops)
        # must not cut a delivery short.
        if not self.busy:
            self._sender = self._host.spawn(self._send_queued())

    async def _send_queued(self) -> None:
        host = self._host
        try:
            while self.entries and host.link_up():
                entry = self.entries[0]
                await host.persisted()  # written ahead: a kill now cannot un-send it
                if not self.entries or self.entries[0] is not entry:
                    continue  # dropped meanwhile (queue full)
                payload = self._codec.bind(entry)
                if payload is None:
                    self._remove(entry)
                    self.skipped += 1
                    _resolve(entry, None)
                    continue
                try:
                    response = await host.call(entry.action, payload)
                except self._refused as exc:
                    entry.failures += 1
                    attempts, interval = host.retry_policy()
                    if entry.failures >= max(attempts, 1):
                        self._remove(entry, notify=False)
                        self.skipped += 1
                        if entry.waiter is not None and not entry.waiter.done():
                            self._host.queue_changed(grew=False)
                            entry.waiter.set_exception(exc)  # the caller undoes the start
                        else:
                            verdict = self._record(entry, None)
                            self._host.queue_changed(grew=False)
                            await self._act(entry, None, verdict)
                        continue
                    await self._wait_to_retry(interval * entry.failures)
                    continue
                except TimeoutError:
                    await self._wait_to_retry(host.retry_policy()[1])
                    continue
                except self._lost:
                    return
                # The queue without it, and what its answer changes, in one state.
                self._remove(entry, notify=False)
                verdict = self._record(entry, response)
                self._host.queue_changed(grew=False)
                try:
                    await host.answer_persisted()
                except asyncio.CancelledError:
                    _resolve(entry, response)  # the caller still learns what the CSMS said
                    raise
                await self._act(entry, response, verdict)
        finally:
            self._retrying = False
            self._release_waiters()

    async def _wait_to_retry(self, seconds: float) -> None:
        self._retrying = True
        self._release_waiters()  # nobody is held for the time of a retry
        if self._retry_started is not None and not self._retry_started.done():
            self._retry_started.set_result(None)
        try:
            await self._host.sleep(seconds)
        finally:
            self._retrying = False

    def _release_waiters(self) -> None:
        for waiting in self.entries:
            _resolve(waiting, None)

    def _remove(self, entry: QueuedMessage, *, notify: bool = True) -> None:
        with contextlib.suppress(ValueError):
            self.entries.remove(entry)
        if notify:
            self._host.queue_changed(grew=False)

    def _record(self, entry: QueuedMessage, response: dict[str, Any] | None) -> Verdict | None:
        """What the answer (None: the message was given up) changes in the queue's state."""
        return self._codec.answered(entry, response, self.entries)

    async def _act(
        self, entry: QueuedMessage, response: dict[str, Any] | None, verdict: Verdict | None
    ) -> None:
        """The station learns the answer: its caller, or on_late for a start nobody waits for
        any more."""
        if (
            verdict is not None
            and entry.ref is not None
            and (entry.waiter is None or entry.waiter.done())
            and self.on_late is not None
        ):
            await self.on_late(entry.ref, verdict)
        _resolve(entry, response)

    # -- persistence ----------------------------------------------------------------------

    def as_data(self, *, encoded: bool = False) -> dict[str, Any]:
        """`encoded`: the entries' payloads as JSON already (QueuedMessage.to_data)."""
        # The codec's keys between nextRef and entries: the section keeps its order on disk.
        return {
            "nextRef": self.next_ref,
            **self._codec.as_data(),
            "entries": [entry.to_data(encoded=encoded) for entry in self.entries],
            "dropped": self.dropped,
            "skipped": self.skipped,
        }

    def restore(self, data: dict[str, Any]) -> None:
        self.next_ref = int(data.get("nextRef", 1))
        self._codec.restore(data)
        self.entries = deque(QueuedMessage.from_data(e) for e in data.get("entries", []))
        self.dropped = int(data.get("dropped", 0))
        self.skipped = int(data.get("skipped", 0))


def _resolve(entry: QueuedMessage, response: dict[str, Any] | None) -> None:
    if entry.waiter is not None and not entry.waiter.done():
        entry.waiter.set_result(response)


__all__ = [
    "DEFAULT_ATTEMPTS",
    "DEFAULT_MAX_LENGTH",
    "DEFAULT_RETRY_INTERVAL",
    "Admission",
    "LateAnswer",
    "QueueCodec",
    "QueueHost",
    "QueuedMessage",
    "TransactionQueue",
    "admit",
]
