"""The never-lost queue of a 2.0.1 station (ocpp201/queue_codec.py over core/queue.py):
offline events, retries (E13), the bound (E04.FR.07/08) and a restart."""

from __future__ import annotations

from collections import deque

import pytest

from simulator.station.core.queue import QueuedMessage
from simulator.station.ocpp201.queue_codec import Thinning, TransactionQueue201
from tests.ocpp201.tx_harness import Station, delivered, make_tx201, triggers
from tests.virtual_clock import VirtualClock

pytestmark = pytest.mark.timeout(10)


async def test_events_made_offline_are_queued_and_sent_in_order_after_the_link_E04_FR_02() -> None:
    tx = make_tx201()
    tx.go_offline()
    await tx.transactions.begin(1, "TAG-A")
    await tx.settle(130)
    await tx.transactions.stop(1)
    assert tx.station.events() == []
    tx.go_online()
    await tx.settle()
    events = tx.station.events()
    assert [(e["eventType"], e["seqNo"]) for e in events] == [
        ("Started", 0),
        ("Updated", 1),
        ("Updated", 2),
        ("Ended", 3),
    ]
    await tx.close()


async def test_events_made_offline_say_offline_true_E04_FR_03() -> None:
    tx = make_tx201()
    await tx.transactions.begin(1, "TAG-A")
    tx.go_offline()
    await tx.settle(65)
    tx.go_online()
    await tx.transactions.stop(1)
    await tx.settle()
    assert [event.get("offline", False) for event in tx.station.events()] == [False, True, False]
    await tx.close()


async def test_an_event_still_queued_when_the_link_went_down_is_sent_offline_E11_FR_07() -> None:
    tx = make_tx201()
    tx.station.script = ["lost"]  # the Started never reaches the CSMS on this link
    await tx.transactions.begin(1, "TAG-A")
    tx.go_online()
    await tx.settle()
    [started] = tx.station.events()
    assert started["offline"] is True
    await tx.close()


async def test_a_refused_event_is_sent_again_after_the_interval_times_the_tries_E13_FR_03() -> None:
    """3 attempts, 60 s: the second transmission 60 s after the first, the third 120 s after."""
    tx = make_tx201()
    tx.variables.values["SampledDataCtrlr.TxUpdatedInterval"] = "0"
    tx.station.script = ["refused", "refused"]
    await tx.transactions.begin(1, "TAG-A")
    await tx.settle(59)
    assert len(tx.station.events()) == 1
    await tx.settle(1)
    assert len(tx.station.events()) == 2
    await tx.settle(119)
    assert len(tx.station.events()) == 2
    await tx.settle(1)
    assert [e["seqNo"] for e in tx.station.events()] == [0, 0, 0]
    await tx.close()


async def test_an_event_is_given_up_after_message_attempts_failures_E13_FR_04() -> None:
    tx = make_tx201()
    tx.variables.values["SampledDataCtrlr.TxUpdatedInterval"] = "0"
    tx.station.script = ["refused", "timeout", "refused"]
    await tx.transactions.begin(1, "TAG-A")
    await tx.settle(200)
    await tx.transactions.stop(1)
    await tx.settle()
    assert [(e["eventType"], e["seqNo"]) for e in tx.station.events()] == [
        ("Started", 0),
        ("Started", 0),
        ("Started", 0),
        ("Ended", 1),
    ]
    assert tx.queue.skipped == 1
    await tx.close()


async def test_a_missing_answer_counts_as_a_failure_E13() -> None:
    """E13's remark: not accepted, or no reply within the message timeout."""
    tx = make_tx201()
    tx.variables.values["OCPPCommCtrlr.MessageAttempts.TransactionEvent"] = "1"
    tx.variables.values["SampledDataCtrlr.TxUpdatedInterval"] = "10"
    await tx.transactions.begin(1, "TAG-A")
    tx.station.script = ["timeout"]
    await tx.settle(10)
    assert (tx.queue.skipped, len(tx.queue)) == (1, 0)
    await tx.close()


async def test_a_given_up_start_leaves_the_transaction_running() -> None:
    """2.0.1 needs no answer to know its transaction: unlike 1.6, nothing ends it."""
    tx = make_tx201()
    tx.go_offline()
    await tx.transactions.begin(1, "TAG-A")
    tx.station.script = ["refused"] * 3
    tx.go_online()
    await tx.settle(200)
    assert tx.station.connectors[1].transaction_started
    await tx.close()


def _meter_value(seq: int) -> QueuedMessage:
    return QueuedMessage("TransactionEvent", {"seqNo": seq}, 1, boundary=False)


