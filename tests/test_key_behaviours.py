"""Keys of the seed contract (config.json and station templates) whose behaviour no test of
their own feature showed: ocppProtocol, enableStatistics, beginEndMeterValues left off,
firmwareUpgrade's durations, a MeterValues entry's phase and location, uiServer.enabled and
uiServer.options.host."""

from __future__ import annotations

import asyncio
import json
import socket
from pathlib import Path

import pytest

from simulator.config_error import ConfigError
from simulator.csms import CentralSystem
from simulator.station.core.metering import MeterState
from simulator.station.ocpp16.firmware_management import update_firmware
from simulator.stats import Statistics
from simulator.template_model import load_template
from tests.fleet import quick_template, write_fleet
from tests.offline_station import make_station as make_offline_station
from tests.offline_station import shutdown
from tests.test_cli import evsim, finished, free_port
from tests.test_meter_values import model_of
from tests.test_station import booted, make_station
from tests.test_ui_server import idle_server
from tests.virtual_clock import VirtualClock

pytestmark = pytest.mark.timeout(60)


@pytest.mark.key("ocppProtocol")
def test_a_template_asking_for_ocpp_soap_is_refused_at_load(tmp_path: Path) -> None:
    """ocppProtocol: evsim speaks OCPP-J only; a SOAP station cannot start half-configured."""
    path = tmp_path / "t.json"
    path.write_text(json.dumps({"ocppProtocol": "soap"}))
    with pytest.raises(ConfigError) as error:
        load_template(path)
    assert error.value.key == "ocppProtocol"


@pytest.mark.key("enableStatistics")
@pytest.mark.integration
async def test_without_enable_statistics_a_station_records_none_of_its_calls(
    tmp_path: Path,
) -> None:
    statistics = Statistics()
    async with CentralSystem() as csms:
        station, _ = make_station(tmp_path, csms.url, statistics, enableStatistics=False)
        async with booted(station, csms):
            await csms.wait_received(station.spec.station_id, "StatusNotification", 10, 3)
    assert statistics.commands == {}


@pytest.mark.key("beginEndMeterValues")
async def test_without_begin_end_meter_values_a_transaction_has_no_begin_or_end_sample(
    tmp_path: Path,
) -> None:
    """beginEndMeterValues false (the default): no Transaction.Begin / Transaction.End
    MeterValues, only the periodic samples."""
    clock = VirtualClock()
    station = make_offline_station(tmp_path, clock=clock, beginEndMeterValues=False)
    await station.transactions.start(1, "TAG-A")
    await clock.run_for(600)
    await station.transactions.stop(1, "Local")
    try:
        contexts = {
            sampled["context"]
            for payload in station.csms.of("MeterValues")
            for sampled in payload["meterValue"][0]["sampledValue"]
        }
        assert contexts == {"Sample.Periodic"}
    finally:
        await shutdown(station)


@pytest.mark.key("firmwareUpgrade.downloadSeconds", "firmwareUpgrade.installSeconds")
async def test_a_firmware_download_and_installation_last_the_templates_seconds(
    tmp_path: Path,
) -> None:
    """firmwareUpgrade.downloadSeconds / installSeconds: the simulated transfer and install
    (section 5.19's Downloading -> Downloaded, Installing -> Installed)."""
    clock = VirtualClock()
    station = make_offline_station(
        tmp_path,
        clock=clock,
        firmwareUpgrade={"downloadSeconds": 40, "installSeconds": 25, "reset": False},
    )
    retrieve_date = clock.now().isoformat()
    await update_firmware(
        station, {"location": "ftp://fw.example.com/v2.bin", "retrieveDate": retrieve_date}
    )
    await clock.run_for(120)
    try:
        at = {
            s.payload["status"]: s.at
            for s in station.csms.sent
            if s.action == "FirmwareStatusNotification"
        }
        assert at["Downloaded"] - at["Downloading"] == 40
        assert at["Installed"] - at["Installing"] == 25
    finally:
        await shutdown(station)


@pytest.mark.key("Connectors.<id>.MeterValues[].phase")
def test_the_entry_without_phase_describes_the_measurand() -> None:
    """A MeterValues entry with a phase is one phase's; the entry without phase (when there is
    one) gives the measurand's unit and value, whatever the order of the entries."""
    model = model_of(
        [
            {"measurand": "Power.Active.Import", "phase": "L1-N", "unit": "kW"},
            {"measurand": "Power.Active.Import", "unit": "W"},
        ],
        power=22000,
    )
    reading = model.idle_reading(MeterState(), 0)
    sampled = model.sampled_values("Power.Active.Import", reading, "Trigger")
    assert sampled and {s["unit"] for s in sampled} == {"W"}


@pytest.mark.key("Connectors.<id>.MeterValues[].location")
def test_a_location_is_carried_by_every_sampled_value_of_its_measurand() -> None:
    """Section 7.44 SampledValue.location, from the connector's MeterValues entry."""
    model = model_of([{"measurand": "Current.Import", "location": "Outlet"}], power=22000)
    reading = model.idle_reading(MeterState(), 0)
    sampled = model.sampled_values(
        "Energy.Active.Import.Register,Current.Import", reading, "Trigger"
    )
    located = {s["measurand"]: s.get("location") for s in sampled}
    assert located == {"Energy.Active.Import.Register": None, "Current.Import": "Outlet"}
    assert len([s for s in sampled if s["measurand"] == "Current.Import"]) == 4  # L1-L3 too


@pytest.mark.key("uiServer.enabled")
@pytest.mark.integration
async def test_with_the_ui_server_disabled_evsim_run_listens_on_no_ui_port(tmp_path: Path) -> None:
    ui_port = free_port()
    async with CentralSystem() as csms:
        path = write_fleet(
            tmp_path,
            csms.url,
            {"t.json": (quick_template(), 1)},
            uiServer={"enabled": False, "options": {"host": "127.0.0.1", "port": ui_port}},
        )
        process = await evsim("run", "--config", str(path), "--no-uvloop")
        try:
            # The UI server would start before the stations: once one is booted, it is up.
            await csms.wait_booted(1, 40)
            with pytest.raises(ConnectionRefusedError):
                _reader, writer = await asyncio.open_connection("127.0.0.1", ui_port)
                writer.close()
        finally:
            process.terminate()
            code, _, err = await finished(process)
        assert code == 0, err


@pytest.mark.key("uiServer.options", "uiServer.options.host")
@pytest.mark.integration
async def test_the_ui_server_listens_on_the_configured_host_only(tmp_path: Path) -> None:
    """uiServer.options.host: 127.0.0.1 binds the IPv4 loopback, not every interface."""
    server = await idle_server(tmp_path)
    try:
        # No public accessor for the listening sockets: the websockets Server holds them.
        sockets = server._server.sockets if server._server is not None else []
        bound = {sock.getsockname()[0] for sock in sockets if sock.family == socket.AF_INET}
        assert bound == {"127.0.0.1"}
        assert all(sock.family == socket.AF_INET for sock in sockets)
    finally:
        await server.stop()
