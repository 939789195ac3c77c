"""Where each connection attempt of an OCPP 2.0.1 station goes (Part 2 B10) and with which
credentials (A00, A01): ocpp201/network_connection.py on a real device model with a fake
station, the adapter's reboot, then a real station against bundled CSMSs. Every message is
checked against the v201 schemas."""

from __future__ import annotations

from pathlib import Path

import pytest
from ocpp.v201 import call

from simulator.csms import CentralSystem
from simulator.station.connection import Endpoint
from simulator.station.ocpp201.network_connection import entry_index
from simulator.station.ocpp201.network_profiles import set_network_profile
from tests.device_model_support import item
from tests.fleet201 import specs_201
from tests.ocpp201_network_support import (
    CERT,
    OWN,
    PASSWORD,
    SECOND,
    STATION_ID,
    WAIT,
    connection_data,
    get_variable,
    make,
    migrated,
    profile_call,
    running,
    set_profile,
    set_variable,
    slots_logged,
    station_at,
    variable_call,
)
from tests.waiting import eventually

# -- the entry of each attempt (B10) ----------------------------------------------------------


async def test_b10_fr_04_after_a_reboot_the_station_connects_with_the_first_entry() -> None:
    station, network = make()

    await migrated(station, network)
    endpoint = network.endpoint(0, OWN)

    assert endpoint.url == f"{SECOND}/{STATION_ID}"  # ocppCsmsUrl + the identity (2.35)


async def test_b10_the_priority_waits_for_the_reboot() -> None:
    station, network = make()
    await set_profile(station, 2, connection_data())
    set_variable(station, "OCPPCommCtrlr", "NetworkConfigurationPriority", "2,1")

    assert network.endpoint(0, OWN).url == OWN.url


async def test_b10_fr_03_each_entry_gets_network_profile_connection_attempts_tries() -> None:
    station, network = make({"key": "OCPPCommCtrlr.NetworkProfileConnectionAttempts", "value": "2"})
    await migrated(station, network)

    urls = [network.endpoint(attempt, OWN).url for attempt in range(5)]

    second = f"{SECOND}/{STATION_ID}"
    assert urls == [second, second, OWN.url, OWN.url, second]


def test_b10_fr_08_after_the_last_entry_the_first_is_tried_again() -> None:
    assert [entry_index(attempt, 2, 3) for attempt in range(8)] == [0, 0, 0, 1, 1, 1, 0, 0]


async def test_b10_fr_10_errata_a_connection_with_another_slot_is_a_new_csms() -> None:
    station, network = make({"key": "OCPPCommCtrlr.NetworkProfileConnectionAttempts", "value": "1"})
    await migrated(station, network)
    network.endpoint(0, OWN)
    first = network.connected()
    network.endpoint(0, OWN)  # the same slot again: a plain reconnection
    again = network.connected()
    network.endpoint(1, OWN)  # slot 2 failed once: slot 1 this time

    assert (first, again, network.connected()) == (False, False, True)


async def test_active_network_profile_and_security_profile_report_the_connection_s_slot() -> None:
    station, network = make()
    await set_profile(station, 2, connection_data("wss://127.0.0.1:9001/ocpp", 2))
    set_variable(station, "OCPPCommCtrlr", "NetworkConfigurationPriority", "2,1")
    network.rebooted()

    network.endpoint(0, OWN)

    assert get_variable(station, "OCPPCommCtrlr", "ActiveNetworkProfile") == "2"
    assert get_variable(station, "SecurityCtrlr", "SecurityProfile") == "2"


def test_the_station_s_own_wss_csms_is_security_profile_2_or_3_with_a_client_certificate() -> None:
    tls = Endpoint(f"wss://127.0.0.1:9000/{STATION_ID}")
    plain, plain_network = make()
    certified, certified_network = make(wsOptions=CERT)

    plain_network.endpoint(0, tls)
    certified_network.endpoint(0, tls)

    assert get_variable(plain, "SecurityCtrlr", "SecurityProfile") == "2"
    assert get_variable(certified, "SecurityCtrlr", "SecurityProfile") == "3"


async def test_a_profile_s_message_timeout_is_the_call_timeout_while_it_is_in_use() -> None:
    station, network = make({"key": "OCPPCommCtrlr.NetworkProfileConnectionAttempts", "value": "1"})
    await migrated(station, network)

    network.endpoint(0, OWN)
    with_profile = get_variable(station, "OCPPCommCtrlr", "MessageTimeout", "Default")
    network.endpoint(1, OWN)  # the station's own CSMS: the template's timeout again

    assert with_profile == "45"
    assert get_variable(station, "OCPPCommCtrlr", "MessageTimeout", "Default") == "30"


def test_identity_is_the_station_id() -> None:
    station, _ = make()

    assert get_variable(station, "SecurityCtrlr", "Identity") == STATION_ID


# -- credentials (A00, A01) -----------------------------------------------------------------------


def test_a00_fr_204_the_basic_auth_user_is_the_station_identity() -> None:
    _, network = make(password="template-password")

    endpoint = network.endpoint(0, Endpoint(OWN.url, None, "template-password"))

    assert (endpoint.user, endpoint.password) == (STATION_ID, "template-password")


