"""Core profile messages (OCPP 1.6 sections 4 and 5) between a station and the bundled CSMS."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from ocpp.exceptions import OccurenceConstraintViolationError
from ocpp.v16 import call

from simulator.csms import CentralSystem
from simulator.station.rpc import CallFailed
from simulator.station.station import OPEN, ChargingStation
from tests.test_station import booted, make_station
from tests.waiting import eventually

pytestmark = pytest.mark.integration

TIMEOUT = 10


@pytest.fixture
async def csms() -> AsyncIterator[CentralSystem]:
    async with CentralSystem(heartbeat_interval=60, reject_id_tags=("BAD-TAG",)) as central:
        yield central


def keys(**values: str) -> dict[str, Any]:
    """The quick template's configuration keys plus `values`."""
    base = [
        {"key": "HeartbeatInterval", "readonly": False, "value": "60"},
        {"key": "ConnectionTimeOut", "readonly": False, "value": "1"},
    ]
    extra = [{"key": key, "readonly": False, "value": value} for key, value in values.items()]
    return {"configurationKey": base + extra}


def statuses(csms: CentralSystem, station: ChargingStation, connector_id: int) -> list[str]:
    """The statuses the CSMS received for one connector, in order."""
    return [
        m.payload["status"]
        for m in csms.received(station.spec.station_id, "StatusNotification")
        if m.payload["connectorId"] == connector_id
    ]


def actions(csms: CentralSystem, station: ChargingStation) -> list[str]:
    return [m.action for m in csms.received(station.spec.station_id)]


async def remote_start(
    csms: CentralSystem, station: ChargingStation, connector_id: int | None = 1, tag: str = "TAG"
) -> str:
    """A RemoteStartTransaction; once Accepted, waits for the transaction to run."""
    sid = station.spec.station_id
    answer = await csms.call(
        sid, call.RemoteStartTransaction(id_tag=tag, connector_id=connector_id)
    )
    if answer.status == "Accepted" and tag != "BAD-TAG":
        await eventually(
            lambda: any(c.transaction_id is not None for c in station.connectors.values()),
            TIMEOUT,
            "transaction started",
        )
    return str(answer.status)


# -- RemoteStartTransaction / RemoteStopTransaction (sections 5.11, 5.12) -----------------------


async def test_remote_start_authorizes_then_starts_on_the_requested_connector(
    tmp_path: Path, csms: CentralSystem
) -> None:
    """Section 5.11: with AuthorizeRemoteTxRequests true, Authorize precedes StartTransaction;
    the connector goes Preparing then Charging (section 4.9, A2 and B3)."""
    station, _ = make_station(tmp_path, csms.url)
    async with booted(station, csms):
        assert await remote_start(csms, station, 2) == "Accepted"
        sent = actions(csms, station)
        assert sent.index("Authorize") < sent.index("StartTransaction")
        start = csms.received(station.spec.station_id, "StartTransaction")[0].payload
        assert (start["connectorId"], start["idTag"]) == (2, "TAG")
        await eventually(lambda: statuses(csms, station, 2)[-2:] == ["Preparing", "Charging"], 5)
        assert station.connectors[2].transaction_started


async def test_remote_start_skips_authorize_when_authorize_remote_tx_requests_is_false(
    tmp_path: Path, csms: CentralSystem
) -> None:
    """Section 9.1.1 AuthorizeRemoteTxRequests false: the remote start is not authorized first."""
    station, _ = make_station(
        tmp_path, csms.url, Configuration=keys(AuthorizeRemoteTxRequests="false")
    )
    async with booted(station, csms):
        assert await remote_start(csms, station) == "Accepted"
        assert "Authorize" not in actions(csms, station)


@pytest.mark.key("mustAuthorizeAtRemoteStart")
async def test_remote_start_skips_authorize_when_the_template_does_not_require_it(
    tmp_path: Path, csms: CentralSystem
) -> None:
    """Template mustAuthorizeAtRemoteStart false: no Authorize whatever the key says."""
    station, _ = make_station(tmp_path, csms.url, mustAuthorizeAtRemoteStart=False)
    async with booted(station, csms):
        assert await remote_start(csms, station) == "Accepted"
        assert "Authorize" not in actions(csms, station)


