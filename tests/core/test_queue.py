"""The core's transaction queue (core/queue.py) with a codec that is no version's: what the
queue leaves to its codec (binding an envelope, reading its answer, its persisted keys) and to
the adapter's errors (OCPP 1.6 sections 3.7 and 3.7.1 for the mechanism)."""

from __future__ import annotations

import asyncio
from collections.abc import Collection, Coroutine, Mapping
from typing import Any

import orjson
import pytest

from simulator.station.core.queue import QueuedMessage, TransactionQueue
from simulator.station.core.tokens import TokenStatus, Verdict
from tests.virtual_clock import VirtualClock

pytestmark = pytest.mark.timeout(10)


class Refused(Exception):
    pass


class Lost(Exception):
    pass


class Peer:
    """The queue's host: answers each call from a script ("ok", "refused", "lost")."""

    def __init__(self, clock: VirtualClock) -> None:
        self.clock = clock
        self.online = True
        self.script: list[str] = []
        self.sent: list[tuple[str, dict[str, Any]]] = []

    def link_up(self) -> bool:
        return self.online

    def outgoing_supported(self, action: str) -> bool:
        return True

    async def call(self, action: str, payload: dict[str, Any]) -> dict[str, Any]:
        outcome = self.script.pop(0) if self.script else "ok"
        if outcome == "lost":
            self.online = False
            raise Lost(action)
        self.sent.append((action, payload))
        if outcome == "refused":
            raise Refused(action)
        return {"answer": action}

    async def sleep(self, seconds: float) -> None:
        await self.clock.sleep(seconds)

    def retry_policy(self) -> tuple[int, int]:
        return 2, 10

    async def persisted(self) -> None:
        pass

    async def answer_persisted(self) -> None:
        pass

    def queue_changed(self, *, grew: bool) -> None:
        pass

    def spawn(self, coroutine: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        return asyncio.ensure_future(coroutine)


class SeqCodec:
    """Numbers each envelope as it leaves; an "open" envelope's answer is a verdict; entries
    of a transaction named in `unknown` are skipped."""

    def __init__(self) -> None:
        self.seq = 0
        self.unknown: set[int] = set()
        self.seen: list[tuple[str, Mapping[str, Any] | None, int]] = []

    def bind(self, entry: QueuedMessage) -> dict[str, Any] | None:
        if entry.ref in self.unknown:
            return None
        self.seq += 1
        return {**entry.payload, "seq": self.seq}

    def answered(
        self,
        entry: QueuedMessage,
        reply: Mapping[str, Any] | None,
        waiting: Collection[QueuedMessage],
    ) -> Verdict | None:
        self.seen.append((entry.action, reply, len(waiting)))
        if entry.action != "open":
            return None
        return Verdict(TokenStatus.ACCEPTED if reply else None, reply)

    def as_data(self) -> dict[str, Any]:
        return {"seq": self.seq}

    def restore(self, data: Mapping[str, Any]) -> None:
        self.seq = int(data.get("seq", 0))


def make_queue(peer: Peer, codec: SeqCodec) -> TransactionQueue:
    return TransactionQueue(peer, codec, refused=(Refused,), lost=(Lost,))


async def test_what_leaves_is_what_the_codec_binds_at_sending() -> None:
    peer, codec = Peer(VirtualClock()), SeqCodec()
    queue = make_queue(peer, codec)
    peer.online = False
    await queue.submit("open", {"n": 1}, 1)
    await queue.submit("close", {"n": 2}, 1)
    peer.online = True
    queue.resume()
    await peer.clock.run_for(1)
    assert peer.sent == [("open", {"n": 1, "seq": 1}), ("close", {"n": 2, "seq": 2})]


async def test_an_envelope_the_codec_cannot_bind_is_skipped_and_counted() -> None:
    peer, codec = Peer(VirtualClock()), SeqCodec()
    codec.unknown.add(3)
    queue = make_queue(peer, codec)
    assert await queue.submit("close", {}, 3) is None
    assert (peer.sent, queue.skipped, len(queue)) == ([], 1, 0)


async def test_the_codec_reads_each_answer_knowing_what_still_waits() -> None:
    peer, codec = Peer(VirtualClock()), SeqCodec()
    queue = make_queue(peer, codec)
    peer.online = False
    await queue.submit("open", {}, 1)
    await queue.submit("close", {}, 1)
    peer.online = True
    queue.resume()
    await peer.clock.run_for(1)
    assert codec.seen == [("open", {"answer": "open"}, 1), ("close", {"answer": "close"}, 0)]


async def test_an_answer_nobody_waits_for_any_more_goes_to_on_late() -> None:
    peer, codec = Peer(VirtualClock()), SeqCodec()
    queue = make_queue(peer, codec)
    late: list[tuple[int, Verdict]] = []

    async def on_late(ref: int, verdict: Verdict) -> None:
        late.append((ref, verdict))

    queue.on_late = on_late
    peer.online = False
    assert await queue.submit("open", {}, 5) is None  # the caller carried on
    peer.online = True
    queue.resume()
    await peer.clock.run_for(1)
    assert late == [(5, Verdict(TokenStatus.ACCEPTED, {"answer": "open"}))]


async def test_an_answer_its_caller_awaits_does_not_go_to_on_late() -> None:
    peer, codec = Peer(VirtualClock()), SeqCodec()
    queue = make_queue(peer, codec)
    late: list[int] = []

    async def on_late(ref: int, verdict: Verdict) -> None:
        late.append(ref)

    queue.on_late = on_late
    assert await queue.submit("open", {}, 5) == {"answer": "open"}
    assert late == []


async def test_an_error_the_adapter_calls_refused_is_retried_then_given_up() -> None:
    """Section 3.7.1: a failure to process counts; after the attempts the message is skipped,
    and the codec learns it was given up (no reply)."""
    peer, codec = Peer(VirtualClock()), SeqCodec()
    peer.script = ["refused", "refused"]
    queue = make_queue(peer, codec)
    await queue.submit("update", {}, None, wait=False)
    await peer.clock.run_for(100)
    assert (len(peer.sent), queue.skipped, codec.seen) == (2, 1, [("update", None, 0)])


async def test_an_error_the_adapter_calls_lost_keeps_the_envelope_for_the_next_link() -> None:
    peer, codec = Peer(VirtualClock()), SeqCodec()
    peer.script = ["lost"]
    queue = make_queue(peer, codec)
    await queue.submit("update", {}, None, wait=False)
    await peer.clock.run_for(1)
    assert (len(queue), queue.skipped) == (1, 0)


async def test_the_persisted_section_holds_the_codecs_keys_between_next_ref_and_entries() -> None:
    """The order the seed's state file has (tests/test_state_compat.py restores one)."""
    peer, codec = Peer(VirtualClock()), SeqCodec()
    queue = make_queue(peer, codec)
    assert list(queue.as_data()) == ["nextRef", "seq", "entries", "dropped", "skipped"]


async def test_a_restored_queue_gives_the_codec_its_keys_back() -> None:
    peer = Peer(VirtualClock())
    first, second = SeqCodec(), SeqCodec()
    first.seq = 9
    make_queue(peer, second).restore(make_queue(peer, first).as_data())
    assert second.seq == 9


def test_a_queued_payload_is_encoded_once_for_every_state_write() -> None:
    """Issue 16: every write encodes the whole queue, a thousand messages offline."""
    entry = QueuedMessage("MeterValues", {"connectorId": 1, "meterValue": []}, 3)
    first = entry.to_data(encoded=True)
    assert entry.to_data(encoded=True)[1] is first[1]
    assert orjson.dumps(first) == orjson.dumps(entry.to_data())


def test_a_payload_changed_in_place_is_encoded_again() -> None:
    entry = QueuedMessage("TransactionEvent", {"seqNo": 1}, 3)
    entry.to_data(encoded=True)
    entry.payload["offline"] = True
    entry.payload_changed()
    assert orjson.loads(orjson.dumps(entry.to_data(encoded=True)))[1] == {
        "seqNo": 1,
        "offline": True,
    }
