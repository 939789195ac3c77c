"""The RPC session over a fake CSMS (OCPP-J 1.6 section 4): no sockets, no sleeping."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import orjson
import pytest

from simulator.station.frames import ErrorCode, OcppError
from simulator.station.ocpp16.schemas import SCHEMAS16
from simulator.station.rpc import (
    MAX_CALLS_ANSWERED,
    MAX_DESCRIPTION_LENGTH,
    CallFailed,
    ConnectionLost,
    RpcSession,
)
from simulator.stats import Statistics

WAIT = 2.0  # seconds: every wait is bounded; a passing test never comes near it

Handler = Callable[[str, dict[str, Any]], Awaitable[dict[str, Any]]]


class Closed(Exception):
    """What the fake transport raises from recv() once the connection is gone."""


class FakeCsms:
    """The far side of the connection, as a Transport: frames to the station go through `inbox`,
    frames from the station land in `outbox`."""

    def __init__(self) -> None:
        self.inbox: asyncio.Queue[str | bytes | Exception] = asyncio.Queue()
        self.outbox: asyncio.Queue[str] = asyncio.Queue()

    # -- the Transport the session sees --

    async def send(self, message: str) -> None:
        await self.outbox.put(message)

    async def recv(self) -> str | bytes:
        item = await self.inbox.get()
        if isinstance(item, Exception):
            raise item
        return item

    # -- what the test does --

    def deliver(self, frame: list[Any]) -> None:
        self.inbox.put_nowait(orjson.dumps(frame).decode())

    def deliver_raw(self, data: str) -> None:
        self.inbox.put_nowait(data)

    def close(self) -> None:
        self.inbox.put_nowait(Closed("connection closed"))

    async def received(self) -> list[Any]:
        """The next frame the station sent."""
        frame: list[Any] = orjson.loads(await asyncio.wait_for(self.outbox.get(), WAIT))
        return frame

    async def quiet(self) -> bool:
        """True when the station sent nothing once every ready task has run."""
        for _ in range(20):
            await asyncio.sleep(0)  # yields to the loop; no time passes
        return self.outbox.empty()


async def not_implemented(action: str, payload: dict[str, Any]) -> dict[str, Any]:
    raise OcppError(ErrorCode.NOT_IMPLEMENTED, f"unknown action {action}")


def router(handlers: dict[str, Handler]) -> Handler:
    """Routes like ChargingStation._handle_call: an unknown action raises NotImplemented."""

    async def handle(action: str, payload: dict[str, Any]) -> dict[str, Any]:
        handler = handlers.get(action)
        if handler is None:
            return await not_implemented(action, payload)
        return await handler(action, payload)

    return handle


class Peer:
    """A session running against a fake CSMS, with the handles a test needs."""

    def __init__(self, csms: FakeCsms, session: RpcSession, statistics: Statistics) -> None:
        self.csms = csms
        self.session = session
        self.statistics = statistics
        self.reader: asyncio.Task[None] = asyncio.create_task(session.run())

    def call(self, action: str, payload: dict[str, Any] | None = None) -> asyncio.Task[Any]:
        return asyncio.create_task(self.session.call(action, payload or {}))

    async def stop(self) -> None:
        self.reader.cancel()
        await asyncio.gather(self.reader, return_exceptions=True)


PeerFactory = Callable[..., Awaitable[Peer]]


@pytest.fixture
async def make_peer() -> AsyncIterator[PeerFactory]:
    peers: list[Peer] = []

    async def make(
        handler: Handler = not_implemented,
        *,
        response_timeout: float = 30.0,
        validate_payloads: bool = False,
    ) -> Peer:
        csms = FakeCsms()
        statistics = Statistics()
        session = RpcSession(
            csms,
            handler,
            schemas=SCHEMAS16,
            message_ids=itertools.count(1),
            response_timeout=response_timeout,
            validate_payloads=validate_payloads,
            statistics=statistics,
        )
        peer = Peer(csms, session, statistics)
        peers.append(peer)
        return peer

    yield make
    for peer in peers:
        await peer.stop()


@pytest.fixture
async def peer(make_peer: PeerFactory) -> Peer:
    return await make_peer()


async def outcome(task: asyncio.Task[Any]) -> Any:
    return await asyncio.wait_for(task, WAIT)


# -- outgoing CALLs ----------------------------------------------------------------------------


async def test_a_call_is_sent_as_a_call_frame(peer: Peer) -> None:
    """OCPP-J 4.2.1: [2, "<UniqueId>", "<Action>", {<Payload>}]."""
    peer.call("Authorize", {"idTag": "TAG"})
    kind, message_id, action, payload = await peer.csms.received()
    assert (kind, action, payload) == (2, "Authorize", {"idTag": "TAG"})
    assert isinstance(message_id, str)


async def test_call_result_payload_is_returned(peer: Peer) -> None:
    """OCPP-J 4.2.2: the CALLRESULT with the CALL's id carries the response."""
    call = peer.call("Heartbeat")
    _, message_id, _, _ = await peer.csms.received()
    peer.csms.deliver([3, message_id, {"currentTime": "2024-01-01T00:00:00Z"}])
    assert await outcome(call) == {"currentTime": "2024-01-01T00:00:00Z"}