async def test_remote_start_without_connector_takes_the_first_free_one(
    tmp_path: Path, csms: CentralSystem
) -> None:
    """Section 5.11: no connectorId -> the station selects the connector (the first free)."""
    station, _ = make_station(tmp_path, csms.url)
    async with booted(station, csms):
        await remote_start(csms, station, 1)
        assert await remote_start(csms, station, None, "OTHER") == "Accepted"
        await eventually(lambda: station.connectors[2].transaction_id is not None, TIMEOUT)
        assert station.connectors[2].transaction_id_tag == "OTHER"


async def test_remote_start_on_an_occupied_connector_is_rejected(
    tmp_path: Path, csms: CentralSystem
) -> None:
    station, _ = make_station(tmp_path, csms.url)
    async with booted(station, csms):
        await remote_start(csms, station, 1)
        assert await remote_start(csms, station, 1, "OTHER") == "Rejected"
        assert len(csms.received(station.spec.station_id, "StartTransaction")) == 1


async def test_remote_start_on_an_unavailable_connector_is_rejected(
    tmp_path: Path, csms: CentralSystem
) -> None:
    station, _ = make_station(tmp_path, csms.url)
    async with booted(station, csms):
        sid = station.spec.station_id
        await csms.call(sid, call.ChangeAvailability(connector_id=1, type="Inoperative"))
        assert await remote_start(csms, station, 1) == "Rejected"
        assert await remote_start(csms, station, 7) == "Rejected"  # no such connector


async def test_remote_start_for_a_refused_id_tag_starts_nothing(
    tmp_path: Path, csms: CentralSystem
) -> None:
    """Section 5.11: Accepted is the request's acceptance (errata 3.32); the Authorize refusal
    then ends the usage: connector back to Available (B1), no StartTransaction."""
    station, _ = make_station(tmp_path, csms.url)
    async with booted(station, csms):
        assert await remote_start(csms, station, 1, "BAD-TAG") == "Accepted"
        await eventually(lambda: statuses(csms, station, 1)[-2:] == ["Preparing", "Available"], 5)
        assert "StartTransaction" not in actions(csms, station)
        assert station.connectors[1].status == "Available"


def tx_profile(purpose: str = "TxProfile") -> dict[str, Any]:
    return {
        "charging_profile_id": 7,
        "stack_level": 0,
        "charging_profile_purpose": purpose,
        "charging_profile_kind": "Relative",
        "charging_schedule": {
            "charging_rate_unit": "A",
            "charging_schedule_period": [{"start_period": 0, "limit": 10}],
        },
    }


async def test_remote_start_installs_its_tx_profile_for_the_transaction(
    tmp_path: Path, csms: CentralSystem
) -> None:
    """Section 5.16.2: the TxProfile of a RemoteStartTransaction applies to its transaction."""
    station, _ = make_station(tmp_path, csms.url)
    async with booted(station, csms):
        sid = station.spec.station_id
        request = call.RemoteStartTransaction(
            id_tag="TAG", connector_id=1, charging_profile=tx_profile()
        )
        assert (await csms.call(sid, request)).status == "Accepted"
        await eventually(lambda: station.connectors[1].transaction_id is not None, TIMEOUT)
        assert [(p.id, p.connector_id) for p in station.smart_charging.profiles] == [(7, 1)]


async def test_remote_start_with_another_profile_purpose_is_rejected(
    tmp_path: Path, csms: CentralSystem
) -> None:
    station, _ = make_station(tmp_path, csms.url)
    async with booted(station, csms):
        sid = station.spec.station_id
        request = call.RemoteStartTransaction(
            id_tag="TAG", connector_id=1, charging_profile=tx_profile("TxDefaultProfile")
        )
        assert (await csms.call(sid, request)).status == "Rejected"
        assert not station.smart_charging.profiles
        assert "StartTransaction" not in actions(csms, station)


