"""Every UI procedure, over WebSocket and over HTTP, against a running simulator and the bundled
CSMS: each test checks the effect on the station data and on the CSMS side.

One fleet serves the module (starting worker processes is the slow part); each test works on
stations of its own, and runs once per transport, so it must hold when repeated.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import orjson
import pytest
import pytest_asyncio

from simulator.csms import CentralSystem
from tests.ui_fleet import TEMPLATE, HttpClient, UiClient, UiFleet, running_fleet
from tests.waiting import eventually

pytestmark = [
    pytest.mark.integration,
    pytest.mark.process,
    pytest.mark.timeout(120),
    pytest.mark.asyncio(loop_scope="module"),
]

STATIONS = 8
REJECTED_TAG = "BLOCKED"


def station(number: int) -> str:
    return f"CS-TEST-{number:05d}"


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def fleet(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[UiFleet]:
    async with running_fleet(
        tmp_path_factory.mktemp("ui"),
        STATIONS,
        csms_options={"reject_id_tags": [REJECTED_TAG]},
    ) as running:
        yield running


@pytest_asyncio.fixture(params=["ws", "http"], loop_scope="module")
async def ui(request: pytest.FixtureRequest, fleet: UiFleet) -> AsyncIterator[UiClient]:
    if request.param == "http":
        yield HttpClient(fleet.http_url)
    else:
        async with fleet.websocket() as client:
            yield client


def received(csms: CentralSystem, station_id: str, action: str) -> int:
    record = csms.report.stations.get(station_id)
    return record.received.get(action, 0) if record is not None else 0


async def on(
    ui: UiClient, fleet: UiFleet, procedure: str, number: int, **payload: Any
) -> dict[str, Any]:
    """Run `procedure` on one station and expect success for exactly that station."""
    hash_id = fleet.hash_id(station(number))
    response = await ui.call(procedure, {"hashIds": [hash_id], **payload})
    assert response == {"status": "success", "hashIdsSucceeded": [hash_id]}, response
    return response


async def csms_receives(
    fleet: UiFleet, ui: UiClient, procedure: str, number: int, action: str, **payload: Any
) -> list[Any]:
    """Run a pass-through procedure and return the CALLs of `action` the CSMS then received."""
    before = received(fleet.csms, station(number), action)
    await on(ui, fleet, procedure, number, **payload)
    return await fleet.csms.wait_received(station(number), action, 10, count=before + 1)


# -- the simulator ----------------------------------------------------------------------------


async def test_list_charging_stations_gives_every_station_with_its_data(
    ui: UiClient, fleet: UiFleet
) -> None:
    response = await ui.call("listChargingStations")
    assert response["status"] == "success"
    entries = {e["stationInfo"]["chargingStationId"]: e for e in response["chargingStations"]}
    assert {station(n) for n in range(1, STATIONS + 1)} <= set(entries)
    entry = entries[station(1)]
    assert entry["started"] is True and entry["wsState"] == 1
    assert entry["bootNotificationResponse"]["status"] == "Accepted"
    assert entry["supervisionUrl"] == fleet.csms.url
    assert [c["connectorId"] for c in entry["connectors"]] == [0, 1, 2]
    assert entry["connectors"][1]["connectorStatus"]["locked"] is False
    keys = {k["key"] for k in entry["ocppConfiguration"]["configurationKey"]}
    assert "HeartbeatInterval" in keys


async def test_simulator_state_gives_version_configuration_and_template_statistics(
    ui: UiClient, fleet: UiFleet
) -> None:
    response = await ui.call("simulatorState")
    assert response["status"] == "success"
    state = response["state"]
    assert state["started"] is True and state["version"]
    assert state["configuration"]["supervisionUrls"] == [fleet.csms.url]
    statistics = state["templateStatistics"][TEMPLATE]
    assert statistics["configured"] == STATIONS
    assert statistics["added"] >= STATIONS and statistics["started"] >= 1


async def test_list_templates_names_the_configured_templates(ui: UiClient) -> None:
    assert await ui.call("listTemplates") == {"status": "success", "templates": [TEMPLATE]}


async def test_performance_statistics_count_the_fleets_ocpp_calls(
    ui: UiClient, fleet: UiFleet
) -> None:
    def every_boot_counted(s: Any) -> bool:
        boot = s.totals.commands.get("BootNotification")
        return boot is not None and boot.responses >= STATIONS

    await fleet.supervisor.wait_for(every_boot_counted, 30)
    response = await ui.call("performanceStatistics")
    assert response["status"] == "success"
    boot = response["fleet"]["statisticsData"]["BootNotification"]
    assert boot["requestCount"] >= STATIONS and boot["responseCount"] >= STATIONS
    assert boot["maxTimeMeasurement"] >= boot["minTimeMeasurement"] >= 0
    records = {r["name"]: r for r in response["performanceStatistics"]}
    assert {station(n) for n in range(1, STATIONS + 1)} <= set(records)
    record = records[station(1)]
    assert record["id"] == fleet.hash_id(station(1))
    assert record["uri"].endswith("/" + station(1))
    assert record["statisticsData"]["BootNotification"]["responseCount"] >= 1


# -- station lifecycle ------------------------------------------------------------------------


async def test_close_connection_disconnects_and_open_connection_reconnects(
    ui: UiClient, fleet: UiFleet
) -> None:
    await on(ui, fleet, "closeConnection", 6)
    await fleet.csms.wait_until(lambda: station(6) not in fleet.csms.connected, 10)
    await fleet.supervisor.wait_for(lambda s: fleet.data(station(6))["wsState"] == 3, 10)
    await on(ui, fleet, "openConnection", 6)
    await fleet.csms.wait_until(lambda: station(6) in fleet.csms.connected, 10)
    await fleet.supervisor.wait_for(lambda s: fleet.data(station(6))["wsState"] == 1, 10)


async def test_stop_charging_station_stops_it_and_start_boots_it_again(
    ui: UiClient, fleet: UiFleet
) -> None:
    boots = received(fleet.csms, station(7), "BootNotification")
    await on(ui, fleet, "stopChargingStation", 7)
    await fleet.supervisor.wait_for(lambda s: fleet.data(station(7))["started"] is False, 10)
    await fleet.csms.wait_until(lambda: station(7) not in fleet.csms.connected, 10)
    await on(ui, fleet, "startChargingStation", 7)
    await fleet.csms.wait_received(station(7), "BootNotification", 10, count=boots + 1)
    await fleet.supervisor.wait_for(lambda s: fleet.data(station(7))["started"] is True, 10)


async def test_set_supervision_url_moves_the_station_at_its_next_connection(
    ui: UiClient, fleet: UiFleet
) -> None:
    async with CentralSystem() as other:
        await on(ui, fleet, "setSupervisionUrl", 8, url=other.url)
        await fleet.supervisor.wait_for(
            lambda s: fleet.data(station(8))["supervisionUrl"] == other.url, 10
        )
        await on(ui, fleet, "closeConnection", 8)
        await on(ui, fleet, "openConnection", 8)
        await other.wait_booted(1, 20)
        assert station(8) in other.connected
        await on(ui, fleet, "setSupervisionUrl", 8, url=fleet.csms.url)
        await on(ui, fleet, "closeConnection", 8)
        await on(ui, fleet, "openConnection", 8)
        await fleet.csms.wait_until(lambda: station(8) in fleet.csms.connected, 20)


async def test_set_supervision_url_refuses_a_url_that_is_not_websocket(ui: UiClient) -> None:
    response = await ui.call("setSupervisionUrl", {"url": "http://example.invalid"})
    assert response["status"] == "failure" and "url" in response["errorMessage"]


async def test_change_configuration_sets_the_key_on_the_station(
    ui: UiClient, fleet: UiFleet
) -> None:
    value = "45" if isinstance(ui, HttpClient) else "46"
    await on(ui, fleet, "changeConfiguration", 4, key="HeartbeatInterval", value=value)

    def changed() -> bool:
        keys = fleet.data(station(4))["ocppConfiguration"]["configurationKey"]
        return any(k["key"] == "HeartbeatInterval" and k["value"] == value for k in keys)

    await eventually(changed, 10, "HeartbeatInterval changed")


async def test_change_configuration_of_a_readonly_key_fails_for_that_station(
    ui: UiClient, fleet: UiFleet
) -> None:
    hash_id = fleet.hash_id(station(4))
    response = await ui.call(
        "changeConfiguration", {"hashIds": [hash_id], "key": "ModemVersion", "value": "9"}
    )
    assert response["status"] == "failure"
    assert response["hashIdsFailed"] == [hash_id]
    assert "Rejected" in response["responsesFailed"][0]["error"]


async def test_lock_and_unlock_connector_show_in_the_connector_data(
    ui: UiClient, fleet: UiFleet
) -> None:
    await on(ui, fleet, "lockConnector", 5, connectorId=2)
    await eventually(lambda: fleet.connector_status(station(5), 2)["locked"] is True, 10, "locked")
    await on(ui, fleet, "unlockConnector", 5, connectorId=2)
    await eventually(
        lambda: fleet.connector_status(station(5), 2)["locked"] is False, 10, "unlocked"
    )


async def test_lock_connector_of_a_missing_connector_fails(ui: UiClient, fleet: UiFleet) -> None:
    hash_id = fleet.hash_id(station(5))
    response = await ui.call("lockConnector", {"hashIds": [hash_id], "connectorId": 9})
    assert response["status"] == "failure" and response["hashIdsFailed"] == [hash_id]


# -- adding and deleting stations -------------------------------------------------------------


async def test_add_charging_stations_places_new_stations_that_boot(
    ui: UiClient, fleet: UiFleet
) -> None:
    suffix = "-H" if isinstance(ui, HttpClient) else "-W"
    response = await ui.call(
        "addChargingStations",
        {"template": TEMPLATE, "numberOfStations": 2, "options": {"nameSuffix": suffix}},
    )
    assert response["status"] == "success" and len(response["hashIdsSucceeded"]) == 2
    added = set(response["hashIdsSucceeded"])
    await fleet.supervisor.wait_for(
        lambda s: all(s.stations.get(h, {}).get("wsState") == 1 for h in added), 30
    )
    names = {fleet.supervisor.stations[h]["stationInfo"]["chargingStationId"] for h in added}
    assert all(name.endswith(suffix) for name in names)
    await fleet.csms.wait_until(lambda: names <= fleet.csms.connected, 20)

    deleted = await ui.call("deleteChargingStations", {"hashIds": sorted(added)})
    assert deleted["status"] == "success" and set(deleted["hashIdsSucceeded"]) == added
    await fleet.csms.wait_until(lambda: not names & fleet.csms.connected, 20)
    listed = await ui.call("listChargingStations")
    assert not added & {e["stationInfo"]["hashId"] for e in listed["chargingStations"]}


async def test_add_charging_stations_without_auto_start_leaves_them_stopped(
    ui: UiClient, fleet: UiFleet
) -> None:
    suffix = "-HS" if isinstance(ui, HttpClient) else "-WS"
    response = await ui.call(
        "addChargingStations",
        {
            "template": TEMPLATE,
            "numberOfStations": 1,
            "options": {"nameSuffix": suffix, "autoStart": False},
        },
    )
    assert response["status"] == "success"
    (hash_id,) = response["hashIdsSucceeded"]
    await fleet.supervisor.wait_for(lambda s: hash_id in s.stations, 10)
    assert fleet.supervisor.stations[hash_id]["started"] is False
    await ui.call("deleteChargingStations", {"hashIds": [hash_id], "deleteConfiguration": True})


async def test_add_charging_stations_of_an_unknown_template_fails(ui: UiClient) -> None:
    response = await ui.call("addChargingStations", {"template": "nope", "numberOfStations": 1})
    assert response["status"] == "failure" and "nope" in response["errorMessage"]


async def test_delete_charging_stations_of_an_unknown_station_fails_for_it(
    ui: UiClient,
) -> None:
    response = await ui.call("deleteChargingStations", {"hashIds": ["no-such-station"]})
    assert response["status"] == "failure"
    assert response["hashIdsFailed"] == ["no-such-station"]


# -- OCPP requests on demand ------------------------------------------------------------------


@pytest.mark.parametrize("procedure", ["heartbeat", "Heartbeat"])
async def test_heartbeat_sends_a_heartbeat(ui: UiClient, fleet: UiFleet, procedure: str) -> None:
    await csms_receives(fleet, ui, procedure, 1, "Heartbeat")


@pytest.mark.parametrize("procedure", ["statusNotification", "StatusNotification"])
async def test_status_notification_sends_the_new_connector_status(
    ui: UiClient, fleet: UiFleet, procedure: str
) -> None:
    calls = await csms_receives(
        fleet, ui, procedure, 2, "StatusNotification", connectorId=2, status="Unavailable"
    )
    assert calls[-1].payload["connectorId"] == 2
    assert calls[-1].payload["status"] == "Unavailable"
    await eventually(
        lambda: fleet.connector(station(2), 2)["connectorStatus"]["status"] == "Unavailable",
        10,
        "connector 2 Unavailable",
    )
    await on(ui, fleet, procedure, 2, connectorId=2, status="Available")


async def test_authorize_sends_the_id_tag(ui: UiClient, fleet: UiFleet) -> None:
    calls = await csms_receives(fleet, ui, "authorize", 3, "Authorize", idTag="TAG-1")
    assert calls[-1].payload == {"idTag": "TAG-1"}


async def test_authorize_of_a_rejected_tag_fails_for_that_station(
    ui: UiClient, fleet: UiFleet
) -> None:
    hash_id = fleet.hash_id(station(3))
    response = await ui.call("authorize", {"hashIds": [hash_id], "idTag": REJECTED_TAG})
    assert response["status"] == "failure"
    assert response["hashIdsFailed"] == [hash_id]
    assert "Invalid" in response["responsesFailed"][0]["error"]


async def test_boot_notification_sends_a_boot_notification(ui: UiClient, fleet: UiFleet) -> None:
    calls = await csms_receives(fleet, ui, "bootNotification", 3, "BootNotification")
    assert calls[-1].payload["chargePointVendor"] == "evsim"


async def test_data_transfer_sends_vendor_data(ui: UiClient, fleet: UiFleet) -> None:
    calls = await csms_receives(
        fleet, ui, "dataTransfer", 3, "DataTransfer", messageId="m", data="hello"
    )
    assert calls[-1].payload == {"vendorId": "evsim", "messageId": "m", "data": "hello"}


async def test_data_transfer_to_an_unknown_vendor_fails(ui: UiClient, fleet: UiFleet) -> None:
    hash_id = fleet.hash_id(station(3))
    response = await ui.call("dataTransfer", {"hashIds": [hash_id], "vendorId": "acme"})
    assert response["status"] == "failure" and "UnknownVendorId" in str(response)


async def test_diagnostics_status_notification_sends_the_status(
    ui: UiClient, fleet: UiFleet
) -> None:
    calls = await csms_receives(
        fleet,
        ui,
        "diagnosticsStatusNotification",
        3,
        "DiagnosticsStatusNotification",
        status="Uploading",
    )
    assert calls[-1].payload == {"status": "Uploading"}


async def test_firmware_status_notification_sends_the_status(ui: UiClient, fleet: UiFleet) -> None:
    calls = await csms_receives(
        fleet,
        ui,
        "firmwareStatusNotification",
        3,
        "FirmwareStatusNotification",
        status="Downloading",
    )
    assert calls[-1].payload == {"status": "Downloading"}


async def test_meter_values_sends_the_connectors_energy_register(
    ui: UiClient, fleet: UiFleet
) -> None:
    calls = await csms_receives(fleet, ui, "meterValues", 3, "MeterValues", connectorId=1)
    sample = calls[-1].payload["meterValue"][0]["sampledValue"][0]
    assert calls[-1].payload["connectorId"] == 1
    assert sample["measurand"] == "Energy.Active.Import.Register" and sample["unit"] == "Wh"


async def test_procedures_without_hash_ids_run_on_every_station(
    ui: UiClient, fleet: UiFleet
) -> None:
    response = await ui.call("heartbeat")
    assert response["status"] == "success"
    assert set(response["hashIdsSucceeded"]) >= set(fleet.station_ids())


async def test_a_payload_that_does_not_fit_the_procedure_is_refused_with_the_field(
    ui: UiClient,
) -> None:
    response = await ui.call("statusNotification", {"connectorId": "one"})
    assert response["status"] == "failure" and "connectorId" in response["errorMessage"]
    response = await ui.call("heartbeat", {"hashIds": "not-a-list"})
    assert response["status"] == "failure" and "hashIds" in response["errorMessage"]


async def test_an_unknown_hash_id_fails_for_that_id_only(ui: UiClient, fleet: UiFleet) -> None:
    known = fleet.hash_id(station(1))
    response = await ui.call("heartbeat", {"hashIds": [known, "unknown"]})
    assert response["status"] == "failure"
    assert response["hashIdsSucceeded"] == [known] and response["hashIdsFailed"] == ["unknown"]


# -- transactions ------------------------------------------------------------------------------


async def charging(fleet: UiFleet, number: int, connector_id: int) -> dict[str, Any]:
    await eventually(
        lambda: (
            fleet.connector_status(station(number), connector_id).get("transactionStarted") is True
        ),
        20,
        "transaction started",
    )
    return fleet.connector_status(station(number), connector_id)


async def test_start_and_stop_transaction_run_a_transaction_at_the_csms(
    ui: UiClient, fleet: UiFleet
) -> None:
    await on(ui, fleet, "startTransaction", 1, connectorId=1, idTag="TAG-1")
    connector = await charging(fleet, 1, 1)
    assert connector["transactionIdTag"] == "TAG-1"
    record = fleet.csms.report.transactions[connector["transactionId"]]
    assert (record.station_id, record.connector_id, record.id_tag) == (station(1), 1, "TAG-1")
    await on(ui, fleet, "stopTransaction", 1, transactionId=record.id)
    await eventually(
        lambda: not fleet.connector_status(station(1), 1).get("transactionStarted"),
        20,
        "transaction stopped",
    )
    await fleet.csms.wait_until(lambda: record.stopped, 10, "StopTransaction at the CSMS")
    assert record.stop_reason == "Local"


async def stop_running_transaction(ui: UiClient, fleet: UiFleet, number: int, cid: int) -> None:
    transaction_id = fleet.connector_status(station(number), cid)["transactionId"]
    await on(ui, fleet, "stopTransaction", number, transactionId=transaction_id)
    await eventually(
        lambda: not fleet.connector_status(station(number), cid)["transactionStarted"],
        20,
        "transaction stopped",
    )


async def test_list_charging_stations_shows_a_running_transaction_in_the_connector_status(
    ui: UiClient, fleet: UiFleet
) -> None:
    """The TypeScript simulator's clients read the transaction from connectorStatus."""
    await on(ui, fleet, "startTransaction", 4, connectorId=1, idTag="TAG-LIST")
    await charging(fleet, 4, 1)
    try:
        response = await ui.call("listChargingStations")
        entry = next(
            e
            for e in response["chargingStations"]
            if e["stationInfo"]["chargingStationId"] == station(4)
        )
        status = entry["connectors"][1]["connectorStatus"]
        assert status["transactionStarted"] is True
        record = fleet.csms.report.transactions[status["transactionId"]]
        assert (record.station_id, record.id_tag) == (station(4), "TAG-LIST")
        assert status["transactionIdTag"] == "TAG-LIST"
    finally:
        await stop_running_transaction(ui, fleet, 4, 1)


