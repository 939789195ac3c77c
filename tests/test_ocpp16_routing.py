"""The OCPP 1.6 router: an explicit table of the actions a Central System may send (issue 14:
no registration by import side effect, so a handler left out of the table is a test failure,
not a silent NotSupported)."""

from __future__ import annotations

from typing import Any

from simulator.station.ocpp16 import HANDLERS, ROUTER
from simulator.station.ocpp16.ports import Station16
from simulator.station.ocpp16.routing import Router

# OCPP 1.6 section 5, "Operations Initiated by Central System", 5.1 to 5.19.
SECTION_5 = frozenset(
    {
        "CancelReservation",
        "ChangeAvailability",
        "ChangeConfiguration",
        "ClearCache",
        "ClearChargingProfile",
        "DataTransfer",
        "GetCompositeSchedule",
        "GetConfiguration",
        "GetDiagnostics",
        "GetLocalListVersion",
        "RemoteStartTransaction",
        "RemoteStopTransaction",
        "ReserveNow",
        "Reset",
        "SendLocalList",
        "SetChargingProfile",
        "TriggerMessage",
        "UnlockConnector",
        "UpdateFirmware",
    }
)


def test_the_router_handles_every_operation_initiated_by_the_central_system() -> None:
    assert set(ROUTER.handlers) == SECTION_5


def test_the_router_has_no_handler_for_an_action_the_station_sends() -> None:
    """BootNotification goes from the station to the CSMS (section 4.2), never the other way."""
    assert ROUTER.handler("BootNotification") is None


def test_a_router_serves_the_table_itself_not_a_copy() -> None:
    async def echo(station: Station16, payload: dict[str, Any]) -> dict[str, Any]:
        return payload

    table = {"Reset": echo}
    router = Router(table)
    del table["Reset"]  # the table itself, as tests/test_station.py edits HANDLERS

    assert router.handler("Reset") is None


def test_handlers_is_the_table_of_the_1_6_router() -> None:
    assert ROUTER.handlers is HANDLERS
