"""TxStartPoint / TxStopPoint (Part 2 E01, E06; core/tx_points.py) on a 2.0.1 station: where
the core's plug, authorization and stop events start and end a transaction."""

from __future__ import annotations

import pytest

from simulator.station.core.tx_points import ends_on_unplug
from simulator.station.core.tx_ports import TxPoint
from simulator.station.ocpp201.tx_settings import (
    DEFAULT_STOP_POINTS,
    SUPPORTED_POINT_VALUES,
    parse_points,
)
from tests.ocpp201.tx_harness import Tx201, make_tx201, triggers

pytestmark = pytest.mark.timeout(10)


def points(start: str = "PowerPathClosed", stop: str = "EVConnected,Authorized") -> Tx201:
    tx = make_tx201()
    tx.variables.values["TxCtrlr.TxStartPoint"] = start
    tx.variables.values["TxCtrlr.TxStopPoint"] = stop
    tx.variables.values["SampledDataCtrlr.TxUpdatedInterval"] = "0"
    return tx


async def test_with_ev_connected_the_plug_starts_the_transaction_E01_FR_02() -> None:
    tx = points(start="EVConnected")
    await tx.plugs.plug(1)
    await tx.settle()
    [started] = tx.station.events()
    assert (started["eventType"], started["triggerReason"]) == ("Started", "CablePluggedIn")
    assert started["transactionInfo"]["chargingState"] == "EVConnected"
    assert started["evse"] == {"id": 1, "connectorId": 1}
    assert "idToken" not in started
    await tx.close()


async def test_the_default_start_point_waits_for_the_authorization_E01_FR_05() -> None:
    tx = points()
    await tx.plugs.plug(1)
    await tx.settle()
    assert tx.station.events() == []
    await tx.close()


async def test_an_authorization_after_the_plug_is_an_authorized_update_E02_FR_01() -> None:
    tx = points(start="EVConnected")
    await tx.plugs.plug(1)
    await tx.transactions.begin(1, "TAG-A")
    await tx.settle()
    updated = tx.station.events()[-1]
    assert (updated["eventType"], updated["triggerReason"], updated["seqNo"]) == (
        "Updated",
        "Authorized",
        1,
    )
    assert updated["idToken"]["idToken"] == "TAG-A"
    assert updated["transactionInfo"]["chargingState"] == "Charging"
    assert tx.station.connectors[1].status == "Charging"
    await tx.close()


async def test_no_energy_flows_before_the_authorization_E02() -> None:
    tx = points(start="EVConnected")
    await tx.plugs.plug(1)
    await tx.settle(3600)
    assert tx.transactions.advance(1).session_wh == 0
    await tx.transactions.begin(1, "TAG-A")
    await tx.settle(3600)
    assert tx.transactions.advance(1).session_wh > 0
    await tx.close()


async def test_with_the_default_stop_points_the_unplug_ends_the_transaction_E06_FR_02() -> None:
    """EVConnected is a stop point: StopTxOnEVSideDisconnect false does not keep it open."""
    tx = points()
    tx.variables.values["TxCtrlr.StopTxOnEVSideDisconnect"] = "false"
    await tx.plugs.plug(1)
    await tx.transactions.begin(1, "TAG-A")
    await tx.plugs.unplug(1)
    await tx.settle()
    ended = tx.station.events()[-1]
    assert (ended["eventType"], ended["triggerReason"]) == ("Ended", "EVCommunicationLost")
    assert ended["transactionInfo"]["stoppedReason"] == "EVDisconnected"
    assert ended["transactionInfo"]["chargingState"] == "Idle"
    await tx.close()


async def test_a_stop_point_without_ev_connected_suspends_at_the_unplug_E10() -> None:
    tx = points(stop="Authorized")
    tx.variables.values["TxCtrlr.StopTxOnEVSideDisconnect"] = "false"
    await tx.plugs.plug(1)
    await tx.transactions.begin(1, "TAG-A")
    await tx.plugs.unplug(1)
    await tx.plugs.plug(1)
    await tx.settle()
    events = tx.station.events()
    assert triggers(events[1:]) == [
        ("Updated", "EVCommunicationLost"),
        ("Updated", "CablePluggedIn"),
    ]
    assert [e["transactionInfo"]["chargingState"] for e in events[1:]] == ["Idle", "Charging"]
    await tx.close()


async def test_stop_tx_on_ev_side_disconnect_ends_an_authorized_stop_point_E09_FR_01() -> None:
    tx = points(stop="Authorized")
    await tx.plugs.plug(1)
    await tx.transactions.begin(1, "TAG-A")
    await tx.plugs.unplug(1)
    await tx.settle()
    assert triggers(tx.station.events())[-1] == ("Ended", "EVCommunicationLost")
    await tx.close()