async def test_a_pushed_station_delta_shows_a_started_transaction_in_the_connector_status(
    fleet: UiFleet,
) -> None:
    def started(frame: Any) -> dict[str, Any] | None:
        delta = frame[1]["stations"].get(fleet.hash_id(station(4)), {})
        for entry in delta.get("connectors", []):
            status: dict[str, Any] = entry["connectorStatus"]
            if entry["connectorId"] == 2 and status["transactionStarted"]:
                return status
        return None

    async with fleet.websocket() as client:
        assert (await client.call("subscribeStationDeltas"))["status"] == "success"
        await on(client, fleet, "startTransaction", 4, connectorId=2, idTag="TAG-DELTA")
        try:
            # Pushes that came before the procedure's answer were kept aside by the client.
            frames = [f for f in client.pushes if f[0] == "stationDeltas"]
            status = next((s for s in map(started, frames) if s is not None), None)
            async with asyncio.timeout(20):
                while status is None:
                    frame = orjson.loads(await client.websocket.recv())
                    status = started(frame) if frame[0] == "stationDeltas" else None
            record = fleet.csms.report.transactions[status["transactionId"]]
            assert (record.station_id, record.connector_id) == (station(4), 2)
            assert status["transactionIdTag"] == "TAG-DELTA"
        finally:
            await stop_running_transaction(client, fleet, 4, 2)


