"""The transaction message queue alone (OCPP 1.6 sections 3.7 and 3.7.1), against a fake peer."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Coroutine
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from simulator.station.core.queue import QueuedMessage, admit
from simulator.station.frames import CallError
from simulator.station.ocpp16.queue_codec import METER_VALUES, START, STOP
from simulator.station.ocpp16.queue_codec import TransactionQueue16 as TransactionQueue
from simulator.station.rpc import CallFailed, ConnectionLost
from tests.virtual_clock import VirtualClock


class FakeHost:
    """A station as the queue sees it; the CSMS answers from a script of outcomes."""

    def __init__(self, clock: VirtualClock, *, attempts: int = 3, interval: int = 60) -> None:
        self.clock = clock
        self.online = True
        self.attempts = attempts
        self.interval = interval
        self.sent: list[tuple[str, dict[str, Any], float]] = []
        # Per call, in order: "ok", "error", "timeout", "lost"; "ok" once the script ends.
        self.script: deque[str] = deque()
        self.events: list[str] = []
        self.disabled: set[str] = set()  # actions commandsSupport turns off
        self.answers_persisted = 0
        self._next_transaction = 100

    def link_up(self) -> bool:
        return self.online

    def outgoing_supported(self, action: str) -> bool:
        return action not in self.disabled

    async def call(self, action: str, payload: dict[str, Any]) -> dict[str, Any]:
        self.events.append(f"call {action}")
        outcome = self.script.popleft() if self.script else "ok"
        if outcome == "lost":
            self.online = False
            raise ConnectionLost(action)
        if outcome == "timeout":
            raise TimeoutError(action)
        self.sent.append((action, payload, self.clock.monotonic()))
        if outcome == "error":
            raise CallFailed(action, CallError("1", "InternalError", "not processed"))
        if action == START:
            self._next_transaction += 1
            return {"transactionId": self._next_transaction, "idTagInfo": {"status": "Accepted"}}
        return {}

    async def sleep(self, seconds: float) -> None:
        await self.clock.sleep(seconds)

    def retry_policy(self) -> tuple[int, int]:
        return self.attempts, self.interval

    async def persisted(self) -> None:
        self.events.append("persisted")

    async def answer_persisted(self) -> None:
        self.answers_persisted += 1

    def queue_changed(self, *, grew: bool) -> None:
        pass

    def spawn(self, coroutine: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        return asyncio.ensure_future(coroutine)

    def actions(self) -> list[str]:
        return [action for action, _, _ in self.sent]


def meter_values(value: int) -> dict[str, Any]:
    return {
        "connectorId": 1,
        "meterValue": [{"timestamp": "t", "sampledValue": [{"value": str(value)}]}],
    }


async def test_online_with_nothing_waiting_a_message_is_sent_at_once() -> None:
    host = FakeHost(VirtualClock())
    queue = TransactionQueue(host)
    response = await queue.submit(START, {"connectorId": 1}, queue.new_ref())
    assert response is not None and response["transactionId"] == 101
    assert host.actions() == [START] and len(queue) == 0


async def test_offline_messages_wait_and_are_delivered_in_order_once_accepted_again() -> None:
    """Section 3.7: queued while offline, delivered in chronological order."""
    clock = VirtualClock()
    host = FakeHost(clock)
    host.online = False
    queue = TransactionQueue(host)
    ref = queue.new_ref()
    assert await queue.submit(START, {"connectorId": 1}, ref, boundary=True) is None
    await queue.submit(METER_VALUES, meter_values(1), ref, wait=False)
    await queue.submit(STOP, {"meterStop": 5}, ref, boundary=True)
    assert host.sent == [] and len(queue) == 3
    host.online = True
    queue.resume()
    await clock.run_for(1)
    assert host.actions() == [START, METER_VALUES, STOP]


async def test_a_stop_queued_behind_its_start_carries_the_id_the_start_got() -> None:
    """The StopTransaction of an offline transaction uses the transactionId of the
    StartTransaction.conf that arrives once the start is delivered (issue 5)."""
    clock = VirtualClock()
    host = FakeHost(clock)
    host.online = False
    queue = TransactionQueue(host)
    ref = queue.new_ref()
    await queue.submit(START, {"connectorId": 1}, ref, boundary=True)
    await queue.submit(METER_VALUES, meter_values(1), ref, wait=False)
    await queue.submit(STOP, {"meterStop": 5}, ref, boundary=True)
    host.online = True
    queue.resume()
    await clock.run_for(1)
    assert [payload.get("transactionId") for _, payload, _ in host.sent] == [None, 101, 101]


async def test_a_message_the_csms_fails_to_process_is_retried_after_growing_intervals() -> None:
    """Section 3.7.1's example: TransactionMessageAttempts 3, RetryInterval 60: sent, then again
    after 60 s, then after 120 s, then skipped; the next message follows."""
    clock = VirtualClock()
    host = FakeHost(clock, attempts=3, interval=60)
    host.script.extend(["error", "error", "error"])
    queue = TransactionQueue(host)
    host.online = False
    await queue.submit(START, {"connectorId": 1}, None, boundary=True)
    await queue.submit(METER_VALUES, meter_values(1), None, wait=False)
    host.online = True
    queue.resume()
    await clock.run_for(1000)
    assert [(action, at) for action, _, at in host.sent] == [
        (START, 0.0),
        (START, 60.0),
        (START, 180.0),
        (METER_VALUES, 180.0),
    ]
    assert queue.skipped == 1 and len(queue) == 0


async def test_messages_of_a_transaction_whose_start_was_skipped_are_skipped_too() -> None:
    """The CSMS never accepted the start: it has no transaction a stop could name."""
    clock = VirtualClock()
    host = FakeHost(clock, attempts=1)
    host.script.append("error")
    host.online = False
    queue = TransactionQueue(host)
    ref = queue.new_ref()
    await queue.submit(START, {"connectorId": 1}, ref, boundary=True)
    await queue.submit(STOP, {"meterStop": 5}, ref, boundary=True)
    host.online = True
    queue.resume()
    await clock.run_for(10)
    assert host.actions() == [START] and queue.skipped == 2 and len(queue) == 0


async def test_a_missing_answer_is_retried_without_counting_as_a_failure() -> None:
    """OCPP-J errata 3.3: only a CALLERROR is a failure to process; a lost answer is sent again
    (the CSMS may have it) however often, so no billing message is skipped for it."""
    clock = VirtualClock()
    host = FakeHost(clock, attempts=1, interval=10)
    host.script.extend(["timeout", "timeout", "timeout"])
    queue = TransactionQueue(host)
    assert await queue.submit(STOP, {"meterStop": 5}, None, boundary=True) is None
    await clock.run_for(100)
    assert host.actions() == [STOP] and queue.skipped == 0 and len(queue) == 0


async def test_a_connection_lost_mid_send_keeps_the_message_for_the_next_connection() -> None:
    clock = VirtualClock()
    host = FakeHost(clock)
    host.script.append("lost")
    queue = TransactionQueue(host)
    assert await queue.submit(STOP, {"meterStop": 5}, None, boundary=True) is None
    assert len(queue) == 1 and host.sent == []
    host.online = True
    queue.resume()
    await clock.run_for(1)
    assert host.actions() == [STOP] and len(queue) == 0


async def test_a_new_message_waits_behind_a_retry_and_does_not_overtake_it() -> None:
    """Section 3.7: new transaction messages SHALL wait until the queue is emptied."""
    clock = VirtualClock()
    host = FakeHost(clock, interval=30)
    host.script.append("error")
    queue = TransactionQueue(host)
    await queue.submit(START, {"connectorId": 1}, None, boundary=True)
    assert await queue.submit(STOP, {"meterStop": 1}, None, boundary=True) is None
    assert host.actions() == [START]  # only the failed first attempt so far
    await clock.run_for(31)
    assert host.actions() == [START, START, STOP]


@pytest.mark.key("stateWriteAhead")
async def test_each_message_is_on_disk_before_it_is_sent() -> None:
    """Written ahead: a station killed after sending still has what it sent."""
    clock = VirtualClock()
    host = FakeHost(clock)
    queue = TransactionQueue(host)
    await queue.submit(START, {"connectorId": 1}, queue.new_ref())
    await queue.submit(METER_VALUES, meter_values(1), None, wait=False)
    await clock.run_for(1)
    assert host.events == ["persisted", f"call {START}", "persisted", f"call {METER_VALUES}"]


class DiskWatchingHost(FakeHost):
    """Records, each time the queue waits for its state after an answer to be on disk, that
    state and whether the caller already had the answer."""

    queue: TransactionQueue
    waiter: asyncio.Future[dict[str, Any] | None] | None = None

    def __init__(self, clock: VirtualClock) -> None:
        super().__init__(clock)
        self.on_disk: list[tuple[dict[str, Any], bool]] = []

    async def answer_persisted(self) -> None:
        known = self.waiter is not None and self.waiter.done()
        self.on_disk.append((self.queue.as_data(), known))


async def test_an_answered_start_is_on_disk_without_it_before_the_caller_learns_its_id() -> None:
    """Issue 18: the state without the start and with its transactionId is written before the
    station acts on the answer, so a kill after that never sends the start again."""
    host = DiskWatchingHost(VirtualClock())
    queue = host.queue = TransactionQueue(host)
    ref = queue.new_ref()
    entry = queue.put(START, {"connectorId": 1}, ref, boundary=True, wait=True)
    host.waiter = entry.waiter
    response = await queue.deliver(entry)
    assert response is not None
    state, caller_knew = host.on_disk[0]
    assert state["entries"] == [] and state["transactionIds"] == [[ref, 101]]
    assert caller_knew is False


async def test_an_answered_stop_is_on_disk_without_it_before_the_caller_learns_it() -> None:
    host = DiskWatchingHost(VirtualClock())
    queue = host.queue = TransactionQueue(host)
    ref = queue.new_ref()
    await queue.submit(START, {"connectorId": 1}, ref, boundary=True)
    stop = queue.put(STOP, {"meterStop": 5}, ref, boundary=True, wait=True)
    host.waiter = stop.waiter
    await queue.deliver(stop)
    state, caller_knew = host.on_disk[-1]
    assert state["entries"] == [] and state["transactionIds"] == []
    assert caller_knew is False


@pytest.mark.key("transactionQueueMaxLength")
async def test_a_full_queue_drops_the_oldest_meter_values_and_counts_them() -> None:
    host = FakeHost(VirtualClock())
    host.online = False
    queue = TransactionQueue(host, max_length=3)
    ref = queue.new_ref()
    await queue.submit(START, {"connectorId": 1}, ref, boundary=True)
    for value in range(4):
        await queue.submit(METER_VALUES, meter_values(value), ref, wait=False)
    await queue.submit(STOP, {"meterStop": 5}, ref, boundary=True)
    kept = [
        (e.action, e.payload.get("meterValue", [{}])[0].get("sampledValue")) for e in queue.entries
    ]
    assert kept == [(START, None), (METER_VALUES, [{"value": "3"}]), (STOP, None)]
    assert queue.dropped == 3


async def test_the_queue_survives_a_restart_through_its_persisted_form() -> None:
    clock = VirtualClock()
    host = FakeHost(clock)
    host.online = False
    queue = TransactionQueue(host)
    ref = queue.new_ref()
    await queue.submit(START, {"connectorId": 1}, ref, boundary=True)
    await queue.submit(STOP, {"meterStop": 5}, ref, boundary=True)
    restored = TransactionQueue(host)
    restored.restore(queue.as_data())
    assert restored.new_ref() == ref + 1
    host.online = True
    restored.resume()
    await clock.run_for(1)
    assert [(a, p.get("transactionId")) for a, p, _ in host.sent] == [(START, None), (STOP, 101)]


async def test_an_out_of_order_end_value_after_the_stop_still_gets_the_transaction_id() -> None:
    """outOfOrderEndMeterValues: the Transaction.End values follow the stop of their
    transaction, and need its id all the same."""
    host = FakeHost(VirtualClock())
    queue = TransactionQueue(host)
    ref = queue.new_ref()
    await queue.submit(START, {"connectorId": 1}, ref, boundary=True)
    stop = queue.put(STOP, {"meterStop": 5}, ref, boundary=True, wait=True)
    queue.put(METER_VALUES, meter_values(5), ref, boundary=True)
    await queue.deliver(stop)
    assert [(a, p.get("transactionId")) for a, p, _ in host.sent] == [
        (START, None),
        (STOP, 101),
        (METER_VALUES, 101),
    ]
    assert queue.transaction_ids == {}


entry_kinds = st.lists(st.sampled_from(["start", "stop", "begin", "sample"]), max_size=60)


@given(kinds=entry_kinds, max_length=st.integers(min_value=1, max_value=10))
def test_admitting_never_drops_a_boundary_and_keeps_the_order(
    kinds: list[str], max_length: int
) -> None:
    entries: deque[QueuedMessage] = deque()
    made = []
    dropped = 0
    for index, kind in enumerate(kinds):
        action = {"start": START, "stop": STOP}.get(kind, METER_VALUES)
        entry = QueuedMessage(action, {"n": index}, 1, boundary=kind != "sample")
        made.append(entry)
        dropped += admit(entries, entry, max_length)
    boundaries = [e for e in made if e.boundary]
    assert all(e in entries for e in boundaries)
    order = [e.payload["n"] for e in entries]
    assert order == sorted(order)
    assert dropped == len(made) - len(entries)
    droppable = [e for i, e in enumerate(entries) if i > 0 and not e.boundary]
    assert len(entries) <= max_length or not droppable or droppable == [entries[-1]]


def test_queued_messages_round_trip_through_json_data() -> None:
    entry = QueuedMessage(STOP, {"meterStop": 5}, 7, boundary=True, failures=2)
    again = QueuedMessage.from_data(entry.to_data())
    assert (again.action, again.payload, again.ref, again.boundary, again.failures) == (
        STOP,
        {"meterStop": 5},
        7,
        True,
        2,
    )


@pytest.mark.parametrize("attempts", [0, 1])
async def test_with_one_attempt_or_fewer_a_failed_message_is_skipped_at_once(attempts: int) -> None:
    clock = VirtualClock()
    host = FakeHost(clock, attempts=attempts)
    host.script.append("error")
    queue = TransactionQueue(host)
    await queue.submit(METER_VALUES, meter_values(1), None, wait=False)
    await clock.run_for(1)
    assert queue.skipped == 1 and len(queue) == 0


async def test_flushing_before_a_close_sends_what_it_can_and_does_not_wait_out_a_retry() -> None:
    """A station about to close sends its queue; a message due for a retry minutes later stays
    queued (and persisted) instead of holding the close."""
    clock = VirtualClock()
    host = FakeHost(clock, interval=600)
    host.script.extend(["ok", "error"])
    queue = TransactionQueue(host)
    host.online = False
    await queue.submit(START, {"connectorId": 1}, None, boundary=True)
    await queue.submit(STOP, {"meterStop": 1}, None, boundary=True)
    host.online = True
    await asyncio.wait_for(queue.flush(), 5)
    assert host.actions() == [START, STOP] and len(queue) == 1  # the stop waits to retry
    assert queue.busy
    await clock.run_for(601)
    assert host.actions() == [START, STOP, STOP] and len(queue) == 0


async def test_an_action_the_station_does_not_send_is_not_queued() -> None:
    """commandsSupport off for StopTransaction: the stop is not queued, so it cannot fail, be
    retried and hold the messages behind it."""
    clock = VirtualClock()
    host = FakeHost(clock)
    host.disabled.add(STOP)
    queue = TransactionQueue(host)
    assert await queue.submit(STOP, {"meterStop": 1}, None, boundary=True) is None
    await queue.submit(METER_VALUES, meter_values(1), None, wait=False)
    await clock.run_for(1)
    assert host.actions() == [METER_VALUES] and len(queue) == 0