def test_the_template_s_supervision_user_stays_the_basic_auth_user() -> None:
    _, network = make()

    endpoint = network.endpoint(0, Endpoint(OWN.url, "operator", "template-password"))

    assert endpoint.user == "operator"


def test_without_a_password_no_basic_auth_is_sent() -> None:
    _, network = make()

    assert network.endpoint(0, OWN).user is None


def test_a01_fr_01_a_new_basic_auth_password_is_the_next_connection_s() -> None:
    station, network = make()

    status = set_variable(station, "SecurityCtrlr", "BasicAuthPassword", PASSWORD)
    endpoint = network.endpoint(0, Endpoint(OWN.url, None, "template-password"))

    assert status == "Accepted"
    assert (endpoint.user, endpoint.password) == (STATION_ID, PASSWORD)


@pytest.mark.parametrize("password", ["too-short-15-ch", "with space in it 123", "x" * 41])
def test_a00_fr_205_a_password_that_is_no_16_to_40_character_password_string_is_rejected(
    password: str,
) -> None:
    """A01 failure postcondition: the station keeps the credentials it had."""
    station, network = make()

    status = set_variable(station, "SecurityCtrlr", "BasicAuthPassword", password)

    assert status == "Rejected"
    assert network.endpoint(0, Endpoint(OWN.url, None, "template-password")).password == (
        "template-password"
    )


# -- the adapter ------------------------------------------------------------------------------


async def test_b10_the_first_attempt_after_a_remote_reset_applies_the_pending_priority(
    tmp_path: Path,
) -> None:
    station = station_at(tmp_path, "ws://127.0.0.1:9000")
    own = Endpoint(station.ws_url)
    await set_network_profile(
        station, {"configurationSlot": 2, "connectionData": connection_data()}
    )
    station.variables.set_variables(
        {"setVariableData": [item("OCPPCommCtrlr", "NetworkConfigurationPriority", value="2,1")]}
    )
    before = station.adapter.endpoint(0, own).url

    station.rebooting("RemoteReset")
    after = station.adapter.endpoint(0, own).url

    assert (before, after) == (own.url, f"{SECOND}/{station.spec.station_id}")


# -- against the bundled CSMS -----------------------------------------------------------------


@pytest.mark.integration
async def test_a01_fr_01_a_new_basic_auth_password_is_used_at_the_next_connection(
    tmp_path: Path,
) -> None:
    """A CSMS that takes the template's password; SetVariables BasicAuthPassword; the CSMS
    restarts taking only the new one (as A01 has a CSMS do), and the station reconnects with it."""
    old = "template-password-1"
    [probe] = specs_201(tmp_path / "probe", "ws://127.0.0.1:1", 1)
    station_id = probe.station_id
    quick = [
        {"key": "OCPPCommCtrlr.RetryBackOffWaitMinimum", "value": "1"},
        {"key": "OCPPCommCtrlr.RetryBackOffRandomRange", "value": "0"},
        {"key": "OCPPCommCtrlr.HeartbeatInterval", "value": "60"},
    ]
    async with CentralSystem(auth=(station_id, old)) as before:
        station = station_at(
            tmp_path, before.url, supervisionPassword=old, Configuration={"configurationKey": quick}
        )
        async with running(station):
            await before.wait_booted(1, WAIT)
            result = await before.call(
                station_id, variable_call("SecurityCtrlr", "BasicAuthPassword", PASSWORD)
            )
            port = before.port
            await before.stop()
            async with CentralSystem(port=port, auth=(station_id, PASSWORD)) as after:
                await eventually(lambda: station_id in after.connected, WAIT, "reconnected")
    assert result.set_variable_result[0]["attribute_status"] == "Accepted"


@pytest.mark.integration
async def test_b10_fr_03_a_slot_that_cannot_connect_gives_way_to_the_next_after_its_attempts(
    tmp_path: Path,
) -> None:
    """Slot 2 names a CSMS that is gone; with NetworkProfileConnectionAttempts 1 the station's
    first attempt after the reset fails there, the next one connects with slot 1."""
    async with CentralSystem() as gone:
        gone_url = gone.url
    quick = [
        {"key": "OCPPCommCtrlr.RetryBackOffWaitMinimum", "value": "1"},
        {"key": "OCPPCommCtrlr.RetryBackOffRandomRange", "value": "0"},
        {"key": "OCPPCommCtrlr.NetworkProfileConnectionAttempts", "value": "1"},
    ]
    slots: list[str] = []
    async with slots_logged(slots), CentralSystem() as first:
        station = station_at(
            tmp_path, first.url, resetTime=1, Configuration={"configurationKey": quick}
        )
        async with running(station) as station_id:
            await first.wait_booted(1, WAIT)
            profile = await first.call(station_id, profile_call(gone_url))
            await first.call(
                station_id, variable_call("OCPPCommCtrlr", "NetworkConfigurationPriority", "2,1")
            )
            await first.call(station_id, call.Reset(type="OnIdle"))
            await eventually(
                lambda: len(first.received(station_id, "BootNotification")) >= 2, WAIT, "back"
            )
            active = station.variables.value("OCPPCommCtrlr", "ActiveNetworkProfile")
    assert profile.status == "Accepted"
    assert slots == ["2", "1"]  # slot 2's one attempt, then slot 1
    assert first.received(station_id, "BootNotification")[-1].payload["reason"] == "RemoteReset"
    assert active == "1"