async def test_remote_stop_ends_the_transaction_with_reason_remote(
    tmp_path: Path, csms: CentralSystem
) -> None:
    """Section 5.12: StopTransaction with reason Remote; connector Available again."""
    station, _ = make_station(tmp_path, csms.url)
    async with booted(station, csms):
        sid = station.spec.station_id
        await remote_start(csms, station, 1)
        transaction_id = station.connectors[1].transaction_id
        assert transaction_id is not None
        answer = await csms.call(sid, call.RemoteStopTransaction(transaction_id=transaction_id))
        assert answer.status == "Accepted"
        stop = (await csms.wait_received(sid, "StopTransaction", TIMEOUT))[0].payload
        assert (stop["transactionId"], stop["reason"]) == (transaction_id, "Remote")
        await eventually(lambda: statuses(csms, station, 1)[-1] == "Available", 5)
        assert not station.connectors[1].transaction_started


async def test_remote_stop_of_an_unknown_transaction_is_rejected(
    tmp_path: Path, csms: CentralSystem
) -> None:
    station, _ = make_station(tmp_path, csms.url)
    async with booted(station, csms):
        answer = await csms.call(
            station.spec.station_id, call.RemoteStopTransaction(transaction_id=4242)
        )
        assert answer.status == "Rejected"


# -- StopTransactionOnInvalidId (section 9.1) ---------------------------------------------------


async def test_invalid_id_tag_keeps_the_transaction_suspended_when_not_stopping_on_it(
    tmp_path: Path, csms: CentralSystem
) -> None:
    """StopTransactionOnInvalidId false: the StartTransaction.conf refusal does not stop the
    transaction; the connector is SuspendedEVSE (section 4.9, C5)."""
    station, _ = make_station(
        tmp_path,
        csms.url,
        Configuration=keys(AuthorizeRemoteTxRequests="false", StopTransactionOnInvalidId="false"),
    )
    async with booted(station, csms):
        await remote_start(csms, station, 1, "BAD-TAG")
        await eventually(lambda: statuses(csms, station, 1)[-1:] == ["SuspendedEVSE"], TIMEOUT)
        assert station.connectors[1].transaction_id is not None
        assert "StopTransaction" not in actions(csms, station)


async def test_invalid_id_tag_stops_the_transaction_by_default(
    tmp_path: Path, csms: CentralSystem
) -> None:
    station, _ = make_station(
        tmp_path, csms.url, Configuration=keys(AuthorizeRemoteTxRequests="false")
    )
    async with booted(station, csms):
        await remote_start(csms, station, 1, "BAD-TAG")
        stop = await csms.wait_received(station.spec.station_id, "StopTransaction", TIMEOUT)
        assert stop[0].payload["reason"] == "DeAuthorized"


# -- ChangeAvailability (section 5.2) -----------------------------------------------------------


async def test_change_availability_makes_a_connector_unavailable_and_back(
    tmp_path: Path, csms: CentralSystem
) -> None:
    """Section 5.2: Accepted, then StatusNotification Unavailable (A8) / Available (H1)."""
    station, _ = make_station(tmp_path, csms.url)
    async with booted(station, csms):
        sid = station.spec.station_id
        await csms.wait_received(sid, "StatusNotification", TIMEOUT, 3)
        answer = await csms.call(sid, call.ChangeAvailability(connector_id=1, type="Inoperative"))
        assert answer.status == "Accepted"
        await eventually(lambda: statuses(csms, station, 1)[-1] == "Unavailable", 5)
        assert station.connectors[1].availability == "Inoperative"
        assert station.connectors[2].availability == "Operative"
        answer = await csms.call(sid, call.ChangeAvailability(connector_id=1, type="Operative"))
        assert answer.status == "Accepted"
        await eventually(lambda: statuses(csms, station, 1)[-1] == "Available", 5)
        assert station.connectors[1].availability == "Operative"


async def test_change_availability_of_connector_zero_applies_to_the_whole_station(
    tmp_path: Path, csms: CentralSystem
) -> None:
    station, _ = make_station(tmp_path, csms.url)
    async with booted(station, csms):
        sid = station.spec.station_id
        await csms.wait_received(sid, "StatusNotification", TIMEOUT, 3)
        answer = await csms.call(sid, call.ChangeAvailability(connector_id=0, type="Inoperative"))
        assert answer.status == "Accepted"
        await csms.wait_received(sid, "StatusNotification", TIMEOUT, 6)
        assert [statuses(csms, station, cid)[-1] for cid in (0, 1, 2)] == ["Unavailable"] * 3
        assert {c.availability for c in station.connectors.values()} == {"Inoperative"}
        assert await remote_start(csms, station, None) == "Rejected"