async def test_call_error_raises_call_failed(peer: Peer) -> None:
    """OCPP-J 4.2.3: a CALLERROR answers the CALL with an error code and description."""
    call = peer.call("Heartbeat")
    _, message_id, _, _ = await peer.csms.received()
    peer.csms.deliver([4, message_id, "NotSupported", "no heartbeats here", {"x": 1}])
    with pytest.raises(CallFailed) as caught:
        await outcome(call)
    assert caught.value.action == "Heartbeat"
    assert caught.value.error.code == "NotSupported"
    assert caught.value.error.description == "no heartbeats here"
    assert caught.value.error.details == {"x": 1}


async def test_second_call_waits_for_the_first_answer(peer: Peer) -> None:
    """OCPP-J 4.1.1: no CALL is sent until every CALL sent before was answered or timed out."""
    first = peer.call("Heartbeat")
    _, first_id, _, _ = await peer.csms.received()
    second = peer.call("Authorize", {"idTag": "TAG"})
    assert await peer.csms.quiet()
    assert not second.done()
    peer.csms.deliver([3, first_id, {"currentTime": "2024-01-01T00:00:00Z"}])
    _, second_id, action, _ = await peer.csms.received()
    assert action == "Authorize"
    assert second_id != first_id
    await outcome(first)
    second.cancel()


async def test_second_call_is_sent_after_the_first_timed_out(make_peer: PeerFactory) -> None:
    """OCPP-J 4.1.1: a CALL that timed out no longer holds back the next one."""
    peer = await make_peer(response_timeout=0.01)
    first = peer.call("Heartbeat")
    await peer.csms.received()
    second = peer.call("Heartbeat")
    with pytest.raises(TimeoutError):
        await outcome(first)
    assert (await peer.csms.received())[2] == "Heartbeat"
    with pytest.raises(TimeoutError):
        await outcome(second)


async def test_message_ids_differ_from_call_to_call(peer: Peer) -> None:
    """OCPP-J 4.1.4: a CALL's id differs from every id the sender used before."""
    ids = []
    for _ in range(3):
        call = peer.call("Heartbeat")
        _, message_id, _, _ = await peer.csms.received()
        peer.csms.deliver([3, message_id, {"currentTime": "2024-01-01T00:00:00Z"}])
        await outcome(call)
        ids.append(message_id)
    assert len(set(ids)) == 3


async def test_an_unanswered_call_raises_timeout_error(make_peer: PeerFactory) -> None:
    """OCPP-J 4.1.1: a CALL times out after an implementation-dependent interval."""
    peer = await make_peer(response_timeout=0.01)
    call = peer.call("Heartbeat")
    await peer.csms.received()
    with pytest.raises(TimeoutError):
        await outcome(call)


async def test_a_timeout_is_counted(make_peer: PeerFactory) -> None:
    peer = await make_peer(response_timeout=0.01)
    call = peer.call("Heartbeat")
    await peer.csms.received()
    with pytest.raises(TimeoutError):
        await outcome(call)
    heartbeat = peer.statistics.commands["Heartbeat"]
    assert (heartbeat.requests, heartbeat.timeouts, heartbeat.responses) == (1, 1, 0)
    assert heartbeat.latency_us.total == 0


