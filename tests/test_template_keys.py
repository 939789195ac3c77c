"""Station-template keys that change what a station does (the seed README's template table):
supervisionUrlOcppConfiguration / supervisionUrlOcppKey, autoRegister, ocppStrictCompliance,
and the naming and connector keys as they come out of the plan. wsOptions: test_ws_options."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from ocpp.exceptions import SecurityError
from ocpp.v16 import call

from simulator.csms import CentralSystem
from simulator.plan import plan_stations
from simulator.station.clock import SystemClock
from simulator.station.frames import OcppError
from simulator.station.keystore import ChangeStatus
from simulator.station.station import ChargingStation
from simulator.supervisor import Supervisor
from simulator.template_model import StationTemplate
from tests.fleet import settings_for, specs_for
from tests.offline_station import make_station as make_offline_station
from tests.offline_station import shutdown
from tests.waiting import eventually

URL_A = "ws://127.0.0.1:9/a"


def make_station(tmp_path: Path, url: str, **template: Any) -> ChargingStation:
    spec = specs_for(tmp_path, url, 1, **template)[0]
    return ChargingStation(spec, clock=SystemClock(), on_change=lambda station, delta: None)


# --- supervisionUrlOcppConfiguration, supervisionUrlOcppKey -------------------------------------


def test_the_supervision_url_is_an_ocpp_key_named_connection_url_by_default(
    tmp_path: Path,
) -> None:
    """supervisionUrlOcppKey defaults to 'ConnectionUrl' (seed); the key holds the URL the
    station was planned with, and changing it needs a reboot (TS: reboot: true)."""
    station = make_station(tmp_path, URL_A, supervisionUrlOcppConfiguration=True)
    assert station.configuration.get("ConnectionUrl") == URL_A
    status = station.configuration.change("ConnectionUrl", "ws://127.0.0.1:9/b")
    assert status == ChangeStatus.REBOOT_REQUIRED


@pytest.mark.key("supervisionUrlOcppConfiguration")
def test_without_supervision_url_ocpp_configuration_there_is_no_url_key(tmp_path: Path) -> None:
    station = make_station(tmp_path, URL_A)
    assert station.configuration.get("ConnectionUrl") is None


@pytest.mark.key("supervisionUrlOcppKey")
def test_supervision_url_ocpp_key_names_the_key(tmp_path: Path) -> None:
    station = make_station(
        tmp_path,
        URL_A,
        supervisionUrlOcppConfiguration=True,
        supervisionUrlOcppKey="CentralSystemUrl",
    )
    assert station.configuration.get("CentralSystemUrl") == URL_A
    assert station.configuration.get("ConnectionUrl") is None


def test_the_url_key_refuses_a_value_that_is_not_a_ws_url(tmp_path: Path) -> None:
    """OCPP 1.6 section 5.3: Rejected for a value the station cannot use; the next
    connection keeps the URL it had."""
    station = make_station(tmp_path, URL_A, supervisionUrlOcppConfiguration=True)
    assert station.configuration.change("ConnectionUrl", "http://x") == ChangeStatus.REJECTED
    assert station.ws_url.startswith(URL_A + "/")


@pytest.mark.key("supervisionUrlOcppConfiguration")
def test_the_ocpp_key_decides_the_url_of_the_next_connection(tmp_path: Path) -> None:
    station = make_station(tmp_path, URL_A, supervisionUrlOcppConfiguration=True)
    station.configuration.change("ConnectionUrl", "ws://127.0.0.1:9/b")
    assert station.ws_url == f"ws://127.0.0.1:9/b/{station.spec.station_id}"


def test_set_supervision_url_writes_the_ocpp_key(tmp_path: Path) -> None:
    """The UI's setSupervisionUrl on such a station changes the key (as the TS simulator
    does), so GetConfiguration and the next connection agree."""
    station = make_station(tmp_path, URL_A, supervisionUrlOcppConfiguration=True)
    station.set_supervision_url("ws://127.0.0.1:9/c")
    assert station.configuration.get("ConnectionUrl") == "ws://127.0.0.1:9/c"
    assert station.ws_url == f"ws://127.0.0.1:9/c/{station.spec.station_id}"


@pytest.mark.integration
@pytest.mark.timeout(30)
async def test_get_configuration_shows_the_supervision_url(tmp_path: Path) -> None:
    async with CentralSystem() as csms:
        station = make_station(tmp_path, csms.url, supervisionUrlOcppConfiguration=True)
        await station.start()
        try:
            await csms.wait_booted(1, 10)
            sid = station.spec.station_id
            answer = await csms.call(sid, call.GetConfiguration(key=["ConnectionUrl"]))
            assert answer.configuration_key == [
                {"key": "ConnectionUrl", "readonly": False, "value": csms.url}
            ]
        finally:
            await station.stop()


@pytest.mark.integration
@pytest.mark.timeout(30)
async def test_change_configuration_of_the_url_moves_the_station_after_a_reset(
    tmp_path: Path,
) -> None:
    """ChangeConfiguration(ConnectionUrl) answers RebootRequired (section 5.3); after the
    Reset the station connects and boots at the new CSMS."""
    async with CentralSystem() as first, CentralSystem() as second:
        station = make_station(
            tmp_path, first.url, supervisionUrlOcppConfiguration=True, resetTime=0
        )
        await station.start()
        try:
            await first.wait_booted(1, 10)
            sid = station.spec.station_id
            change = call.ChangeConfiguration(key="ConnectionUrl", value=second.url)
            assert (await first.call(sid, change)).status == "RebootRequired"
            assert (await first.call(sid, call.Reset(type="Soft"))).status == "Accepted"
            await second.wait_booted(1, 10)
            assert len(first.received(sid, "BootNotification")) == 1
            assert station.supervision_url == second.url
        finally:
            await station.stop()


# --- autoRegister -------------------------------------------------------------------------------


@pytest.mark.key("autoRegister")
@pytest.mark.integration
@pytest.mark.timeout(30)
async def test_auto_register_goes_on_as_accepted_after_a_rejected_boot(tmp_path: Path) -> None:
    """autoRegister (seed: registered at boot notification, for testing): the CSMS answers
    Rejected with a minute to wait, yet the station reports its connectors at once and
    counts as booted; the CSMS's answer stays visible."""
    async with CentralSystem(boot_status_sequence=("Rejected",), boot_retry_interval=60) as csms:
        station = make_station(tmp_path, csms.url, autoRegister=True)
        await station.start()
        try:
            sid = station.spec.station_id
            statuses = await csms.wait_received(sid, "StatusNotification", 10, 3)
            assert sorted(m.payload["connectorId"] for m in statuses) == [0, 1, 2]
            assert len(csms.received(sid, "BootNotification")) == 1
            assert station.booted
            assert station.boot_response is not None
            assert station.boot_response["status"] == "Rejected"
        finally:
            await station.stop()


