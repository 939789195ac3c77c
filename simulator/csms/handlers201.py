"""The OCPP 2.0.1 side of one station connection: the `ocpp` library's v201 messages, one
handler per action a Tier 1 station sends (../shared/ocpp201/SCOPE.md), answered from the same
Policy as 1.6 stations and booked in the same Report."""

from collections.abc import Mapping
from typing import Any

from ocpp.charge_point import serialize_as_dict, snake_to_camel_case
from ocpp.exceptions import OCPPError, SecurityError
from ocpp.v201 import call as v201_call
from ocpp.v201 import call_result
from ocpp.v201.datatypes import IdTokenInfoType
from ocpp.v201.enums import Action

from simulator.csms.boot_gate import BootGate
from simulator.csms.clock import iso_utc
from simulator.csms.recording import Outcome, RecordingChargePoint, on

__all__ = ["StationHandler201"]


class StationHandler201(RecordingChargePoint):
    """The 2.0.1 station's handlers (the base records and answers). 2.0.1 names its schema
    failures FormatViolation, as the library does, so only the unknown-action codes are
    swapped (P4 4.3)."""

    _call = v201_call
    _call_result = call_result
    _ocpp_version = "2.0.1"

    # The TransactionEvent being answered: its payload as sent, and its report key.
    _event_payload: Mapping[str, Any] | None = None
    _event_key: int | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.gate = BootGate()

    def _refusal(self, action: str, payload: Any) -> OCPPError | None:
        boot_status = self._report.station(self.id).boot_status
        if self.gate.refuses(action, payload, boot_status):
            return SecurityError(
                description=f"{action} sent while the boot is {boot_status}",
                details={"cause": "B01.FR.10 / B02.FR.09 / B03.FR.07"},
            )
        return None

    async def call(
        self,
        payload: Any,
        suppress: bool = True,
        unique_id: str | None = None,
        skip_schema_validation: bool = False,
    ) -> Any:
        # Before sending: the station may answer a TriggerMessage with the message at once.
        self.gate.sent(type(payload).__name__, snake_to_camel_case(serialize_as_dict(payload)))
        return await super().call(payload, suppress, unique_id, skip_schema_validation)

    def _receiving(self, action: str, payload: Any) -> None:
        self._event_payload = payload if action == Action.transaction_event else None
        self._event_key = None

    def _answered(self, outcome: Outcome) -> None:
        if self._event_key is not None:
            self._report.transaction_event_answered(self._event_key, outcome is Outcome.SENT)

    def _id_token_info(self, id_token: Mapping[str, Any]) -> IdTokenInfoType:
        return IdTokenInfoType(status=self._policy.id_tag_status(str(id_token["id_token"])))

    @on(Action.boot_notification)
    def on_boot_notification(
        self, charging_station: Mapping[str, Any], reason: str, **_: Any
    ) -> Any:
        # B01.FR.01, B02, B03: Accepted, Pending or Rejected, the interval a heartbeat
        # interval or a retry wait.
        status = self._policy.boot_status(self._report.station(self.id).boots)
        self._report.record_boot(self.id, status)
        self._log.debug(
            "boot {} {} ({}): {}",
            charging_station.get("vendor_name"),
            charging_station.get("model"),
            reason,
            status,
        )
        return call_result.BootNotification(
            current_time=iso_utc(self._clock()),
            interval=self._policy.boot_interval(status),
            status=status,
        )

    @on(Action.heartbeat)
    def on_heartbeat(self, **_: Any) -> Any:
        return call_result.Heartbeat(current_time=iso_utc(self._clock()))

    @on(Action.status_notification)
    def on_status_notification(
        self, *, evse_id: int, connector_id: int, connector_status: str, **_: Any
    ) -> Any:
        self._report.record_evse_status(self.id, evse_id, connector_id, connector_status)
        return call_result.StatusNotification()

    @on(Action.authorize)
    def on_authorize(self, id_token: Mapping[str, Any], **_: Any) -> Any:
        return call_result.Authorize(id_token_info=self._id_token_info(id_token))

    @on(Action.transaction_event)
    def on_transaction_event(
        self, *, event_type: str, id_token: Mapping[str, Any] | None = None, **_: Any
    ) -> Any:
        # Booked from the payload as sent (the library's snake_case copy would only be
        # translated back); schema-valid by now.
        assert self._event_payload is not None
        self._event_key = self._report.transaction_event(self.id, self._event_payload)
        self._log.debug("transaction event {}", event_type)
        # idTokenInfo answers an event that carries an idToken (TransactionEventResponse).
        return call_result.TransactionEvent(
            id_token_info=self._id_token_info(id_token) if id_token is not None else None
        )

    @on(Action.meter_values)
    def on_meter_values(self, evse_id: int, meter_value: list[Any], **_: Any) -> Any:
        return call_result.MeterValues()

    @on(Action.notify_report)
    def on_notify_report(self, request_id: int, seq_no: int, **_: Any) -> Any:
        self._log.debug("report {} part {}", request_id, seq_no)
        return call_result.NotifyReport()

    @on(Action.notify_event)
    def on_notify_event(self, seq_no: int, event_data: list[Any], **_: Any) -> Any:
        return call_result.NotifyEvent()

    @on(Action.data_transfer)
    def on_data_transfer(self, vendor_id: str, data: Any = None, **_: Any) -> Any:
        # P02: Accepted (data echoed) for a known vendorId, else UnknownVendorId.
        status = self._policy.data_transfer_status(vendor_id)
        accepted = status == "Accepted"
        return call_result.DataTransfer(status=status, data=data if accepted else None)

    @on(Action.firmware_status_notification)
    def on_firmware_status_notification(self, status: str, **_: Any) -> Any:
        self._log.debug("firmware status {}", status)
        return call_result.FirmwareStatusNotification()

    @on(Action.log_status_notification)
    def on_log_status_notification(self, status: str, **_: Any) -> Any:
        self._log.debug("log status {}", status)
        return call_result.LogStatusNotification()

    @on(Action.security_event_notification)
    def on_security_event_notification(self, type: str, timestamp: str, **_: Any) -> Any:
        self._log.debug("security event {} at {}", type, timestamp)
        return call_result.SecurityEventNotification()