async def test_an_answer_after_the_timeout_is_ignored(make_peer: PeerFactory) -> None:
    peer = await make_peer(response_timeout=0.01)
    late = peer.call("Heartbeat")
    _, late_id, _, _ = await peer.csms.received()
    with pytest.raises(TimeoutError):
        await outcome(late)
    peer.csms.deliver([3, late_id, {"currentTime": "2024-01-01T00:00:00Z"}])
    assert await peer.csms.quiet()
    assert peer.statistics.commands["Heartbeat"].responses == 0


async def test_an_answer_with_an_unknown_id_is_ignored(peer: Peer) -> None:
    """OCPP-J 4.1.4: an answer belongs to the CALL with the same id, and to no other."""
    call = peer.call("Heartbeat")
    _, message_id, _, _ = await peer.csms.received()
    peer.csms.deliver([3, "not-" + message_id, {"currentTime": "1999-01-01T00:00:00Z"}])
    peer.csms.deliver([4, "not-" + message_id, "GenericError", "", {}])
    assert await peer.csms.quiet()
    assert not call.done()
    peer.csms.deliver([3, message_id, {"currentTime": "2024-01-01T00:00:00Z"}])
    assert await outcome(call) == {"currentTime": "2024-01-01T00:00:00Z"}


async def test_a_malformed_answer_is_not_answered(peer: Peer) -> None:
    """OCPP-J 4.2.3: a CALLERROR answers a CALL, never a CALLRESULT or a CALLERROR."""
    peer.csms.deliver_raw('[3, "1", "Accepted"]')
    peer.csms.deliver_raw('[4, "1", 500, "", {}]')
    peer.csms.deliver_raw(f'[3, "{"x" * 37}", {{}}]')
    assert await peer.csms.quiet()


async def test_a_closed_connection_fails_the_pending_call_at_once(peer: Peer) -> None:
    """DESIGN.md: on disconnect every pending call fails at once, not at its timeout (30 s)."""
    call = peer.call("Heartbeat")
    await peer.csms.received()
    peer.csms.close()
    with pytest.raises(ConnectionLost):
        await outcome(call)


async def test_a_closed_connection_fails_the_calls_queued_behind_the_pending_one(
    peer: Peer,
) -> None:
    pending = peer.call("Heartbeat")
    await peer.csms.received()
    queued = peer.call("Authorize", {"idTag": "TAG"})
    peer.csms.close()
    with pytest.raises(ConnectionLost):
        await outcome(pending)
    with pytest.raises(ConnectionLost):
        await outcome(queued)


async def test_the_reader_ends_with_the_error_that_closed_the_connection(peer: Peer) -> None:
    peer.csms.close()
    with pytest.raises(Closed):
        await asyncio.wait_for(peer.reader, WAIT)
    assert peer.session.closed


async def test_a_call_on_a_closed_session_raises_connection_lost(peer: Peer) -> None:
    peer.csms.close()
    with pytest.raises(Closed):
        await asyncio.wait_for(peer.reader, WAIT)
    with pytest.raises(ConnectionLost):
        await outcome(peer.call("Heartbeat"))
    assert peer.csms.outbox.empty()


async def test_a_call_breaking_its_schema_is_refused_before_sending(
    make_peer: PeerFactory,
) -> None:
    """With payload validation on, the station never sends a payload its schema refuses."""
    peer = await make_peer(validate_payloads=True)
    with pytest.raises(OcppError) as caught:
        await outcome(peer.call("BootNotification", {"chargePointVendor": "evsim"}))
    assert caught.value.code is ErrorCode.OCCURENCE_CONSTRAINT_VIOLATION
    assert await peer.csms.quiet()


# -- statistics --------------------------------------------------------------------------------


async def test_answers_and_errors_land_in_the_statistics(peer: Peer) -> None:
    """DESIGN.md: latency is measured from CALL sent to CALLRESULT/CALLERROR received."""
    for answer in ([3, {"currentTime": "2024-01-01T00:00:00Z"}], [4, "GenericError", "", {}]):
        call = peer.call("Heartbeat")
        _, message_id, _, _ = await peer.csms.received()
        peer.csms.deliver([answer[0], message_id, *answer[1:]])
        await asyncio.wait_for(asyncio.gather(call, return_exceptions=True), WAIT)
    heartbeat = peer.statistics.commands["Heartbeat"]
    assert (heartbeat.requests, heartbeat.responses, heartbeat.errors) == (2, 1, 1)
    assert heartbeat.timeouts == 0
    assert heartbeat.latency_us.total == 2
    assert heartbeat.latency_us.min >= 0


