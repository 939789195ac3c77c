"""The OCPP 1.6 side of one station connection: the `ocpp` library's v16 messages, one handler
per action the Core, Firmware Management and Diagnostics profiles let a station send."""

from typing import Any

from ocpp import exceptions as ocpp_errors
from ocpp.exceptions import OCPPError
from ocpp.v16 import call as v16_call
from ocpp.v16 import call_result
from ocpp.v16.datatypes import IdTagInfo
from ocpp.v16.enums import Action

from simulator.csms.clock import iso_utc
from simulator.csms.recording import (
    Outcome,
    RecordingChargePoint,
    SchemaViolation,
    on,
    swap_unknown_action_codes,
)
from simulator.csms.report import TransactionRecord, energy_register_wh

__all__ = ["SchemaViolation", "StationHandler", "as_ocpp16_error"]


def as_ocpp16_error(error: OCPPError) -> OCPPError:
    """The CALLERROR OCPP-J 1.6 (section 4.2.3) prescribes for what the library raised.

    Besides the swapped unknown-action codes (recording.py), its schema failures use the OCPP
    2.0 code FormatViolation, which 1.6 calls FormationViolation. A station that checks error
    codes against the 1.6 list would reject either.
    """
    if isinstance(error, ocpp_errors.FormatViolationError):
        return ocpp_errors.FormationViolationError(details=error.details)
    return swap_unknown_action_codes(error)


class StationHandler(RecordingChargePoint):
    """The 1.6 station's handlers (the base records and answers)."""

    _call = v16_call
    _call_result = call_result
    _ocpp_version = "1.6"

    # The transaction message being answered (Report.transaction_message), and the
    # transaction its StartTransaction began (Report.answer_lost).
    _key: int | None = None
    _started: TransactionRecord | None = None

    def _callerror(self, error: OCPPError) -> OCPPError:
        return as_ocpp16_error(error)

    def _receiving(self, action: str, payload: Any) -> None:
        self._key = self._report.transaction_message(self.id, action, payload)
        self._started = None

    def _answered(self, outcome: Outcome) -> None:
        if outcome is Outcome.SENT:
            self._report.answer_sent(self._key)
        else:
            started = self._started if outcome is Outcome.LOST else None
            self._report.answer_lost(self._key, started)

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
