"""The RPC session speaking OCPP-J 2.0.1 (Part 4 section 4) over a fake CSMS: its error codes,
its answers to frames it cannot use, its message ids and a CALL timeout read at each CALL
(OCPPCommCtrlr.MessageTimeout). The 1.6 session's answers stay as test_rpc.py pins them."""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
from websockets.asyncio.server import ServerConnection, serve
from websockets.typing import Subprotocol

from simulator.station import adapters
from simulator.station.clock import SystemClock
from simulator.station.frames import ErrorCode, Framing
from simulator.station.ocpp16.adapter import Adapter16
from simulator.station.ocpp16.schemas import SCHEMAS16
from simulator.station.ocpp201.errors import FRAMING_201, spell_error_201
from simulator.station.ocpp201.schemas import SCHEMAS201
from simulator.station.rpc import RpcSession, TimeoutProvider, first_message_id
from simulator.station.station import ChargingStation
from simulator.stats import Statistics
from tests.fleet import specs_for
from tests.ocpp201_schemas import assert_valid_201
from tests.test_rpc import WAIT, FakeCsms, Handler, Peer, not_implemented, outcome, router
from tests.waiting import eventually

HEARTBEAT_ANSWER = {"currentTime": "2026-01-01T00:00:00.000Z"}


def session_201(
    csms: FakeCsms,
    handler: Handler = not_implemented,
    *,
    response_timeout: float | TimeoutProvider = 30.0,
    message_ids: itertools.count[int] | None = None,
) -> RpcSession:
    return RpcSession(
        csms,
        handler,
        schemas=SCHEMAS201,
        message_ids=message_ids or itertools.count(first_message_id(datetime.now(UTC))),
        response_timeout=response_timeout,
        validate_payloads=True,
        statistics=None,
        spell_error=spell_error_201,
        framing=FRAMING_201,
    )


@pytest.fixture
async def peers() -> AsyncIterator[list[Peer]]:
    made: list[Peer] = []
    yield made
    for peer in made:
        await peer.stop()


@pytest.fixture
def make_201(peers: list[Peer]) -> Callable[..., Peer]:
    def make(handler: Handler = not_implemented, **options: Any) -> Peer:
        csms = FakeCsms()
        peer = Peer(csms, session_201(csms, handler, **options), Statistics())
        peers.append(peer)
        return peer

    return make


async def call_error(peer: Peer) -> list[Any]:
    """The station's next frame, checked to be a CALLERROR of P4 4.2.3's shape."""
    frame = await peer.csms.received()
    kind, message_id, code, description, details = frame
    assert (kind, type(message_id), type(code), type(details)) == (4, str, str, dict)
    assert isinstance(description, str) and len(description) <= 255  # ErrorDescription string[255]
    return frame


# -- error codes -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "spelled"),
    [
        (ErrorCode.FORMATION_VIOLATION, "FormatViolation"),
        (ErrorCode.OCCURENCE_CONSTRAINT_VIOLATION, "OccurrenceConstraintViolation"),
        (ErrorCode.MESSAGE_TYPE_NOT_SUPPORTED, "MessageTypeNotSupported"),
        (ErrorCode.RPC_FRAMEWORK_ERROR, "RpcFrameworkError"),
        (ErrorCode.PROPERTY_CONSTRAINT_VIOLATION, "PropertyConstraintViolation"),
        (ErrorCode.TYPE_CONSTRAINT_VIOLATION, "TypeConstraintViolation"),
        (ErrorCode.NOT_IMPLEMENTED, "NotImplemented"),
        (ErrorCode.SECURITY_ERROR, "SecurityError"),
    ],
)
def test_2_0_1_spells_the_codes_of_part_4_table_8(code: ErrorCode, spelled: str) -> None:
    """P4 4.3: 2.0.1 corrects 1.6's FormationViolation and OccurenceConstraintViolation."""
    assert spell_error_201(code) == spelled


def test_every_2_0_1_spelling_is_a_code_of_table_8() -> None:
    table_8 = {
        "FormatViolation",
        "GenericError",
        "InternalError",
        "MessageTypeNotSupported",
        "NotImplemented",
        "NotSupported",
        "OccurrenceConstraintViolation",
        "PropertyConstraintViolation",
        "ProtocolError",
        "RpcFrameworkError",
        "SecurityError",
        "TypeConstraintViolation",
    }
    assert {spell_error_201(code) for code in ErrorCode} == table_8


async def test_a_call_missing_a_required_field_gets_occurrence_constraint_violation(
    make_201: Callable[..., Peer],
) -> None:
    """P4 4.3: OccurrenceConstraintViolation, spelled as 2.0.1 spells it."""
    peer = make_201()
    peer.csms.deliver([2, "csms-1", "Reset", {}])
    assert (await call_error(peer))[1:3] == ["csms-1", "OccurrenceConstraintViolation"]


