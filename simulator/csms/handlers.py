"""The OCPP 1.6 side of one station connection: the `ocpp` library's ChargePoint, one handler
per action the Core, Firmware Management and Diagnostics profiles let a station send."""

import asyncio
import functools
import logging
import uuid
from collections import deque
from collections.abc import Callable
from typing import Any, ClassVar, NamedTuple, TypeVar

from loguru import logger
from ocpp import exceptions as ocpp_errors
from ocpp.exceptions import OCPPError
from ocpp.messages import CallResult, MessageType, validate_payload
from ocpp.routing import on as ocpp_on
from ocpp.v16 import ChargePoint, call_result
from ocpp.v16.datatypes import IdTagInfo
from ocpp.v16.enums import Action
from websockets.asyncio.server import ServerConnection

from simulator.csms.clock import Clock, iso_utc
from simulator.csms.policy import Policy
from simulator.csms.report import ReceivedMessage, Report, TransactionRecord, energy_register_wh

_Handler = TypeVar("_Handler", bound=Callable[..., Any])


def on(action: str) -> Callable[[_Handler], _Handler]:
    """`ocpp.routing.on` with a type: the library ships no hints, and an untyped decorator
    would erase every handler's signature for mypy."""
    decorator: Callable[[_Handler], _Handler] = ocpp_on(action)
    return decorator


def as_ocpp16_error(error: OCPPError) -> OCPPError:
    """The CALLERROR OCPP-J 1.6 (section 4.2.3) prescribes for what the library raised.

    The library answers an unknown action with NotSupported and a known one without handler
    with NotImplemented: the spec says the reverse. Its schema failures use the OCPP 2.0 code
    FormatViolation, which 1.6 calls FormationViolation. A station that checks error codes
    against the 1.6 list would reject either.
    """
    if isinstance(error, ocpp_errors.NotSupportedError):
        return ocpp_errors.NotImplementedError(
            description="Requested Action is not known by receiver", details=error.details
        )
    if isinstance(error, ocpp_errors.NotImplementedError):
        return ocpp_errors.NotSupportedError(
            description="Requested Action is recognized but not supported by the receiver",
            details=error.details,
        )
    if isinstance(error, ocpp_errors.FormatViolationError):
        return ocpp_errors.FormationViolationError(details=error.details)
    return error


class SchemaViolation(NamedTuple):
    """A message a station sent that the OCPP 1.6 schemas (or message set) refuse: a CALL the
    CSMS answered with a CALLERROR, or a CALLRESULT failing its schema."""

    station_id: str
    action: str
    code: str
    details: str