def test_a_full_offline_queue_drops_every_other_intermediate_update_E04_FR_08() -> None:
    """The 1st, 3rd, 5th... of the intermediate ones: between the first and the last queued."""
    entries: deque[QueuedMessage] = deque([QueuedMessage("TransactionEvent", {}, 1, True)])
    admit = Thinning(lambda: True)
    dropped = 0
    for seq in range(1, 12):
        dropped += admit(entries, _meter_value(seq), 7)
    left = [e.payload.get("seqNo") for e in entries]
    # Full at 1..6; then every other intermediate one goes: 2, 4, 6, 8, 10.
    assert left == [None, 1, 3, 5, 7, 9, 11]
    assert dropped == 5


def test_online_a_full_queue_drops_nothing_E04_FR_07() -> None:
    """Dropping is allowed offline only: online the queue drains (or waits out a retry)."""
    entries: deque[QueuedMessage] = deque([QueuedMessage("TransactionEvent", {}, 1, True)])
    admit = Thinning(lambda: False)
    assert sum(admit(entries, _meter_value(seq), 3) for seq in range(1, 6)) == 0
    assert len(entries) == 6


def test_the_first_and_last_queued_update_of_a_transaction_are_kept_E04_FR_08() -> None:
    """Each gap lies between two events the CSMS gets: none at a transaction's edge."""
    entries: deque[QueuedMessage] = deque([QueuedMessage("TransactionEvent", {}, 9, True)])
    admit = Thinning(lambda: True)
    for seq in (1, 2, 3):
        admit(entries, _meter_value(seq), 2)
    assert [e.payload.get("seqNo") for e in entries] == [None, 1, 3]


async def test_a_full_queue_never_drops_a_start_an_end_nor_a_state_change_E04_FR_07() -> None:
    tx = make_tx201(connectors=2)
    tx.queue.max_length = 4
    tx.variables.values["SampledDataCtrlr.TxUpdatedInterval"] = "10"
    tx.go_offline()
    await tx.transactions.begin(1, "TAG-A")
    await tx.settle(100)
    await tx.transactions.stop(1)
    await tx.transactions.begin(2, "TAG-B")
    await tx.transactions.stop(2)
    tx.go_online()
    await tx.settle()
    by_tx = delivered(tx.station.events())
    bounds = [[e for e in events if e["eventType"] != "Updated"] for events in by_tx.values()]
    assert [triggers(events) for events in bounds] == [
        [("Started", "Authorized"), ("Ended", "StopAuthorized")]
    ] * 2
    assert tx.queue.dropped > 0
    await tx.close()


async def test_dropped_updates_leave_their_seq_no_as_the_only_gaps_E04_FR_08() -> None:
    tx = make_tx201()
    tx.queue.max_length = 5
    tx.variables.values["SampledDataCtrlr.TxUpdatedInterval"] = "10"
    tx.go_offline()
    await tx.transactions.begin(1, "TAG-A")
    await tx.settle(100)
    await tx.transactions.stop(1)
    tx.go_online()
    await tx.settle()
    [events] = delivered(tx.station.events()).values()
    numbers = [event["seqNo"] for event in events]
    assert numbers[0] == 0 and numbers[-1] == 11  # 10 updates between
    assert 11 + 1 - len(numbers) == tx.queue.dropped
    await tx.close()


async def test_after_a_restart_the_queue_resends_its_events_offline_with_their_numbers() -> None:
    """The queue's persisted state: the entries as made, the transaction's next seqNo."""
    tx = make_tx201()
    await tx.transactions.begin(1, "TAG-A")
    tx.go_offline()
    await tx.settle(65)
    saved = tx.queue.as_data()
    await tx.close()
    again = make_tx201(ids=["never-used"])
    again.queue.restore(saved)
    assert again.queue.transaction_id(1) == "tx-1"
    again.go_online()
    await again.settle()
    [updated] = again.station.events()
    assert (updated["seqNo"], updated["offline"]) == (1, True)
    assert again.queue.codec.next_event(1, None, last=True)[:2] == ("tx-1", 2)
    await again.close()


def test_the_persisted_state_holds_each_open_transaction_between_next_ref_and_entries() -> None:
    station = Station(VirtualClock(), 1, {})
    queue = TransactionQueue201(station, link=lambda: 1, new_id=lambda: "tx-1")
    queue.new_ref()
    data = queue.as_data()
    assert list(data) == ["nextRef", "transactions201", "entries", "dropped", "skipped"]
    assert data["transactions201"] == [[1, "tx-1", 0, ""]]