async def test_a_call_with_an_unknown_field_gets_format_violation(
    make_201: Callable[..., Peer],
) -> None:
    peer = make_201()
    peer.csms.deliver([2, "csms-1", "Reset", {"type": "Immediate", "when": "now"}])
    assert (await call_error(peer))[1:3] == ["csms-1", "FormatViolation"]


async def test_a_2_0_1_call_is_answered_by_its_handler_with_a_valid_response(
    make_201: Callable[..., Peer],
) -> None:
    async def reset(action: str, payload: dict[str, Any]) -> dict[str, Any]:
        return {"status": "Accepted"}

    peer = make_201(router({"Reset": reset}))
    peer.csms.deliver([2, "csms-1", "Reset", {"type": "Immediate"}])
    kind, message_id, answer = await peer.csms.received()
    assert (kind, message_id) == (3, "csms-1")
    assert_valid_201("ResetResponse", answer)


async def test_a_handler_answer_breaking_the_2_0_1_schema_is_an_internal_error(
    make_201: Callable[..., Peer],
) -> None:
    """The station's own answers are checked against the v201 response schemas."""

    async def wrong(action: str, payload: dict[str, Any]) -> dict[str, Any]:
        return {"status": "Soft"}  # no ResetStatusEnumType value

    peer = make_201(router({"Reset": wrong}))
    peer.csms.deliver([2, "csms-1", "Reset", {"type": "OnIdle"}])
    assert (await call_error(peer))[1:3] == ["csms-1", "InternalError"]


# -- frames the station cannot use -------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    ['[2, "7", "Reset", {', '{"type": "Immediate"}', '[2, 7, "Reset", {"type": "Immediate"}]'],
    ids=["invalid JSON", "not an array", "a number as id"],
)
async def test_a_message_whose_id_cannot_be_read_is_answered_with_id_minus_1(
    make_201: Callable[..., Peer], data: str
) -> None:
    """P4 4.2.3: the CALLERROR "SHALL contain "-1" as MessageId"; 4.3 RpcFrameworkError."""
    peer = make_201()
    peer.csms.deliver_raw(data)
    assert (await call_error(peer))[1:3] == ["-1", "RpcFrameworkError"]


async def test_an_unknown_message_type_is_answered_message_type_not_supported(
    make_201: Callable[..., Peer],
) -> None:
    """P4 4.4: an unknown message type is answered, so that the sender falls back."""
    peer = make_201()
    peer.csms.deliver([5, "csms-1", "Reset", {"type": "Immediate"}])
    assert (await call_error(peer))[1:3] == ["csms-1", "MessageTypeNotSupported"]


async def test_the_session_keeps_working_after_a_frame_it_could_not_use(
    make_201: Callable[..., Peer],
) -> None:
    peer = make_201()
    peer.csms.deliver_raw("not json")
    await call_error(peer)
    call = peer.call("Heartbeat")
    _, message_id, action, payload = await peer.csms.received()
    assert_valid_201(action, payload)
    peer.csms.deliver([3, message_id, HEARTBEAT_ANSWER])
    assert await outcome(call) == HEARTBEAT_ANSWER


@pytest.mark.parametrize(
    "data",
    ['[2, "7", "Reset", {', '{"type": "Soft"}', '[5, "csms-1", "Reset", {"type": "Soft"}]'],
    ids=["invalid JSON", "not an array", "an unknown message type"],
)
async def test_a_1_6_session_still_answers_none_of_them(data: str) -> None:
    """OCPP-J 1.6 4.1.3 and 4.2.3: the default framing answers no frame without a CALL's id."""
    csms = FakeCsms()
    session = RpcSession(
        csms,
        not_implemented,
        schemas=SCHEMAS16,
        message_ids=itertools.count(1),
        response_timeout=30,
        validate_payloads=False,
        statistics=None,
    )
    peer = Peer(csms, session, Statistics())
    try:
        csms.deliver_raw(data)
        assert await csms.quiet()
    finally:
        await peer.stop()


# -- the CALL timeout --------------------------------------------------------------------------


async def test_the_call_timeout_is_read_at_each_call(make_201: Callable[..., Peer]) -> None:
    """2.0.1 reads OCPPCommCtrlr.MessageTimeout (a SetVariables may change it while the
    connection is open): the second CALL waits what the provider says then."""
    timeouts = iter([30.0, 0.01])
    asked: list[float] = []

    def provider() -> float:
        asked.append(next(timeouts))
        return asked[-1]

    peer = make_201(response_timeout=provider)
    first = peer.call("Heartbeat")
    _, message_id, _, _ = await peer.csms.received()
    peer.csms.deliver([3, message_id, HEARTBEAT_ANSWER])
    assert await outcome(first) == HEARTBEAT_ANSWER
    second = peer.call("Heartbeat")
    await peer.csms.received()
    with pytest.raises(TimeoutError):
        await outcome(second)
    assert asked == [30.0, 0.01]