async def test_statistics_are_kept_per_action(peer: Peer) -> None:
    for action in ("Heartbeat", "Authorize", "Authorize"):
        call = peer.call(action)
        _, message_id, _, _ = await peer.csms.received()
        peer.csms.deliver([3, message_id, {}])
        await outcome(call)
    assert peer.statistics.commands["Heartbeat"].responses == 1
    assert peer.statistics.commands["Authorize"].responses == 2


# -- incoming CALLs ----------------------------------------------------------------------------


async def test_an_incoming_call_is_answered_with_the_handler_result(
    make_peer: PeerFactory,
) -> None:
    """OCPP-J 4.2.2: the CALLRESULT carries the CALL's id."""

    async def clear_cache(action: str, payload: dict[str, Any]) -> dict[str, Any]:
        return {"status": "Accepted"}

    peer = await make_peer(router({"ClearCache": clear_cache}))
    peer.csms.deliver([2, "csms-1", "ClearCache", {}])
    assert await peer.csms.received() == [3, "csms-1", {"status": "Accepted"}]


async def test_an_incoming_call_with_an_unknown_action_gets_not_implemented(
    make_peer: PeerFactory,
) -> None:
    """OCPP-J 4.2.3: NotImplemented, "Requested Action is not known by receiver"."""
    peer = await make_peer(router({}))
    peer.csms.deliver([2, "csms-1", "FlyToTheMoon", {}])
    kind, message_id, code, _, details = await peer.csms.received()
    assert (kind, message_id, code, details) == (4, "csms-1", "NotImplemented", {})


async def test_an_incoming_call_missing_a_required_field_gets_occurence_constraint_violation(
    make_peer: PeerFactory,
) -> None:
    """OCPP-J 4.2.3: a missing mandatory field violates occurrence constraints; OCPP 1.6
    section 6.9: ChangeConfiguration.req requires key and value. The handler is not run."""
    handled: list[str] = []

    async def change(action: str, payload: dict[str, Any]) -> dict[str, Any]:
        handled.append(action)
        return {"status": "Accepted"}

    peer = await make_peer(router({"ChangeConfiguration": change}))
    peer.csms.deliver([2, "csms-1", "ChangeConfiguration", {"key": "HeartbeatInterval"}])
    _, message_id, code, _, _ = await peer.csms.received()
    assert (message_id, code) == ("csms-1", "OccurenceConstraintViolation")
    assert handled == []


async def test_an_incoming_call_with_a_wrong_type_gets_type_constraint_violation(
    make_peer: PeerFactory,
) -> None:
    """OCPP-J 4.2.3: TypeConstraintViolation, e.g. "somestring": 12."""
    peer = await make_peer(router({}))
    peer.csms.deliver(
        [2, "csms-1", "ChangeConfiguration", {"key": "HeartbeatInterval", "value": 60}]
    )
    _, message_id, code, _, _ = await peer.csms.received()
    assert (message_id, code) == ("csms-1", "TypeConstraintViolation")


async def test_an_incoming_call_that_is_not_an_array_of_four_gets_formation_violation(
    peer: Peer,
) -> None:
    """OCPP-J 4.2.3: FormationViolation, "not conform the PDU structure"."""
    peer.csms.deliver_raw('[2, "csms-1", "Reset", ["Hard"]]')
    _, message_id, code, _, _ = await peer.csms.received()
    assert (message_id, code) == ("csms-1", "FormationViolation")


async def test_an_incoming_call_with_a_too_long_id_gets_formation_violation(peer: Peer) -> None:
    """OCPP-J 4.2.3: "unique identifier too long" is answered with a CallError."""
    message_id = "x" * 37
    peer.csms.deliver([2, message_id, "Reset", {"type": "Soft"}])
    assert (await peer.csms.received())[1:3] == [message_id, "FormationViolation"]