async def test_without_authorized_a_local_stop_only_ends_the_authorization_E07() -> None:
    """E07's alternative: StopAuthorized as an update, the Ended at the unplug."""
    tx = points(start="EVConnected", stop="EVConnected")
    await tx.plugs.plug(1)
    await tx.transactions.begin(1, "TAG-A")
    await tx.transactions.stop(1, "Local")
    await tx.settle()
    updated = tx.station.events()[-1]
    assert (updated["eventType"], updated["triggerReason"]) == ("Updated", "StopAuthorized")
    assert updated["idToken"]["idToken"] == "TAG-A"
    assert updated["transactionInfo"]["chargingState"] == "EVConnected"
    assert tx.station.connectors[1].transaction_started
    await tx.plugs.unplug(1)
    await tx.settle()
    assert triggers(tx.station.events())[-1] == ("Ended", "EVCommunicationLost")
    await tx.close()


async def test_without_authorized_a_remote_stop_is_a_remote_stop_update_F03_FR_02() -> None:
    tx = points(start="EVConnected", stop="EVConnected")
    await tx.plugs.plug(1)
    await tx.transactions.begin(1, "TAG-A")
    await tx.transactions.stop(1, "Remote")
    await tx.settle()
    assert triggers(tx.station.events())[-1] == ("Updated", "RemoteStop")
    await tx.close()


async def test_a_driver_who_never_plugged_in_leaves_with_the_stop_E07() -> None:
    """The ATG's start models a driver who plugged in without telling the model: the
    stop ends the authorization, then the EV leaves, ending the transaction."""
    tx = points(stop="EVConnected")
    await tx.transactions.begin(1, "TAG-A")
    await tx.transactions.stop(1, "Local")
    await tx.settle()
    assert triggers(tx.station.events()) == [
        ("Started", "Authorized"),
        ("Updated", "StopAuthorized"),
        ("Ended", "EVCommunicationLost"),
    ]
    assert tx.station.events()[-1]["transactionInfo"]["stoppedReason"] == "Local"
    await tx.close()


async def test_a_refused_token_without_authorized_stop_point_is_deauthorized_E05_FR_09() -> None:
    tx = points(start="EVConnected", stop="EVConnected")
    tx.station.token_status = "Invalid"
    await tx.plugs.plug(1)
    await tx.transactions.begin(1, "TAG-X")
    await tx.settle()
    updated = tx.station.events()[-1]
    assert (updated["eventType"], updated["triggerReason"]) == ("Updated", "Deauthorized")
    assert updated["transactionInfo"]["chargingState"] == "EVConnected"
    await tx.close()


async def test_an_energy_transfer_stop_point_ends_a_refused_token_kept_open_E05_FR_02() -> None:
    tx = points(stop="EnergyTransfer")
    tx.variables.values["TxCtrlr.StopTxOnInvalidId"] = "false"
    tx.station.token_status = "Blocked"
    await tx.transactions.begin(1, "TAG-X")
    await tx.settle()
    assert triggers(tx.station.events())[-1] == ("Ended", "Deauthorized")
    await tx.close()


async def test_a_reset_ends_even_a_transaction_whose_stop_points_it_does_not_name() -> None:
    tx = points(start="EVConnected", stop="EVConnected")
    await tx.plugs.plug(1)
    await tx.transactions.stop_all("ImmediateReset")
    await tx.settle()
    assert triggers(tx.station.events())[-1] == ("Ended", "ResetCommand")
    await tx.close()


def test_points_evsim_cannot_reach_are_left_out_and_none_left_is_the_default() -> None:
    """ParkingBayOccupancy and DataSigned need a detector and a signing meter."""
    assert parse_points("ParkingBayOccupancy,Authorized", DEFAULT_STOP_POINTS) == {
        TxPoint.AUTHORIZED
    }
    assert parse_points("DataSigned", DEFAULT_STOP_POINTS) == DEFAULT_STOP_POINTS
    assert SUPPORTED_POINT_VALUES == "EVConnected,Authorized,PowerPathClosed,EnergyTransfer"


@pytest.mark.parametrize(
    ("stop", "stop_on_ev_side", "ends"),
    [
        ({TxPoint.EV_CONNECTED}, False, True),
        ({TxPoint.POWER_PATH_CLOSED}, False, True),
        ({TxPoint.AUTHORIZED}, True, True),
        ({TxPoint.AUTHORIZED}, False, False),
    ],
)
def test_an_unplug_ends_the_transaction_where_the_stop_points_say_E06_FR_02_E09_E10(
    stop: set[TxPoint], stop_on_ev_side: bool, ends: bool
) -> None:
    assert ends_on_unplug(stop, stop_on_ev_side=stop_on_ev_side) is ends