async def test_change_availability_to_the_current_state_is_accepted_without_status(
    tmp_path: Path, csms: CentralSystem
) -> None:
    """Section 5.2: a change to the state the connector is in is Accepted."""
    station, _ = make_station(tmp_path, csms.url)
    async with booted(station, csms):
        sid = station.spec.station_id
        await csms.wait_received(sid, "StatusNotification", TIMEOUT, 3)
        answer = await csms.call(sid, call.ChangeAvailability(connector_id=2, type="Operative"))
        assert answer.status == "Accepted"
        await csms.call(sid, call.GetConfiguration(key=["HeartbeatInterval"]))  # a round trip
        assert len(csms.received(sid, "StatusNotification")) == 3


async def test_change_availability_during_a_transaction_is_scheduled_until_it_ends(
    tmp_path: Path, csms: CentralSystem
) -> None:
    """Section 5.2: Scheduled while a transaction runs; Unavailable once it ended (C8)."""
    station, _ = make_station(tmp_path, csms.url)
    async with booted(station, csms):
        sid = station.spec.station_id
        await remote_start(csms, station, 1)
        answer = await csms.call(sid, call.ChangeAvailability(connector_id=1, type="Inoperative"))
        assert answer.status == "Scheduled"
        assert station.connectors[1].availability == "Operative"
        transaction_id = station.connectors[1].transaction_id
        assert transaction_id is not None
        await csms.call(sid, call.RemoteStopTransaction(transaction_id=transaction_id))
        await eventually(lambda: statuses(csms, station, 1)[-1] == "Unavailable", TIMEOUT)
        assert station.connectors[1].availability == "Inoperative"


async def test_change_availability_of_an_unknown_connector_is_rejected(
    tmp_path: Path, csms: CentralSystem
) -> None:
    station, _ = make_station(tmp_path, csms.url)
    async with booted(station, csms):
        answer = await csms.call(
            station.spec.station_id, call.ChangeAvailability(connector_id=9, type="Inoperative")
        )
        assert answer.status == "Rejected"


# -- Reset (section 5.14) -----------------------------------------------------------------------


@pytest.mark.key("resetTime")
@pytest.mark.parametrize("kind", ["Soft", "Hard"])
async def test_reset_stops_transactions_and_boots_again_after_reset_time(
    tmp_path: Path, csms: CentralSystem, kind: str
) -> None:
    """Section 5.14 and errata 3.36: Accepted; StopTransaction with reason SoftReset /
    HardReset; the connection closes; after resetTime the station boots again."""
    station, _ = make_station(tmp_path, csms.url, resetTime=1)
    async with booted(station, csms):
        sid = station.spec.station_id
        await remote_start(csms, station, 1)
        assert (await csms.call(sid, call.Reset(type=kind))).status == "Accepted"
        stop = (await csms.wait_received(sid, "StopTransaction", TIMEOUT))[0].payload
        assert stop["reason"] == f"{kind}Reset"
        await csms.wait_until(lambda: sid not in csms.connected, TIMEOUT, "disconnected")
        await csms.wait_received(sid, "BootNotification", TIMEOUT, 2)
        await eventually(lambda: station.booted and station.ws_state == OPEN, TIMEOUT)
        assert not station.connectors[1].transaction_started


@pytest.mark.key("resetTime")
async def test_a_reboot_connects_again_after_reset_time_not_after_the_reconnect_delay(
    tmp_path: Path, csms: CentralSystem
) -> None:
    """A reset closes the connection on purpose: the station boots again after resetTime (0
    here), not after the delay a lost connection waits (ConnectionTimeOut, 48-72 s here)."""
    station, _ = make_station(
        tmp_path,
        csms.url,
        resetTime=0,
        reconnectExponentialDelay=False,
        Configuration={
            "configurationKey": [
                {"key": "HeartbeatInterval", "readonly": False, "value": "60"},
                {"key": "ConnectionTimeOut", "readonly": False, "value": "60"},
            ]
        },
    )
    async with booted(station, csms):
        sid = station.spec.station_id
        assert (await csms.call(sid, call.Reset(type="Soft"))).status == "Accepted"
        await csms.wait_received(sid, "BootNotification", TIMEOUT * 2, 2)


