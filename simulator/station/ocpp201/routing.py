"""OCPP 2.0.1: the table of the incoming actions the station handles (adding a handler is one
line here; nothing registers itself by being imported). An action of 2.0.1 without a row is
answered CALLERROR NotSupported (dispatch.py), as the deferred ones are (docs/ocpp201.md)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from simulator.station.ocpp201 import (
    availability,
    data_transfer,
    local_list,
    network_profiles,
    provisioning,
    remote_control,
    remote_trigger,
    reset,
    transaction_status,
)

# A handler takes the station as the narrow Protocol of its module (ProvisioningStation,
# RemoteControlStation, ...). No one Protocol can inherit them all (their members' orders
# admit no MRO), so the table takes the station as Any: that the station serves each port is
# shown by the integration tests of each handler against a real station
# (tests/test_ocpp201_station.py), not by mypy.
Handler = Callable[[Any, dict[str, Any]], Awaitable[dict[str, Any]]]

HANDLERS: dict[str, Handler] = {
    # B Provisioning
    "GetBaseReport": provisioning.get_base_report,
    "GetVariables": provisioning.get_variables,
    "SetVariables": provisioning.set_variables,
    "SetNetworkProfile": network_profiles.set_network_profile,
    "Reset": reset.reset,
    # C Authorization, D LocalAuthList
    "ClearCache": local_list.clear_cache,
    "GetLocalListVersion": local_list.get_local_list_version,
    "SendLocalList": local_list.send_local_list,
    # E Transactions
    "GetTransactionStatus": transaction_status.get_transaction_status,
    # F RemoteControl
    "RequestStartTransaction": remote_control.request_start_transaction,
    "RequestStopTransaction": remote_control.request_stop_transaction,
    "TriggerMessage": remote_trigger.trigger_message,
    "UnlockConnector": remote_control.unlock_connector,
    # G Availability
    "ChangeAvailability": availability.change_availability,
    # P DataTransfer
    "DataTransfer": data_transfer.data_transfer,
}

__all__ = ["HANDLERS", "Handler"]