async def test_a_frame_of_unknown_type_is_ignored(peer: Peer) -> None:
    """OCPP-J 4.1.3: a message type number not in the list is ignored."""
    peer.csms.deliver([5, "csms-1", "Reset", {"type": "Soft"}])
    assert await peer.csms.quiet()


async def test_a_handler_crash_gets_internal_error_and_the_session_keeps_working(
    make_peer: PeerFactory,
) -> None:
    """OCPP-J 4.2.3: InternalError, "the receiver was not able to process the requested
    Action"."""

    async def crash(action: str, payload: dict[str, Any]) -> dict[str, Any]:
        raise RuntimeError("boom")

    async def clear_cache(action: str, payload: dict[str, Any]) -> dict[str, Any]:
        return {"status": "Accepted"}

    peer = await make_peer(router({"Reset": crash, "ClearCache": clear_cache}))
    peer.csms.deliver([2, "csms-1", "Reset", {"type": "Soft"}])
    _, message_id, code, description, _ = await peer.csms.received()
    assert (message_id, code, description) == ("csms-1", "InternalError", "boom")

    peer.csms.deliver([2, "csms-2", "ClearCache", {}])
    assert await peer.csms.received() == [3, "csms-2", {"status": "Accepted"}]
    call = peer.call("Heartbeat")
    _, call_id, _, _ = await peer.csms.received()
    peer.csms.deliver([3, call_id, {"currentTime": "2024-01-01T00:00:00Z"}])
    assert await outcome(call) == {"currentTime": "2024-01-01T00:00:00Z"}


async def test_a_handler_error_is_answered_with_its_code_description_and_details(
    make_peer: PeerFactory,
) -> None:
    async def refuse(action: str, payload: dict[str, Any]) -> dict[str, Any]:
        raise OcppError(ErrorCode.SECURITY_ERROR, "not now", {"retry": True})

    peer = await make_peer(router({"Reset": refuse}))
    peer.csms.deliver([2, "csms-1", "Reset", {"type": "Hard"}])
    assert await peer.csms.received() == [4, "csms-1", "SecurityError", "not now", {"retry": True}]


async def test_a_handler_answer_breaking_its_schema_gets_internal_error(
    make_peer: PeerFactory,
) -> None:
    """OCPP-J 4.2.3: the fault is the receiver's, not a constraint violation of the request."""

    async def wrong(action: str, payload: dict[str, Any]) -> dict[str, Any]:
        return {"status": "Maybe"}

    peer = await make_peer(router({"ClearCache": wrong}), validate_payloads=True)
    peer.csms.deliver([2, "csms-1", "ClearCache", {}])
    _, message_id, code, _, _ = await peer.csms.received()
    assert (message_id, code) == ("csms-1", "InternalError")


async def test_an_incoming_call_is_answered_while_an_outgoing_call_waits(
    make_peer: PeerFactory,
) -> None:
    """OCPP-J 4.1.1 note: CALLs from both sides may cross each other."""

    async def clear_cache(action: str, payload: dict[str, Any]) -> dict[str, Any]:
        return {"status": "Accepted"}

    peer = await make_peer(router({"ClearCache": clear_cache}))
    call = peer.call("Heartbeat")
    _, call_id, _, _ = await peer.csms.received()
    peer.csms.deliver([2, "csms-1", "ClearCache", {}])
    assert await peer.csms.received() == [3, "csms-1", {"status": "Accepted"}]
    peer.csms.deliver([3, call_id, {"currentTime": "2024-01-01T00:00:00Z"}])
    assert await outcome(call) == {"currentTime": "2024-01-01T00:00:00Z"}


# -- hostile CSMS: duplicates, floods, stray actions ---------------------------------------------


class Gate:
    """A handler that holds every CALL until the test opens the gate."""

    def __init__(self) -> None:
        self.opened = asyncio.Event()
        self.entered = 0

    async def __call__(self, action: str, payload: dict[str, Any]) -> dict[str, Any]:
        self.entered += 1
        await self.opened.wait()
        return {"status": "Accepted"}