async def test_unavailability_survives_a_reset(tmp_path: Path, csms: CentralSystem) -> None:
    """Section 4.9: Unavailable set by ChangeAvailability persists across reboot."""
    station, _ = make_station(tmp_path, csms.url, resetTime=0)
    async with booted(station, csms):
        sid = station.spec.station_id
        await csms.wait_received(sid, "StatusNotification", TIMEOUT, 3)
        await csms.call(sid, call.ChangeAvailability(connector_id=2, type="Inoperative"))
        await eventually(lambda: statuses(csms, station, 2) == ["Available", "Unavailable"], 5)
        await csms.call(sid, call.Reset(type="Soft"))
        await csms.wait_received(sid, "BootNotification", TIMEOUT, 2)
        await eventually(lambda: len(statuses(csms, station, 2)) >= 3, TIMEOUT)
        assert statuses(csms, station, 2)[-1] == "Unavailable"


# -- UnlockConnector (section 5.18) -------------------------------------------------------------


async def test_unlock_connector_ends_the_transaction_with_reason_unlock_command(
    tmp_path: Path, csms: CentralSystem
) -> None:
    station, _ = make_station(tmp_path, csms.url)
    async with booted(station, csms):
        sid = station.spec.station_id
        await remote_start(csms, station, 1)
        station.set_connector_locked(1, True)
        answer = await csms.call(sid, call.UnlockConnector(connector_id=1))
        assert answer.status == "Unlocked"
        stop = csms.received(sid, "StopTransaction")[0].payload  # sent before the answer
        assert stop["reason"] == "UnlockCommand"
        assert not station.connectors[1].locked
        assert not station.connectors[1].transaction_started


async def test_unlock_connector_is_not_supported_without_connector_locks(
    tmp_path: Path, csms: CentralSystem
) -> None:
    """evsim's rule: vendor key ConnectorLockSupported false -> NotSupported."""
    station, _ = make_station(
        tmp_path, csms.url, Configuration=keys(ConnectorLockSupported="false")
    )
    async with booted(station, csms):
        answer = await csms.call(station.spec.station_id, call.UnlockConnector(connector_id=1))
        assert answer.status == "NotSupported"


async def test_unlock_connector_fails_on_a_connector_lock_failure(
    tmp_path: Path, csms: CentralSystem
) -> None:
    """evsim's rule: a connector reporting errorCode ConnectorLockFailure cannot unlock."""
    station, _ = make_station(tmp_path, csms.url)
    async with booted(station, csms):
        station.set_connector_status(2, None, "ConnectorLockFailure")
        station.set_connector_locked(2, True)
        answer = await csms.call(station.spec.station_id, call.UnlockConnector(connector_id=2))
        assert answer.status == "UnlockFailed"
        assert station.connectors[2].locked


# -- DataTransfer (sections 4.3, 5.6) -----------------------------------------------------------


async def test_data_transfer_for_another_vendor_is_unknown_vendor_id(
    tmp_path: Path, csms: CentralSystem
) -> None:
    station, _ = make_station(tmp_path, csms.url)
    async with booted(station, csms):
        answer = await csms.call(station.spec.station_id, call.DataTransfer(vendor_id="acme"))
        assert answer.status == "UnknownVendorId"


@pytest.mark.key("chargePointVendor")
async def test_data_transfer_for_the_station_vendor_is_accepted(
    tmp_path: Path, csms: CentralSystem
) -> None:
    station, _ = make_station(tmp_path, csms.url)
    async with booted(station, csms):
        sid = station.spec.station_id
        answer = await csms.call(sid, call.DataTransfer(vendor_id="evsim"))
        assert (answer.status, answer.data) == ("Accepted", None)
        answer = await csms.call(sid, call.DataTransfer(vendor_id="evsim", message_id="x"))
        assert answer.status == "UnknownMessageId"