@pytest.mark.parametrize(("auto_register", "booted"), [(True, 1), (False, 0)])
def test_the_fleet_counts_an_auto_register_station_booted_as_the_station_does(
    tmp_path: Path, auto_register: bool, booted: int
) -> None:
    """The supervisor's booted count agrees with ChargingStation.booted: with autoRegister, a
    connected station the CSMS answered Rejected counts; without, it does not."""
    settings = settings_for(tmp_path, URL_A, autoRegister=auto_register)
    supervisor = Supervisor(settings, use_uvloop=False)
    supervisor.plan = plan_stations(settings)
    rejected = {"status": "Rejected", "currentTime": "2026-01-01T00:00:00Z", "interval": 60}
    station = {"wsState": 1, "started": True, "bootNotificationResponse": rejected}
    supervisor._apply({"kind": "stations", "data": {supervisor.plan[0].hash_id: station}})
    assert supervisor.counts().booted == booted


# --- ocppStrictCompliance ----------------------------------------------------------------------


@pytest.mark.key("ocppStrictCompliance")
async def test_strict_compliance_sends_the_end_meter_values_before_the_stop(
    tmp_path: Path,
) -> None:
    """OCPP 1.6 section 3.7 (chronological order): with ocppStrictCompliance the
    outOfOrderEndMeterValues relaxation is refused; Transaction.End goes before the stop."""
    station = make_offline_station(
        tmp_path,
        beginEndMeterValues=True,
        outOfOrderEndMeterValues=True,
        ocppStrictCompliance=True,
    )
    await station.transactions.start(1, "TAG-A")
    await station.transactions.stop(1)
    try:
        actions = [s.action for s in station.csms.sent]
        assert actions[-3:] == ["MeterValues", "StopTransaction", "StatusNotification"]
        end = station.csms.of("MeterValues")[-1]["meterValue"][0]["sampledValue"][0]
        assert end["context"] == "Transaction.End"
    finally:
        await shutdown(station)


