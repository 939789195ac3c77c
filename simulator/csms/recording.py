"""What every station connection does whatever its OCPP version: record each CALL it receives
before the library answers it, map the library's CALLERROR codes to the spec's, and note the
CALLRESULTs that fail their schema. The version's handlers subclass it (handlers.py for 1.6,
handlers201.py for 2.0.1)."""

import asyncio
import dataclasses
import functools
import logging
import uuid
from collections import deque
from collections.abc import Callable
from enum import Enum
from typing import Any, ClassVar, NamedTuple, TypeVar

from loguru import logger
from ocpp import exceptions as ocpp_errors
from ocpp.charge_point import ChargePoint
from ocpp.exceptions import OCPPError
from ocpp.messages import CallResult, MessageType, validate_payload
from ocpp.routing import on as ocpp_on
from websockets.asyncio.server import ServerConnection

from simulator.csms.clock import Clock
from simulator.csms.journal import Journal, JournalEntry
from simulator.csms.policy import Policy
from simulator.csms.report import ReceivedMessage, Report

_Handler = TypeVar("_Handler", bound=Callable[..., Any])
# How the library encodes a CALLRESULT: json.dumps([3, "<id>", {...}], separators=(",", ":")).
_CALL_RESULT_PREFIX = '[3,"'


def on(action: str) -> Callable[[_Handler], _Handler]:
    """`ocpp.routing.on` with a type: the library ships no hints, and an untyped decorator
    would erase every handler's signature for mypy."""
    decorator: Callable[[_Handler], _Handler] = ocpp_on(action)
    return decorator


def swap_unknown_action_codes(error: OCPPError) -> OCPPError:
    """The library answers an unknown action with NotSupported and a known one without handler
    with NotImplemented; OCPP-J says the reverse, in 1.6 (section 4.2.3) as in 2.0.1 (P4 4.3)."""
    if isinstance(error, ocpp_errors.NotSupportedError):
        return ocpp_errors.NotImplementedError(
            description="Requested Action is not known by receiver", details=error.details
        )
    if isinstance(error, ocpp_errors.NotImplementedError):
        return ocpp_errors.NotSupportedError(
            description="Requested Action is recognized but not supported by the receiver",
            details=error.details,
        )
    return error


class SchemaViolation(NamedTuple):
    """A message a station sent that its version's schemas (or message set) refuse: a CALL the
    CSMS answered with a CALLERROR, or a CALLRESULT failing its schema."""

    station_id: str
    action: str
    code: str
    details: str


class Outcome(Enum):
    """What became of the answer to a received CALL."""

    SENT = "sent"
    REFUSED = "refused"  # answered with a CALLERROR
    LOST = "lost"  # not sent: the connection was closing