# -- message ids -------------------------------------------------------------------------------


def test_a_station_started_now_numbers_its_calls_within_36_characters() -> None:
    """P4 4.1.4: messageId is string[36]; microseconds since the epoch have 16 digits until
    the year 2286."""
    assert len(str(first_message_id(datetime(2286, 11, 20, tzinfo=UTC)))) == 16
    assert len(str(first_message_id(datetime.now(UTC)))) <= 36


def test_a_later_start_numbers_above_every_id_of_an_earlier_one() -> None:
    """P4 4.1.4: an id is never used again for the same identity, on any connection: a
    station restarted one second later begins above the ids of a run that made a million
    CALLs (a CALL a microsecond, one in flight at a time, is out of reach)."""
    started = datetime(2026, 1, 1, tzinfo=UTC)
    last_of_first_run = first_message_id(started) + 999_999
    assert first_message_id(started + timedelta(seconds=1)) > last_of_first_run


async def test_an_id_over_36_characters_is_never_sent(make_201: Callable[..., Peer]) -> None:
    peer = make_201(message_ids=itertools.count(10**36))
    with pytest.raises(ValueError, match="longer than 36"):
        await outcome(peer.call("Heartbeat"))
    assert await peer.csms.quiet()


@pytest.mark.integration
async def test_a_restarted_station_does_not_use_a_message_id_again(tmp_path: Path) -> None:
    """P4 4.1.4, "on any WebSocket connection using the same unique Charging Station
    identifier": the ids of a station's second run all differ from its first run's."""
    ids: list[list[str]] = []

    async def accept_and_record(connection: ServerConnection) -> None:
        run: list[str] = []
        ids.append(run)
        async for data in connection:
            frame = orjson.loads(data)
            if frame[0] != 2:
                continue
            run.append(frame[1])
            answer: dict[str, Any] = {}
            if frame[2] == "BootNotification":
                answer = {
                    "status": "Accepted",
                    "currentTime": "2026-01-01T00:00:00Z",
                    "interval": 60,
                }
            await connection.send(orjson.dumps([3, frame[1], answer]).decode())

    async with serve(
        accept_and_record, "127.0.0.1", 0, subprotocols=[Subprotocol("ocpp1.6")]
    ) as server:
        url = f"ws://127.0.0.1:{server.sockets[0].getsockname()[1]}"
        [spec] = specs_for(tmp_path, url, 1)
        for run in range(2):
            station = ChargingStation(spec, clock=SystemClock(), on_change=lambda s, d: None)
            await station.start()
            try:
                # The boot and a status at least.
                await eventually(lambda n=run: len(ids) > n and len(ids[n]) >= 2, WAIT * 5, "boot")
            finally:
                await station.stop()
    first, second = ids
    assert not set(first) & set(second)
    assert all(len(message_id) <= 36 for message_id in first + second)


class RulesOf201(Adapter16):
    """A 1.6 adapter with a 2.0.1 session's framing and a CALL timeout of its own: what the
    station's lifecycle hands its RPC session is the version's (lifecycle.Session)."""

    framing: Framing = FRAMING_201  # type: ignore[misc]

    def response_timeout(self) -> float:
        return 0.2


@pytest.mark.integration
async def test_the_station_s_session_takes_its_version_s_framing_and_call_timeout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(
        adapters.VERSIONS,  # type: ignore[arg-type]
        "1.6",
        dataclasses.replace(adapters.VERSIONS["1.6"], adapter=RulesOf201),
    )
    answers: list[Any] = []

    async def leave_the_boot_unanswered(connection: ServerConnection) -> None:
        await connection.recv()  # the BootNotification, never answered
        await connection.send(orjson.dumps([5, "csms-1", "Reset", {}]).decode())
        answers.append(orjson.loads(await connection.recv()))
        await connection.wait_closed()

    async with serve(
        leave_the_boot_unanswered, "127.0.0.1", 0, subprotocols=[Subprotocol("ocpp1.6")]
    ) as server:
        url = f"ws://127.0.0.1:{server.sockets[0].getsockname()[1]}"
        [spec] = specs_for(tmp_path, url, 1)
        statistics = Statistics()
        station = ChargingStation(
            spec, clock=SystemClock(), on_change=lambda s, d: None, statistics=statistics
        )
        await station.start()
        try:
            await eventually(lambda: len(answers) == 1, WAIT * 5, "the CALLERROR")
            assert answers[0][:3] == [4, "csms-1", "MessageTypeNotSupported"]
            boots = statistics.command("BootNotification")
            await eventually(lambda: boots.timeouts == 1, WAIT * 5, "the boot's timeout")
        finally:
            await station.stop()