def test_strict_compliance_overrules_out_of_order_when_set_as_an_override() -> None:
    """The UI's addChargingStations sets ocppStrictCompliance on a loaded template (a model
    copy, no validation): the relaxation must still be refused."""
    relaxed = StationTemplate.model_validate(
        {"beginEndMeterValues": True, "outOfOrderEndMeterValues": True}
    )
    assert relaxed.out_of_order_end_meter_values
    strict = relaxed.model_copy(update={"ocpp_strict_compliance": True})
    assert not strict.out_of_order_end_meter_values


@pytest.mark.key("payloadSchemaValidation")
@pytest.mark.integration
@pytest.mark.timeout(30)
async def test_strict_compliance_validates_payloads_even_without_schema_validation(
    tmp_path: Path,
) -> None:
    """An outgoing payload that breaks the OCPP 1.6 schema (vendorId is CiString255) is
    refused before it is sent, whatever payloadSchemaValidation says."""
    async with CentralSystem() as csms:
        station = make_station(
            tmp_path, csms.url, payloadSchemaValidation=False, ocppStrictCompliance=True
        )
        await station.start()
        try:
            await csms.wait_booted(1, 10)
            with pytest.raises(OcppError):
                await station.data_transfer("v" * 300)
            await station.heartbeat()  # the connection is still in order behind it
            assert csms.received(station.spec.station_id, "DataTransfer") == []
        finally:
            await station.stop()


@pytest.mark.key("ocppStrictCompliance")
@pytest.mark.integration
@pytest.mark.timeout(30)
async def test_strict_compliance_refuses_remote_start_while_pending(tmp_path: Path) -> None:
    """OCPP 1.6 section 4.2: while Pending, RemoteStartTransaction.req is not allowed; a
    strict station answers SecurityError."""
    async with CentralSystem(boot_status_sequence=("Pending",), boot_retry_interval=60) as csms:
        station = make_station(tmp_path, csms.url, ocppStrictCompliance=True)
        await station.start()
        try:
            sid = station.spec.station_id
            await csms.wait_received(sid, "BootNotification", 10)
            await eventually(lambda: station.pending, 10, "station pending")
            with pytest.raises(SecurityError):
                await csms.call(sid, call.RemoteStartTransaction(id_tag="TAG-A"), timeout=10)
        finally:
            await station.stop()


# --- names and connectors, as planned ----------------------------------------------------------


@pytest.mark.key("nameSuffix")
def test_planned_station_ids_end_with_the_name_suffix(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, URL_A, 2, baseName="CS", nameSuffix="-north")
    assert [spec.station_id for spec in plan_stations(settings)] == [
        "CS-00001-north",
        "CS-00002-north",
    ]


@pytest.mark.key("fixedName")
def test_a_fixed_name_ignores_the_name_suffix(tmp_path: Path) -> None:
    """fixedName: the baseName is the whole id (seed: 'use the baseName as the charging
    stations unique name')."""
    settings = settings_for(tmp_path, URL_A, 1, baseName="ONLY", nameSuffix="-x", fixedName=True)
    assert [spec.station_id for spec in plan_stations(settings)] == ["ONLY"]


@pytest.mark.key("useConnectorId0")
def test_planned_stations_without_connector_id0_have_no_connector_0(tmp_path: Path) -> None:
    """useConnectorId0 false: the template's connector 0 is not used (the quick template
    defines one)."""
    with_0 = plan_stations(settings_for(tmp_path / "a", URL_A, 1))[0]
    without_0 = plan_stations(settings_for(tmp_path / "b", URL_A, 1, useConnectorId0=False))[0]
    assert sorted(with_0.connectors) == [0, 1, 2]
    assert sorted(without_0.connectors) == [1, 2]


@pytest.mark.key("randomConnectors")
def test_random_connectors_give_the_stations_of_a_plan_different_layouts(
    tmp_path: Path,
) -> None:
    """randomConnectors: each station draws its own assignment of the template's connector
    definitions to its ids; without it every station has the template's order."""
    connectors = {"1": {"bootStatus": "Available"}, "2": {"bootStatus": "Unavailable"}}

    def layouts(directory: Path, **template: Any) -> set[tuple[str | None, ...]]:
        settings = settings_for(directory, URL_A, 30, Connectors=connectors, **template)
        return {
            tuple(spec.connectors[cid].boot_status for cid in (1, 2))
            for spec in plan_stations(settings)
        }

    assert layouts(tmp_path / "fixed") == {("Available", "Unavailable")}
    assert layouts(tmp_path / "random", randomConnectors=True) == {
        ("Available", "Unavailable"),
        ("Unavailable", "Available"),
    }