class _ToLoguru(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        logger.opt(exception=record.exc_info).log(record.levelname, record.getMessage())


def _drop_station_errors(record: logging.LogRecord) -> bool:
    # A station's malformed CALL is logged once, as a warning, by RecordingChargePoint; the
    # library's traceback for it would only be noise. Our own handlers' bugs keep theirs.
    return not (record.exc_info and isinstance(record.exc_info[1], OCPPError))


@functools.cache
def _library_logger() -> logging.Logger:
    """The stdlib logger handed to the library, forwarding its errors to loguru.

    Below ERROR it only repeats, per message, what we log ourselves (and a CALLERROR answer
    to `call()` is raised to the caller), so it is kept quiet; a logger of our own rather than
    the library's "ocpp" one leaves the process's logging configuration alone.
    """
    library_logger = logging.getLogger("simulator.csms.ocpp")
    library_logger.setLevel(logging.ERROR)
    library_logger.propagate = False
    library_logger.addFilter(_drop_station_errors)
    library_logger.addHandler(_ToLoguru())
    return library_logger


class RecordingChargePoint(ChargePoint):  # type: ignore[misc]  # ocpp is untyped
    """Answers one connected station and records what it says; a subclass names the version
    (`_call`, `_call_result`, `_ocpp_version`, as the library's per-version ChargePoint does)
    and holds the handlers.

    Handlers are plain functions (the library accepts both): none of them waits on I/O, and a
    coroutine per message would only add overhead. Their keyword arguments are the library's
    snake_case rendering of the payload; `**_` absorbs optional fields a handler ignores.
    """

    # Every violation any instance received in this process, oldest first: the test suite
    # checks it stays empty (each station message valid), which no per-instance report can
    # show once a test's CentralSystem is gone. Tests that send invalid messages on purpose
    # remove their own entries.
    schema_violations: ClassVar[list[SchemaViolation]] = []

    def __init__(
        self,
        station_id: str,
        websocket: ServerConnection,
        *,
        policy: Policy,
        report: Report,
        messages: deque[ReceivedMessage],
        clock: Clock,
        on_change: Callable[[], None],
        response_timeout: float,
        answering: asyncio.Event | None = None,
        journal: Journal | None = None,
    ) -> None:
        """`answering`: while cleared, a CALL received waits, unrecorded and unanswered.
        `journal`: where each CALL answered with a CALLRESULT is written before the answer
        leaves (journal.py)."""
        super().__init__(
            station_id, websocket, response_timeout=response_timeout, logger=_library_logger()
        )
        self.websocket = websocket
        self._policy = policy
        self._report = report
        self._messages = messages
        self._clock = clock
        self._on_change = on_change
        # Not `self.logger`: the base class logs through that stdlib logger.
        self._log = logger.bind(station=station_id)
        # Action of each CALL awaiting its answer, by unique id: the library's response hook
        # sees only the id.
        self._calling: dict[str, str] = {}
        self._answering = answering
        self._journal = journal
        # CALLs being handled, by unique id, until their CALLRESULT is written to the journal.
        self._unanswered: dict[str, JournalEntry] = {}

    @property
    def ocpp_version(self) -> str:
        return str(self._ocpp_version)

    @property
    def calls_module(self) -> str:
        """The module of this version's CALL dataclasses (`ocpp.v16.call`, ...)."""
        return str(self._call.__name__)

    def _callerror(self, error: OCPPError) -> OCPPError:
        """The CALLERROR this version prescribes for what the library raised."""
        return swap_unknown_action_codes(error)

    def _receiving(self, action: str, payload: Any) -> None:
        """Called before the library handles a CALL (a version's retransmission bookkeeping)."""

    def _answered(self, outcome: Outcome) -> None:
        """Called once the CALL's answer was sent, refused or lost."""

    def _refusal(self, action: str, payload: Any) -> OCPPError | None:
        """The CALLERROR a valid CALL gets for being sent when it must not be (the station's
        protocol error, not a schema violation); None to handle it."""
        return None

    async def _handle_call(self, msg: Any) -> Any:
        # Overridden because it is the one place that sees the parsed CALL with its original
        # payload before the library's snake_case copy: recording here costs no extra parse.
        if self._answering is not None and not self._answering.is_set():
            await self._answering.wait()
        now = self._clock()
        if self._journal is not None:
            self._unanswered[msg.unique_id] = JournalEntry(
                self.id, self.ocpp_version, msg.action, msg.payload, now.isoformat()
            )
        self._messages.append(ReceivedMessage(msg.action, msg.payload, now))
        self._report.record_received(self.id, msg.action, now)
        self._log.debug("received {} {}", msg.action, msg.payload)
        self._receiving(msg.action, msg.payload)
        refusal = self._refusal(msg.action, msg.payload)
        if refusal is not None:
            self._journal_refused(msg.unique_id, refusal.code)
            self._answered(Outcome.REFUSED)
            self._report.record_anomaly(self.id, f"{msg.action}.{refusal.code}")
            self._log.warning("answered {} with CALLERROR {}", msg.action, refusal.code)
            self._on_change()
            raise refusal
        try:
            result = await super()._handle_call(msg)
        except OCPPError as error:
            self._answered(Outcome.REFUSED)
            # Unknown action or a payload failing the schema: the library's route_message
            # answers whatever OCPPError leaves here with a CALLERROR.
            answer = self._callerror(error)
            self._journal_refused(msg.unique_id, answer.code)
            self._report.record_anomaly(self.id, f"{msg.action}.{answer.code}")
            self._record_violation(msg.action, answer)
            self._log.warning(
                "answered {} with CALLERROR {}: {}", msg.action, answer.code, answer.details
            )
            raise answer from error
        except BaseException:
            # The answer did not leave (the connection is closing): the station will send the
            # message again.
            self._answered(Outcome.LOST)
            raise
        else:
            self._answered(Outcome.SENT)
            return result
        finally:
            self._unanswered.pop(msg.unique_id, None)
            # After the handler ran and the answer was sent, so waiters see its records.
            self._on_change()

    def _journal_refused(self, unique_id: str, code: str) -> None:
        entry = self._unanswered.pop(unique_id, None)
        if entry is not None and self._journal is not None:
            self._journal.write(dataclasses.replace(entry, refused=code))

    async def _send(self, message: str) -> None:
        # The one place a CALLRESULT passes before it leaves: the journal has the CALL first.
        if self._unanswered and message.startswith(_CALL_RESULT_PREFIX):
            unique_id = message[len(_CALL_RESULT_PREFIX) : message.find('"', 4)]
            entry = self._unanswered.pop(unique_id, None)
            if entry is not None and self._journal is not None:
                self._journal.write(entry)
        await super()._send(message)

    async def call(
        self,
        payload: Any,
        suppress: bool = True,
        unique_id: str | None = None,
        skip_schema_validation: bool = False,
    ) -> Any:
        unique_id = unique_id if unique_id is not None else str(uuid.uuid4())
        self._calling[unique_id] = type(payload).__name__
        try:
            return await super().call(payload, suppress, unique_id, skip_schema_validation)
        finally:
            del self._calling[unique_id]

    async def _get_specific_response(self, unique_id: str, timeout: float) -> Any:
        # Overridden to record a CALLRESULT failing its schema: the library raises the same
        # error for it as for the station's CALLERROR, so `call` cannot tell them apart.
        response = await super()._get_specific_response(unique_id, timeout)
        action = self._calling.get(unique_id)
        if action is not None and response.message_type_id == MessageType.CallResult:
            try:
                await validate_payload(
                    CallResult(unique_id, dict(response.payload), action), self._ocpp_version
                )
            except OCPPError as error:
                self._record_violation(f"{action}.conf", error)
        return response

    def _record_violation(self, action: str, error: OCPPError) -> None:
        details = error.details if isinstance(error.details, dict) else {}
        cause = str(details.get("cause", error.description))
        self.schema_violations.append(SchemaViolation(self.id, action, error.code, cause))