async def test_a_call_reusing_the_id_of_one_being_answered_gets_generic_error(
    make_peer: PeerFactory,
) -> None:
    """OCPP-J 4.2.3: "an existing call with the same unique identifier is being handled
    already" is answered with a CallError; the first CALL is still answered, once."""
    gate = Gate()
    peer = await make_peer(router({"ClearCache": gate}))
    peer.csms.deliver([2, "csms-1", "ClearCache", {}])
    peer.csms.deliver([2, "csms-1", "ClearCache", {}])
    _, message_id, code, _, _ = await peer.csms.received()
    assert (message_id, code) == ("csms-1", "GenericError")
    assert gate.entered == 1
    gate.opened.set()
    assert await peer.csms.received() == [3, "csms-1", {"status": "Accepted"}]
    assert await peer.csms.quiet()


async def test_the_id_of_an_answered_call_may_come_again(make_peer: PeerFactory) -> None:
    """Only ids of CALLs in flight are remembered: the set stays bounded."""
    gate = Gate()
    gate.opened.set()
    peer = await make_peer(router({"ClearCache": gate}))
    for _ in range(2):
        peer.csms.deliver([2, "csms-1", "ClearCache", {}])
        assert await peer.csms.received() == [3, "csms-1", {"status": "Accepted"}]


async def test_calls_beyond_the_in_flight_limit_get_generic_error(
    make_peer: PeerFactory,
) -> None:
    """OCPP-J 4.1.1: the CSMS should have one CALL in flight; the station answers a few at
    once and refuses the rest instead of holding a task for each."""
    gate = Gate()
    peer = await make_peer(router({"ClearCache": gate}))
    extra = 3
    for number in range(MAX_CALLS_ANSWERED + extra):
        peer.csms.deliver([2, f"csms-{number}", "ClearCache", {}])
    refused = [await peer.csms.received() for _ in range(extra)]
    assert [frame[1] for frame in refused] == [
        f"csms-{number}" for number in range(MAX_CALLS_ANSWERED, MAX_CALLS_ANSWERED + extra)
    ]
    assert {frame[2] for frame in refused} == {"GenericError"}
    assert gate.entered == MAX_CALLS_ANSWERED
    gate.opened.set()
    answered = [await peer.csms.received() for _ in range(MAX_CALLS_ANSWERED)]
    assert sorted(frame[1] for frame in answered) == [
        f"csms-{number}" for number in range(MAX_CALLS_ANSWERED)
    ]
    assert {frame[0] for frame in answered} == {3}


async def test_a_csms_that_does_not_read_its_answers_stalls_its_own_stream(
    make_peer: PeerFactory,
) -> None:
    """Refusals are sent by the reader: while the socket cannot take them, the station stops
    reading instead of queueing a task per bad frame."""
    peer = await make_peer(router({}))
    sending = asyncio.Event()
    blocked = asyncio.Event()

    async def stuck_send(message: str) -> None:
        sending.set()
        await blocked.wait()

    peer.csms.send = stuck_send  # type: ignore[method-assign]
    flood = 100
    for number in range(flood):
        peer.csms.deliver_raw(f'[2, "csms-{number}", "Reset", []]')
    await asyncio.wait_for(sending.wait(), WAIT)
    tasks = len(asyncio.all_tasks())
    assert await peer.csms.quiet()
    assert peer.csms.inbox.qsize() == flood - 1
    assert len(asyncio.all_tasks()) == tasks
    blocked.set()


async def test_an_action_named_like_a_response_schema_gets_not_implemented(
    make_peer: PeerFactory,
) -> None:
    """OCPP-J 4.2.3: "ResetResponse" is no action of OCPP 1.6, so NotImplemented, not a
    constraint violation of the response schema of that name."""
    peer = await make_peer(router({}))
    peer.csms.deliver([2, "csms-1", "ResetResponse", {}])
    _, message_id, code, _, _ = await peer.csms.received()
    assert (message_id, code) == ("csms-1", "NotImplemented")


async def test_an_error_description_quoting_a_huge_action_is_shortened(
    make_peer: PeerFactory,
) -> None:
    peer = await make_peer(router({}))
    peer.csms.deliver([2, "csms-1", "A" * 100_000, {}])
    _, message_id, code, description, _ = await peer.csms.received()
    assert (message_id, code) == ("csms-1", "NotImplemented")
    assert len(description) <= MAX_DESCRIPTION_LENGTH