async def test_station_sends_a_data_transfer(tmp_path: Path, csms: CentralSystem) -> None:
    """Section 4.3: DataTransfer.req from the station; the CSMS's answer is returned."""
    station, _ = make_station(tmp_path, csms.url)
    async with booted(station, csms):
        answer = await station.data_transfer("evsim", "hello", "payload")
        assert answer["status"] == "Accepted"
        sent = csms.received(station.spec.station_id, "DataTransfer")[0].payload
        assert sent == {"vendorId": "evsim", "messageId": "hello", "data": "payload"}


@pytest.mark.key("commandsSupport.outgoingCommands")
async def test_a_disabled_outgoing_command_is_not_sent(tmp_path: Path, csms: CentralSystem) -> None:
    """Template commandsSupport.outgoingCommands: a command set false never leaves."""
    outgoing = {"BootNotification": True, "StatusNotification": True, "DataTransfer": False}
    station, _ = make_station(tmp_path, csms.url, commandsSupport={"outgoingCommands": outgoing})
    async with booted(station, csms):
        with pytest.raises(CallFailed):
            await station.data_transfer("evsim")
        assert "DataTransfer" not in actions(csms, station)


# -- configuration keys (sections 5.3, 5.8, 9.1) ------------------------------------------------


async def test_get_configuration_refuses_more_keys_than_get_configuration_max_keys(
    tmp_path: Path, csms: CentralSystem
) -> None:
    """Section 5.8 and 9.1.11: the station limits the keys of one request."""
    station, _ = make_station(tmp_path, csms.url)
    station.configuration.set("GetConfigurationMaxKeys", "2")
    async with booted(station, csms):
        sid = station.spec.station_id
        with pytest.raises(OccurenceConstraintViolationError):
            await csms.call(sid, call.GetConfiguration(key=["A", "B", "C"]))
        answer = await csms.call(sid, call.GetConfiguration(key=["HeartbeatInterval", "B"]))
        assert answer.unknown_key == ["B"]


async def test_change_configuration_checks_measurand_lists_and_their_max_length(
    tmp_path: Path, csms: CentralSystem
) -> None:
    """Section 9.1: MeterValuesSampledData is a CSL of measurands, at most
    MeterValuesSampledDataMaxLength of them."""
    station, _ = make_station(
        tmp_path, csms.url, Configuration=keys(MeterValuesSampledDataMaxLength="2")
    )
    async with booted(station, csms):
        sid = station.spec.station_id

        async def change(value: str) -> str:
            request = call.ChangeConfiguration(key="MeterValuesSampledData", value=value)
            return str((await csms.call(sid, request)).status)

        assert await change("Energy.Active.Import.Register,Power.Active.Import") == "Accepted"
        assert await change("Energy.Active.Import.Register,Bogus") == "Rejected"
        assert await change("Voltage,SoC,Current.Import") == "Rejected"
        assert station.configuration.get("MeterValuesSampledData") == (
            "Energy.Active.Import.Register,Power.Active.Import"
        )


# -- StatusNotification (section 4.9) -----------------------------------------------------------


async def test_status_notification_reports_only_section_4_9_transitions(
    tmp_path: Path, csms: CentralSystem
) -> None:
    """Section 4.9: Available -> Finishing is no transition of the table: not reported;
    Available -> Charging (A3) is."""
    station, _ = make_station(tmp_path, csms.url)
    async with booted(station, csms):
        sid = station.spec.station_id
        await csms.wait_received(sid, "StatusNotification", TIMEOUT, 3)
        station.set_connector_status(1, "Finishing", None)
        await station.send_status(1)
        station.set_connector_status(1, "Charging", None)
        await station.send_status(1)
        assert statuses(csms, station, 1) == ["Available", "Charging"]


async def test_a_refused_transition_leaves_the_connector_as_it_was(
    tmp_path: Path, csms: CentralSystem
) -> None:
    station, _ = make_station(tmp_path, csms.url)
    async with booted(station, csms):
        await csms.wait_received(station.spec.station_id, "StatusNotification", TIMEOUT, 3)
        assert not await station.change_status(1, "Finishing")
        assert station.connectors[1].status == "Available"
        assert await station.change_status(1, "Preparing")
        assert statuses(csms, station, 1) == ["Available", "Preparing"]


