"""OCPP-J RPC over one open WebSocket: one CALL in flight, incoming CALLs routed to handlers.

This is evsim's own thin layer instead of the `ocpp` library's ChargePoint, whose dataclass
conversion and jsonschema validation cost about 1.1 ms per message (DESIGN.md, data flow 4).

What the CSMS may not do, and what the station answers (OCPP-J 1.6 sections 4.1-4.2; 2.0.1
Part 4 sections 4.1-4.4, where its `Framing` differs):

- A frame that cannot be read (bad JSON, not an array, bad shape) is answered with a CALLERROR
  FormationViolation when it is a CALL with a usable message id, else only logged: a CALLERROR
  answers a CALL, never an answer (4.2.3). An unknown message type is ignored (4.1.3).
  2.0.1 answers what it cannot read with RpcFrameworkError and id "-1", and an unknown message
  type with MessageTypeNotSupported (ocpp201/errors.py FRAMING_201).
- A CALL whose id equals that of a CALL the station is still answering is refused with a
  CALLERROR GenericError carrying that id; the first CALL is answered as usual. Section 4.2.3
  names "an existing call with the same unique identifier is being handled already" as a case
  for a CallError, and no code of its table fits better than GenericError ("any other error").
  Ids of CALLs already answered are not remembered: that would grow without bound, and the
  CSMS, not the station, owns the uniqueness of its ids (4.1.4).
- The CSMS should have one CALL in flight (4.1.1). The station answers up to
  MAX_CALLS_ANSWERED at once (a CSMS whose CALL timed out may send the next one while the
  station still works on the first) and refuses any CALL beyond with a CALLERROR GenericError
  instead of queueing it, so a flood of CALLs holds at most that many tasks.
- Refusals are sent by the reader itself, not by a task per frame: a peer that floods the
  station without reading its answers stalls its own stream (the socket's back-pressure)
  instead of growing the station's memory.
- A frame bigger than the connection's max_size (wsOptions maxPayload, websockets' 1 MiB by
  default) is never read: websockets closes the connection with 1009 (RFC 6455 section 7.4.1)
  and the station reconnects as after any close it did not ask for.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, Protocol

from loguru import logger

from simulator.station import frames
from simulator.station.frames import (
    FRAMING_16,
    Call,
    CallError,
    CallResult,
    ErrorCode,
    FrameError,
    Framing,
    OcppError,
)
from simulator.station.schemas import Schemas
from simulator.stats import Statistics

CallHandler = Callable[[str, dict[str, Any]], Awaitable[dict[str, Any]]]
# An error code as the session's OCPP version spells it on the wire (ErrorCode's values are
# OCPP-J 1.6's spelling, typos included; a later version corrects two of them).
ErrorSpelling = Callable[[ErrorCode], str]
# Seconds a CALL waits for its answer, read at each CALL (2.0.1: OCPPCommCtrlr.MessageTimeout,
# which a SetVariables may change while the connection is open).
TimeoutProvider = Callable[[], float]

MAX_CALLS_ANSWERED = 4
# An error description may quote the wire (an action name of a megabyte): sent back shortened.
MAX_DESCRIPTION_LENGTH = 200


def first_message_id(started: datetime) -> int:
    """The first message id of a station started at `started`: its microseconds since the epoch
    (16 digits, within OCPP-J's string[36]), counted up by one per CALL.

    2.0.1 Part 4 4.1.4: an id is never used again for the station's identity, on any
    connection, retries included. Ids count up from here for the life of the process, and a
    later start begins above every id of an earlier one unless that one made more CALLs than
    it lived microseconds, which one CALL in flight at a time rules out (a wall clock set back
    aside). 1.6 asks the same within one connection (4.1.4), which counting alone gives."""
    return int(started.timestamp() * 1_000_000)


class Transport(Protocol):
    """The part of a websockets connection the session uses (so tests may pass a fake peer)."""

    async def send(self, message: str) -> None: ...

    async def recv(self) -> str | bytes: ...


class CallFailed(Exception):
    """The CSMS answered a CALL with a CALLERROR."""

    def __init__(self, action: str, error: CallError) -> None:
        super().__init__(f"{action}: {error.code} {error.description}".rstrip())
        self.action = action
        self.error = error


class ConnectionLost(Exception):
    """The connection closed while a CALL waited for its answer."""


class InvalidResponse(Exception):
    """A handler answered with a payload that breaks its schema: a bug of the station."""


class RpcSession:
    def __init__(
        self,
        transport: Transport,
        handle_call: CallHandler,
        *,
        schemas: Schemas,
        message_ids: itertools.count[int],
        response_timeout: float | TimeoutProvider,
        validate_payloads: bool,
        statistics: Statistics | None,
        log: Any = logger,
        spell_error: ErrorSpelling = str,
        framing: Framing = FRAMING_16,
    ) -> None:
        """`schemas`: the payload validators of the version spoken; `spell_error` its spelling
        of the CALLERROR codes; `framing` what it answers to a frame it cannot use.
        `response_timeout`: seconds, or a function giving them at each CALL."""
        self._transport = transport
        self._handle_call = handle_call
        self._schemas = schemas
        self._spell = spell_error
        self._framing = framing
        self._ids = message_ids
        self._response_timeout: TimeoutProvider = (
            response_timeout if callable(response_timeout) else _constant(response_timeout)
        )
        self._validate = validate_payloads
        self._statistics = statistics
        self._log = log
        # One CALL in flight (OCPP-J 4.1.1): callers queue on the lock, in order.
        self._lock = asyncio.Lock()
        self._pending: tuple[str, asyncio.Future[CallResult | CallError]] | None = None
        # Incoming CALLs being answered, by message id: duplicates and floods are refused.
        self._answering: dict[str, asyncio.Task[None]] = {}
        self._closed = False

    @property
    def closed(self) -> bool:
        return self._closed

    async def call(self, action: str, payload: dict[str, Any]) -> dict[str, Any]:
        """Send a CALL and return the CALLRESULT payload.

        Raises CallFailed on CALLERROR, TimeoutError when no answer came in time, ConnectionLost
        when the connection closes first.
        """
        if self._validate:
            self._schemas.validate(action, payload)
        async with self._lock:
            if self._closed:
                raise ConnectionLost(action)
            message_id = str(next(self._ids))
            if len(message_id) > frames.MAX_MESSAGE_ID_LENGTH:  # OCPP-J 4.1.4: string[36]
                raise ValueError(f"message id {message_id[:40]} longer than 36 characters")
            loop = asyncio.get_running_loop()
            future: asyncio.Future[CallResult | CallError] = loop.create_future()
            self._pending = (message_id, future)
            # Counters are looked up after each await, never held across one: the host may
            # take the window meanwhile, and a count belongs to the window it happened in.
            statistics = self._statistics
            started = time.perf_counter_ns()
            try:
                await self._transport.send(frames.encode_call(message_id, action, payload))
                if statistics is not None:
                    statistics.command(action).requests += 1
                # A timer on the future, not asyncio.wait_for: no extra task per CALL.
                timer = loop.call_later(self._response_timeout(), _expire, future)
                try:
                    answer = await future
                finally:
                    timer.cancel()
            except TimeoutError:
                if statistics is not None:
                    statistics.command(action).timeouts += 1
                raise
            except Exception as exc:
                raise ConnectionLost(action) from exc
            finally:
                self._pending = None
            command = statistics.command(action) if statistics is not None else None
            if command is not None:
                command.latency_us.record((time.perf_counter_ns() - started) // 1000)
            if isinstance(answer, CallError):
                if command is not None:
                    command.errors += 1
                raise CallFailed(action, answer)
            if command is not None:
                command.responses += 1
            if self._validate:
                self._schemas.validate(f"{action}Response", answer.payload)
            return answer.payload

    async def run(self) -> None:
        """Read frames until the connection closes; then every waiting CALL fails at once."""
        try:
            while True:
                data = await self._transport.recv()
                refusal = self._receive(data)
                if refusal is not None:
                    await self._send(refusal)
        finally:
            self._closed = True
            if self._pending is not None and not self._pending[1].done():
                future = self._pending[1]
                future.set_exception(ConnectionLost("connection closed"))
                # The caller may have been cancelled meanwhile; nobody else needs the error.
                future.exception()
            for task in list(self._answering.values()):
                task.cancel()

    async def answers_sent(self, timeout: float) -> None:
        """Until the CALLs received so far are answered, their answers handed to the
        connection (at most `timeout` s): a station about to close lets them leave first."""
        current = asyncio.current_task()
        answering = [task for task in self._answering.values() if task is not current]
        if answering:
            await asyncio.wait(answering, timeout=timeout)

    def _receive(self, data: str | bytes) -> str | None:
        """Route one frame; the CALLERROR to send at once, if the frame is refused."""
        try:
            frame = frames.parse(data, self._framing)
        except FrameError as exc:
            self._log.warning("Bad frame from CSMS: {}", exc.description)
            if exc.message_id is None:
                return None
            return frames.encode_error(exc.message_id, self._spell(exc.code), exc.description)
        if isinstance(frame, Call):
            return self._accept(frame)
        pending = self._pending
        if pending is None or pending[0] != frame.message_id:
            self._log.warning("Answer to an unknown message id {!r} ignored", frame.message_id)
            return None
        if not pending[1].done():
            pending[1].set_result(frame)
        return None

    def _accept(self, call: Call) -> str | None:
        if call.message_id in self._answering:
            self._log.warning("CALL {} reuses the id of one being answered", call.action[:40])
            return frames.encode_error(
                call.message_id,
                self._spell(ErrorCode.GENERIC_ERROR),
                "a CALL with this message id is being handled already",
            )
        if len(self._answering) >= MAX_CALLS_ANSWERED:
            self._log.warning("CALL {} refused: too many CALLs in flight", call.action[:40])
            return frames.encode_error(
                call.message_id,
                self._spell(ErrorCode.GENERIC_ERROR),
                f"more than {MAX_CALLS_ANSWERED} CALLs in flight (OCPP-J 4.1.1)",
            )
        task = asyncio.ensure_future(self._answer(call))
        self._answering[call.message_id] = task
        task.add_done_callback(lambda _: self._answering.pop(call.message_id, None))
        return None

    async def _answer(self, call: Call) -> None:
        # Counted under the action's name with the station's handling time as its latency.
        statistics = self._statistics
        started = time.perf_counter_ns()
        try:
            # Incoming CALLs are always validated: a station must not act on a malformed order.
            # Only an action's own schema applies: "ResetResponse" is no action, and its payload
            # is not checked against the response schema of that name.
            schemas = self._schemas
            if schemas.is_known_action(call.action):
                schemas.validate(call.action, call.payload)
            response = await self._handle_call(call.action, call.payload)
            if self._validate:
                _validate_own_response(schemas, call.action, response)
        except OcppError as exc:
            if statistics is not None:
                _count_answer(statistics, call.action, started, error=True)
            await self._send(
                frames.encode_error(
                    call.message_id, self._spell(exc.code), _shortened(exc.description), exc.details
                )
            )
            return
        except Exception as exc:
            self._log.exception("Handler for {} failed", call.action)
            if statistics is not None:
                _count_answer(statistics, call.action, started, error=True)
            await self._send(
                frames.encode_error(
                    call.message_id, self._spell(ErrorCode.INTERNAL_ERROR), _shortened(str(exc))
                )
            )
            return
        if statistics is not None:
            _count_answer(statistics, call.action, started, error=False)
        await self._send(frames.encode_result(call.message_id, response))

    async def _send(self, message: str) -> None:
        try:
            await self._transport.send(message)
        except Exception as exc:  # the connection is gone: the reader loop will notice
            self._log.debug("Send failed: {}", exc)


def _constant(seconds: float) -> TimeoutProvider:
    return lambda: seconds


def _shortened(description: str) -> str:
    if len(description) <= MAX_DESCRIPTION_LENGTH:
        return description
    return description[: MAX_DESCRIPTION_LENGTH - 3] + "..."


def _count_answer(statistics: Statistics, action: str, started_ns: int, *, error: bool) -> None:
    command = statistics.command(action)
    command.requests += 1
    if error:
        command.errors += 1
    else:
        command.responses += 1
    command.latency_us.record((time.perf_counter_ns() - started_ns) // 1000)


def _validate_own_response(schemas: Schemas, action: str, response: dict[str, Any]) -> None:
    # Answered as InternalError: a schema code would tell the CSMS that its request was wrong.
    try:
        schemas.validate(f"{action}Response", response)
    except OcppError as exc:
        raise InvalidResponse(exc.description) from None


def _expire(future: asyncio.Future[Any]) -> None:
    if not future.done():
        future.set_exception(TimeoutError("no answer within the response timeout"))