class _ToLoguru(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        logger.opt(exception=record.exc_info).log(record.levelname, record.getMessage())


def _drop_station_errors(record: logging.LogRecord) -> bool:
    # A station's malformed CALL is logged once, as a warning, by StationHandler; the
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


class StationHandler(ChargePoint):  # type: ignore[misc]  # ocpp is untyped
    """Answers one connected station and records what it says.

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
    ) -> None:
        """`answering`: while cleared, a CALL received waits, unrecorded and unanswered."""
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
        # The transaction the StartTransaction being answered began (Report.answer_lost).
        self._started: TransactionRecord | None = None

    async def _handle_call(self, msg: Any) -> Any:
        # Overridden because it is the one place that sees the parsed CALL with its original
        # payload before the library's snake_case copy: recording here costs no extra parse.
        if self._answering is not None and not self._answering.is_set():
            await self._answering.wait()
        now = self._clock()
        self._messages.append(ReceivedMessage(msg.action, msg.payload, now))
        self._report.record_received(self.id, msg.action, now)
        self._log.debug("received {} {}", msg.action, msg.payload)
        key = self._report.transaction_message(self.id, msg.action, msg.payload)
        self._started = None
        try:
            result = await super()._handle_call(msg)
        except OCPPError as error:
            self._report.answer_lost(key, None)
            # Unknown action or a payload failing the schema: the library's route_message
            # answers whatever OCPPError leaves here with a CALLERROR.
            answer = as_ocpp16_error(error)
            self._report.record_anomaly(self.id, f"{msg.action}.{answer.code}")
            self._record_violation(msg.action, answer)
            self._log.warning(
                "answered {} with CALLERROR {}: {}", msg.action, answer.code, answer.details
            )
            raise answer from error
        except BaseException:
            # The answer did not leave (the connection is closing): the station will send the
            # message again.
            self._report.answer_lost(key, self._started)
            raise
        else:
            self._report.answer_sent(key)
            return result
        finally:
            # After the handler ran and the answer was sent, so waiters see its records.
            self._on_change()

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

    def _id_tag_info(self, id_tag: str) -> Any:
        return IdTagInfo(status=self._policy.id_tag_status(id_tag))

    @on(Action.boot_notification)
    def on_boot_notification(
        self, charge_point_vendor: str, charge_point_model: str, **_: Any
    ) -> Any:
        status = self._policy.boot_status(self._report.station(self.id).boots)
        self._report.record_boot(self.id, status)
        self._log.debug("boot {} {}: {}", charge_point_vendor, charge_point_model, status)
        return call_result.BootNotification(
            current_time=iso_utc(self._clock()),
            interval=self._policy.boot_interval(status),
            status=status,
        )

    @on(Action.heartbeat)
    def on_heartbeat(self) -> Any:
        return call_result.Heartbeat(current_time=iso_utc(self._clock()))

    @on(Action.authorize)
    def on_authorize(self, id_tag: str) -> Any:
        return call_result.Authorize(id_tag_info=self._id_tag_info(id_tag))

    @on(Action.start_transaction)
    def on_start_transaction(
        self, *, connector_id: int, id_tag: str, meter_start: int, timestamp: str, **_: Any
    ) -> Any:
        id_tag_info = self._id_tag_info(id_tag)
        # A rejected idTag still gets an id (the schema requires one); the station then
        # stops the transaction with reason DeAuthorized, and the report shows both.
        transaction = self._started = self._report.start_transaction(
            self.id,
            connector_id=connector_id,
            id_tag=id_tag,
            id_tag_status=id_tag_info.status,
            meter_start=meter_start,
            timestamp=timestamp,
        )
        self._log.debug(
            "transaction {} started on connector {} for {}", transaction.id, connector_id, id_tag
        )
        return call_result.StartTransaction(transaction_id=transaction.id, id_tag_info=id_tag_info)

    @on(Action.stop_transaction)
    def on_stop_transaction(
        self,
        *,
        meter_stop: int,
        timestamp: str,
        transaction_id: int,
        id_tag: str | None = None,
        reason: str | None = None,
        transaction_data: list[dict[str, Any]] | None = None,
        **_: Any,
    ) -> Any:
        energy = energy_register_wh(transaction_data) if transaction_data else None
        self._report.stop_transaction(
            self.id,
            transaction_id,
            meter_stop=meter_stop,
            timestamp=timestamp,
            reason=reason,
            energy_wh=energy,
        )
        self._log.debug("transaction {} stopped: {}", transaction_id, reason or "Local")
        return call_result.StopTransaction(
            id_tag_info=self._id_tag_info(id_tag) if id_tag is not None else None
        )

    @on(Action.meter_values)
    def on_meter_values(
        self,
        connector_id: int,
        meter_value: list[dict[str, Any]],
        transaction_id: int | None = None,
    ) -> Any:
        if transaction_id is not None:
            self._report.add_meter_values(self.id, transaction_id, energy_register_wh(meter_value))
        return call_result.MeterValues()

    @on(Action.status_notification)
    def on_status_notification(self, connector_id: int, status: str, **_: Any) -> Any:
        self._report.record_status(self.id, connector_id, status)
        return call_result.StatusNotification()

    @on(Action.diagnostics_status_notification)
    def on_diagnostics_status_notification(self, status: str) -> Any:
        self._log.debug("diagnostics status {}", status)
        return call_result.DiagnosticsStatusNotification()

    @on(Action.firmware_status_notification)
    def on_firmware_status_notification(self, status: str) -> Any:
        self._log.debug("firmware status {}", status)
        return call_result.FirmwareStatusNotification()

    @on(Action.data_transfer)
    def on_data_transfer(
        self, vendor_id: str, message_id: str | None = None, data: str | None = None
    ) -> Any:
        status = self._policy.data_transfer_status(vendor_id)
        accepted = status == "Accepted"
        return call_result.DataTransfer(status=status, data=data if accepted else None)