def generator_running(fleet: UiFleet, number: int) -> list[bool]:
    data = fleet.data(station(number))["automaticTransactionGenerator"]
    return [status["start"] for status in data["automaticTransactionGeneratorStatuses"]]


async def test_automatic_transaction_generator_starts_and_stops_on_the_named_connectors(
    ui: UiClient, fleet: UiFleet
) -> None:
    await on(ui, fleet, "startAutomaticTransactionGenerator", 2, connectorIds=[1])
    await eventually(lambda: generator_running(fleet, 2) == [True, False], 10, "ATG on 1")
    await on(ui, fleet, "stopAutomaticTransactionGenerator", 2)
    await eventually(lambda: generator_running(fleet, 2) == [False, False], 10, "ATG off")


# -- start and stop the whole simulator (last: it replaces every station) ---------------------


async def test_stop_simulator_stops_every_station_and_start_simulator_boots_them_again(
    ui: UiClient, fleet: UiFleet
) -> None:
    added = await ui.call(
        "addChargingStations",
        {"template": TEMPLATE, "numberOfStations": 1, "options": {"nameSuffix": "-GONE"}},
    )
    assert added["status"] == "success"
    assert (await ui.call("stopSimulator"))["status"] == "success"
    await fleet.csms.wait_until(lambda: not fleet.csms.connected, 20)
    stopped = await ui.call("heartbeat")
    assert stopped["status"] == "failure" and "stopped" in stopped["errorMessage"]
    assert (await ui.call("simulatorState"))["state"]["started"] is False
    assert (await ui.call("startSimulator"))["status"] == "success"
    await fleet.csms.wait_connected(STATIONS, 30)
    await fleet.supervisor.wait_for(lambda s: s.counts().booted == STATIONS, 30)
    # Stations added from the UI belong to the run that added them.
    listed = await ui.call("listChargingStations")
    assert len(listed["chargingStations"]) == STATIONS