async def test_remote_start_on_a_reserved_connector_only_for_the_reserved_id_tag(
    tmp_path: Path, csms: CentralSystem
) -> None:
    """Sections 5.11 and 5.13: another idTag is Rejected; the reserved one starts, through
    Preparing (G2), with the reservationId."""
    station, _ = make_station(tmp_path, csms.url)
    async with booted(station, csms):
        sid = station.spec.station_id
        reserve = call.ReserveNow(
            connector_id=1, expiry_date="2099-01-01T00:00:00Z", id_tag="MINE", reservation_id=5
        )
        assert (await csms.call(sid, reserve)).status == "Accepted"
        assert await remote_start(csms, station, 1, "OTHER") == "Rejected"
        assert await remote_start(csms, station, 1, "MINE") == "Accepted"
        start = csms.received(sid, "StartTransaction")[0].payload
        assert start["reservationId"] == 5
        await eventually(
            lambda: statuses(csms, station, 1)[-3:] == ["Reserved", "Preparing", "Charging"], 5
        )


# -- ResetRetries (section 9.1.22) --------------------------------------------------------------


def status_notifications(csms: CentralSystem, station: ChargingStation) -> list[dict[str, Any]]:
    return [m.payload for m in csms.received(station.spec.station_id, "StatusNotification")]


@pytest.mark.key("resetFailedAttempts")
async def test_a_reset_failing_more_often_than_reset_retries_allow_is_reported_as_reset_failure(
    tmp_path: Path, csms: CentralSystem
) -> None:
    """Sections 5.14, 9.1.22 and 7.6 (ResetFailure): the first attempt and ResetRetries more
    fail (template resetFailedAttempts 3, ResetRetries 2); the station stays online and
    tells the CSMS with errorCode ResetFailure on connector 0, its status unchanged."""
    station, _ = make_station(
        tmp_path, csms.url, resetTime=0, resetFailedAttempts=3, Configuration=keys(ResetRetries="2")
    )
    async with booted(station, csms):
        sid = station.spec.station_id
        await csms.wait_received(sid, "StatusNotification", TIMEOUT, 3)
        assert (await csms.call(sid, call.Reset(type="Soft"))).status == "Accepted"
        await csms.wait_received(sid, "StatusNotification", TIMEOUT, 4)
        failure = status_notifications(csms, station)[-1]
        assert failure["connectorId"] == 0 and failure["errorCode"] == "ResetFailure"
        assert failure["status"] == "Available"
        assert failure["info"] == "Soft reset failed 3 times"
        assert sid in csms.connected and station.connections == 1
        assert len(csms.received(sid, "BootNotification")) == 1


async def test_a_reset_failing_fewer_times_than_reset_retries_allow_succeeds(
    tmp_path: Path, csms: CentralSystem
) -> None:
    """Section 9.1.22: two failed attempts, two retries: the third attempt resets the station
    (it boots again) and no ResetFailure is reported."""
    station, _ = make_station(
        tmp_path, csms.url, resetTime=0, resetFailedAttempts=2, Configuration=keys(ResetRetries="2")
    )
    async with booted(station, csms):
        sid = station.spec.station_id
        await csms.call(sid, call.Reset(type="Hard"))
        await csms.wait_received(sid, "BootNotification", TIMEOUT, 2)
        assert station.connections == 2
        assert all(s["errorCode"] == "NoError" for s in status_notifications(csms, station))


async def test_a_failing_reset_still_stops_the_transactions_first(
    tmp_path: Path, csms: CentralSystem
) -> None:
    """Section 5.14: StopTransaction precedes the reset attempt, whether it then fails."""
    station, _ = make_station(tmp_path, csms.url, resetFailedAttempts=1)
    async with booted(station, csms):
        sid = station.spec.station_id
        await remote_start(csms, station, 1)
        await csms.call(sid, call.Reset(type="Soft"))
        stop = (await csms.wait_received(sid, "StopTransaction", TIMEOUT))[0].payload
        assert stop["reason"] == "SoftReset"
        await csms.wait_until(
            lambda: any(
                s["errorCode"] == "ResetFailure" for s in status_notifications(csms, station)
            ),
            TIMEOUT,
            "ResetFailure reported",
        )
        assert station.connections == 1
