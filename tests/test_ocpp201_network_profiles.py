"""OCPP 2.0.1 SetNetworkProfile (Part 2 B09) and the NetworkConfigurationPriority values it makes
valid (B10.FR.01/02): ocpp201/network_profiles.py on a real device model with a fake station,
a real station's persisted state, then a real station moving to a second bundled CSMS (B10).
Every message is checked against the v201 schemas."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
from ocpp.v201 import call

from simulator.csms import CentralSystem
from simulator.station.clock import SystemClock
from simulator.station.ocpp201.network_profiles import (
    configuration_slots,
    set_network_profile,
    stored_profile,
)
from simulator.station.station import ChargingStation
from tests.ocpp201_network_support import (
    CERT,
    OWN,
    SECOND,
    STATION_ID,
    WAIT,
    connection_data,
    make,
    profile_call,
    running,
    set_profile,
    set_variable,
    station_at,
    variable_call,
)
from tests.waiting import eventually

# -- SetNetworkProfile (B09) -----------------------------------------------------------------------


async def test_b09_fr_01_a_valid_profile_is_accepted_and_stored_in_its_slot() -> None:
    station, _ = make()

    response = await set_profile(station, 2, connection_data())

    assert response == {"status": "Accepted"}
    stored = stored_profile(station.variables, 2)
    assert stored is not None and stored.csms_url == SECOND
    assert station.changed == ["NetworkConnectionProfiles"]  # the UI hears, and it is persisted


async def test_b09_fr_05_a_slot_outside_the_priority_values_list_is_rejected() -> None:
    station, _ = make()

    response = await set_profile(station, 4, connection_data())

    assert response["status"] == "Rejected"
    assert response["statusInfo"]["reasonCode"] == "InvalidConfSlot"
    assert stored_profile(station.variables, 4) is None


def test_b09_fr_06_the_station_offers_at_least_two_slots() -> None:
    """The slots are NetworkConfigurationPriority's valuesList, as a base report gives it."""
    station, _ = make()

    assert len(configuration_slots(station.variables)) >= 2


@pytest.mark.parametrize(
    ("data", "why"),
    [
        (connection_data(ocppTransport="SOAP"), "SOAP"),
        (connection_data("wss://127.0.0.1:9001/ocpp", 1), "profile 1 is unsecured: ws://"),
        (connection_data("ws://127.0.0.1:9001/ocpp", 2), "profile 2 is TLS: wss://"),
        (connection_data(security_profile=0), "no profile 0 in 2.0.1"),
        (connection_data("127.0.0.1:9001"), "not a WebSocket URL"),
        (connection_data(messageTimeout=0), "no CALL can wait 0 s"),
    ],
)
async def test_b09_fr_02_a_profile_the_station_cannot_use_is_rejected(
    data: dict[str, Any], why: str
) -> None:
    station, _ = make()

    response = await set_profile(station, 2, data)

    assert response["status"] == "Rejected", why
    assert response["statusInfo"]["reasonCode"] == "InvalidNetworkConf"
    assert stored_profile(station.variables, 2) is None


async def test_b09_fr_02_security_profile_3_needs_the_template_s_client_certificate() -> None:
    without, _ = make()
    with_cert, _ = make(wsOptions=CERT)
    data = connection_data("wss://127.0.0.1:9001/ocpp", 3)

    assert (await set_profile(without, 2, data))["status"] == "Rejected"
    assert (await set_profile(with_cert, 2, data))["status"] == "Accepted"


async def test_b09_fr_04_a_lower_security_profile_than_the_active_one_is_rejected() -> None:
    station, network = make()
    await set_profile(station, 2, connection_data("wss://127.0.0.1:9001/ocpp", 2))
    set_variable(station, "OCPPCommCtrlr", "NetworkConfigurationPriority", "2")
    network.rebooted()
    network.endpoint(0, OWN)  # connected with profile 2 from now

    response = await set_profile(station, 3, connection_data(security_profile=1))

    assert response["status"] == "Rejected"
    assert response["statusInfo"]["reasonCode"] == "NoSecurityDowngrade"


async def test_b09_vpn_and_apn_are_not_kept_so_their_passwords_stay_out_of_the_state() -> None:
    station, _ = make()
    vpn = {"server": "vpn", "user": "u", "password": "vpn-secret", "key": "k", "type": "IPSec"}

    response = await set_profile(station, 2, connection_data(vpn=vpn))

    assert response["status"] == "Accepted"
    assert b"vpn-secret" not in orjson.dumps(station.variables.as_list())


