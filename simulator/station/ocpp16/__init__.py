"""OCPP 1.6: the table of incoming actions and the router over it (no registration by
import side effect: adding a handler is one line here)."""

from simulator.station.ocpp16 import (
    core,
    firmware_management,
    local_auth_list,
    remote_trigger,
    reservation,
    smart_charging,
)
from simulator.station.ocpp16.routing import Handler, Router

HANDLERS: dict[str, Handler] = {
    # Core profile (section 5)
    "ChangeAvailability": core.change_availability,
    "ChangeConfiguration": core.change_configuration,
    "ClearCache": core.clear_cache,
    "DataTransfer": core.data_transfer,
    "GetConfiguration": core.get_configuration,
    "RemoteStartTransaction": core.remote_start_transaction,
    "RemoteStopTransaction": core.remote_stop_transaction,
    "Reset": core.reset,
    "UnlockConnector": core.unlock_connector,
    # Firmware management
    "GetDiagnostics": firmware_management.get_diagnostics,
    "UpdateFirmware": firmware_management.update_firmware,
    # Local auth list management
    "GetLocalListVersion": local_auth_list.get_local_list_version,
    "SendLocalList": local_auth_list.send_local_list,
    # Remote trigger
    "TriggerMessage": remote_trigger.trigger_message,
    # Reservation
    "CancelReservation": reservation.cancel_reservation,
    "ReserveNow": reservation.reserve_now,
    # Smart charging
    "ClearChargingProfile": smart_charging.clear_charging_profile,
    "GetCompositeSchedule": smart_charging.get_composite_schedule,
    "SetChargingProfile": smart_charging.set_charging_profile,
}

ROUTER = Router(HANDLERS)

__all__ = ["HANDLERS", "ROUTER", "Handler", "Router"]