async def test_b09_a_stored_profile_is_kept_across_a_restart() -> None:
    station, _ = make()
    await set_profile(station, 2, connection_data())
    state = orjson.loads(
        orjson.dumps(
            {
                "configurationKey": station.variables.as_list(),
                "changedKeys": sorted(station.variables.changed_keys),
            }
        )
    )

    again, network = make()  # the network part declares the slots before the restore
    again.variables.restore(state["configurationKey"], state["changedKeys"])
    set_variable(again, "OCPPCommCtrlr", "NetworkConfigurationPriority", "2,1")
    network.rebooted()

    assert network.endpoint(0, OWN).url == f"{SECOND}/{STATION_ID}"


async def test_b09_a_changed_profile_takes_effect_at_the_next_reboot_only() -> None:
    """B09 remark: even the active slot's new data waits for a reboot."""
    station, network = make()
    assert network.endpoint(0, OWN).url == OWN.url
    await set_profile(station, 1, connection_data())

    before = network.endpoint(0, OWN).url
    network.rebooted()

    assert (before, network.endpoint(0, OWN).url) == (OWN.url, f"{SECOND}/{STATION_ID}")


# -- NetworkConfigurationPriority (B10) -----------------------------------------------------------


async def test_b10_fr_01_a_priority_of_configured_slots_is_accepted_with_reboot_required() -> None:
    station, _ = make()
    await set_profile(station, 2, connection_data())

    status = set_variable(station, "OCPPCommCtrlr", "NetworkConfigurationPriority", "2,1")

    assert status == "RebootRequired"


def test_b10_fr_02_a_priority_naming_an_empty_slot_is_rejected() -> None:
    station, _ = make()

    status = set_variable(station, "OCPPCommCtrlr", "NetworkConfigurationPriority", "3,1")

    assert status == "Rejected"
    assert station.variables.pending == {}


def test_b10_fr_02_a_priority_naming_no_slot_of_the_values_list_is_rejected() -> None:
    station, _ = make()

    assert set_variable(station, "OCPPCommCtrlr", "NetworkConfigurationPriority", "9") == "Rejected"


async def test_a05_fr_10_errata_a_priority_lowering_the_security_profile_is_rejected() -> None:
    station, network = make()
    await set_profile(station, 2, connection_data("wss://127.0.0.1:9001/ocpp", 2))
    set_variable(station, "OCPPCommCtrlr", "NetworkConfigurationPriority", "2")
    network.rebooted()
    network.endpoint(0, OWN)

    status = set_variable(station, "OCPPCommCtrlr", "NetworkConfigurationPriority", "1,2")

    assert status == "Rejected"  # slot 1, the station's own ws:// CSMS, is profile 1


# -- a real station ---------------------------------------------------------------------------


async def test_b09_a_station_restarted_from_its_persisted_state_keeps_its_profiles(
    tmp_path: Path,
) -> None:
    station = station_at(tmp_path, "ws://127.0.0.1:9000")
    request = {"configurationSlot": 2, "connectionData": connection_data()}
    assert (await set_network_profile(station, request))["status"] == "Accepted"
    state = orjson.loads(orjson.dumps(station.persisted_state()))

    again = ChargingStation(
        station.spec, clock=SystemClock(), on_change=lambda s, d: None, persisted=state
    )

    restored = stored_profile(again.variables, 2)
    assert restored is not None and restored == stored_profile(station.variables, 2)


@pytest.mark.integration
async def test_b10_fr_04_reset_after_set_network_profile_and_priority_moves_to_the_new_csms(
    tmp_path: Path,
) -> None:
    """B09.FR.01 then B10 steps 1-4: slot 2 set to a second CSMS, NetworkConfigurationPriority
    "2,1" (RebootRequired), Reset OnIdle: the station disconnects (B10.FR.06) and boots at the
    second CSMS, reporting slot 2 active."""
    async with (
        CentralSystem(heartbeat_interval=60) as first,
        CentralSystem(heartbeat_interval=60) as second,
    ):
        station = station_at(tmp_path, first.url, resetTime=1)
        async with running(station) as station_id:
            await first.wait_booted(1, WAIT)
            profile = await first.call(station_id, profile_call(second.url))
            priority = await first.call(
                station_id, variable_call("OCPPCommCtrlr", "NetworkConfigurationPriority", "2,1")
            )
            reset = await first.call(station_id, call.Reset(type="OnIdle"))
            await second.wait_booted(1, WAIT)
            await eventually(lambda: station_id not in first.connected, WAIT, "left the first")
            active = await second.call(
                station_id,
                call.GetVariables(
                    get_variable_data=[
                        {
                            "component": {"name": "OCPPCommCtrlr"},
                            "variable": {"name": "ActiveNetworkProfile"},
                        }
                    ]
                ),
            )
    assert profile.status == "Accepted"
    assert priority.set_variable_result[0]["attribute_status"] == "RebootRequired"
    assert reset.status == "Accepted"
    [boot] = second.received(station_id, "BootNotification")
    assert boot.payload["reason"] == "RemoteReset"
    assert active.get_variable_result[0]["attribute_value"] == "2"
