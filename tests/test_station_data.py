"""The station's entry in listChargingStations and its pushed deltas, in the TypeScript
simulator's shape (4.11 `ChargingStationData`, `ConnectorEntry` and `ConnectorStatus` in
src/types/ChargingStationWorker.ts, ConnectorStatus.ts, Evse.ts): its web UI and CLI read the
connector's transaction from `connectorStatus`."""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

from simulator.connector_entries import physical_connectors
from simulator.station import station_data
from simulator.station.clock import iso_timestamp
from simulator.station.core.model import ConnectorState
from simulator.station.host import StationHost
from simulator.station.station import ChargingStation
from tests.fleet import specs_for
from tests.offline_station import make_station, shutdown

# What the TypeScript types give every connector status here, and the evsim extra beside them.
CONNECTOR_STATUS = {
    "status",
    "availability",
    "errorCode",
    "transactionStarted",
    "energyActiveImportRegisterValue",
    "transactionEnergyActiveImportRegisterValue",
    "locked",
}
EVSIM_CONNECTOR_STATUS = {"plugged"}
TRANSACTION = {"transactionId", "transactionIdTag", "transactionStart"}
# ChargingStationData's fields (wsState and the optional ones included), then evsim's extras.
STATION_DATA = {
    "automaticTransactionGenerator",
    "bootNotificationResponse",
    "connectors",
    "evses",
    "ocppConfiguration",
    "started",
    "stationInfo",
    "supervisionUrl",
    "timestamp",
    "wsState",
}
EVSIM_STATION_DATA = {"reconnects", "transactionQueue"}


def reservation_keys() -> dict[str, Any]:
    return {
        "configurationKey": [
            {"key": "SupportedFeatureProfiles", "readonly": True, "value": "Core,Reservation"}
        ]
    }


def connector(station: ChargingStation, connector_id: int) -> dict[str, Any]:
    entry: dict[str, Any] = next(
        c for c in station.data()["connectors"] if c["connectorId"] == connector_id
    )
    return entry


def test_each_connector_entry_is_its_id_and_its_status(tmp_path: Path) -> None:
    station = make_station(tmp_path)
    entries = station.data()["connectors"]
    assert [e["connectorId"] for e in entries] == [0, 1, 2]
    # OCPP 1.6 has no EVSEs: no evseId.
    assert all(set(e) == {"connectorId", "connectorStatus"} for e in entries)


def test_an_idle_connector_status_has_the_typescript_fields_field_by_field(
    tmp_path: Path,
) -> None:
    station = make_station(tmp_path)  # the quick template: connector 1 has bootStatus Available
    status = connector(station, 1)["connectorStatus"]
    assert set(status) == CONNECTOR_STATUS | EVSIM_CONNECTOR_STATUS | {"bootStatus"}
    assert status["status"] == "Available"
    assert status["availability"] == "Operative"
    assert status["errorCode"] == "NoError"
    assert status["transactionStarted"] is False
    assert status["energyActiveImportRegisterValue"] == 0
    assert status["transactionEnergyActiveImportRegisterValue"] == 0
    assert status["locked"] is False
    assert status["bootStatus"] == "Available"
    assert status["plugged"] is False


def test_a_connector_without_a_boot_status_in_its_template_has_none(tmp_path: Path) -> None:
    station = make_station(tmp_path)  # the quick template's connector 2 has no bootStatus
    assert "bootStatus" not in connector(station, 2)["connectorStatus"]


async def test_a_running_transaction_is_inside_the_connector_status(tmp_path: Path) -> None:
    station = make_station(tmp_path)
    await station.transactions.start(1, "TAG-A")
    try:
        entry = connector(station, 1)
        status = entry["connectorStatus"]
        assert set(status) == (
            CONNECTOR_STATUS | EVSIM_CONNECTOR_STATUS | TRANSACTION | {"bootStatus"}
        )
        assert status["transactionStarted"] is True
        assert status["transactionId"] == 1  # the CSMS's StartTransaction.conf
        assert status["transactionIdTag"] == "TAG-A"
        assert status["transactionStart"] == station.csms.of("StartTransaction")[0]["timestamp"]
        assert status["status"] == "Charging"
        assert set(entry) == {"connectorId", "connectorStatus"}
    finally:
        await shutdown(station)


async def test_a_stopped_transaction_leaves_no_transaction_fields(tmp_path: Path) -> None:
    station = make_station(tmp_path)
    await station.transactions.start(1, "TAG-A")
    await station.transactions.stop(1)
    try:
        status = connector(station, 1)["connectorStatus"]
        assert status["transactionStarted"] is False
        assert TRANSACTION.isdisjoint(status)
    finally:
        await shutdown(station)


async def test_a_reserved_connector_status_carries_its_reservation(tmp_path: Path) -> None:
    """Section 5.13: the reservation as ReserveNow.req gave it, until it ends."""
    station = make_station(tmp_path, Configuration=reservation_keys())
    expiry = iso_timestamp(station.clock.now() + timedelta(hours=1))
    request = {"connectorId": 2, "expiryDate": expiry, "idTag": "TAG-R", "reservationId": 7}
    try:
        assert await station.reservations.reserve(request) == "Accepted"
        assert connector(station, 2)["connectorStatus"]["reservation"] == request
        assert "reservation" not in connector(station, 1)["connectorStatus"]
        assert station.reservations.cancel(7)
        assert "reservation" not in connector(station, 2)["connectorStatus"]
    finally:
        await shutdown(station)


def test_station_data_has_the_typescript_fields_evses_and_a_timestamp(tmp_path: Path) -> None:
    station = make_station(tmp_path)
    data = station.data()
    assert set(data) == STATION_DATA | EVSIM_STATION_DATA
    assert data["evses"] == []
    assert data["stationInfo"]["ocppVersion"] == "1.6"
    # Date.now()'s unit: milliseconds since the epoch, here of the virtual clock.
    assert data["timestamp"] == int(station.clock.now().timestamp() * 1000)


async def test_a_pushed_connector_delta_has_the_same_shape(tmp_path: Path) -> None:
    deltas: list[dict[str, Any]] = []
    station = make_station(tmp_path)
    station._on_change = lambda _station, delta: deltas.append(delta)
    await station.transactions.start(1, "TAG-A")
    try:
        delta = next(d for d in reversed(deltas) if "connectors" in d)
        entry = next(c for c in delta["connectors"] if c["connectorId"] == 1)
        assert entry["connectorStatus"]["transactionStarted"] is True
        assert entry["connectorStatus"]["transactionId"] == 1
        assert set(entry) == {"connectorId", "connectorStatus"}
    finally:
        await shutdown(station)


async def test_the_workers_deltas_carry_the_time_they_were_sent(tmp_path: Path) -> None:
    events: list[Any] = []
    host = StationHost(
        events.append,
        {"configure_logging": False, "statistics_interval": 0, "auto_start": False},
    )
    (spec,) = specs_for(tmp_path, "ws://127.0.0.1:9", 1)
    await host.add(spec.hash_id, spec)
    before = int(time.time() * 1000)
    host.stations[spec.hash_id].set_connector_locked(1, True)
    await host.stop()
    deltas = [e["data"][spec.hash_id] for e in events if e.get("kind") == "stations"]
    locked = next(d for d in deltas if "connectors" in d)
    assert before <= locked["timestamp"] <= time.time() * 1000


def test_a_transactions_start_is_kept_across_a_restart() -> None:
    running = ConnectorState(1, transaction_started=True, transaction_id=3)
    running.transaction_start = "2026-01-01T00:00:00.000Z"
    restored = ConnectorState(1)
    restored.restore(running.as_state(), now=0.0)
    assert restored.as_data()["connectorStatus"]["transactionStart"] == ("2026-01-01T00:00:00.000Z")


# -- OCPP 2.0.1 stations: stationInfo.ocppVersion and the TypeScript simulator's `evses` -------
# (4.11 `EvseEntryData` / `EvseStatusData` in src/types/Evse.ts, built by `buildEvseEntries`:
# `{evseId, evseStatus: {availability, connectors: [{connectorId, connectorStatus, evseId}]}}`.)

# Two EVSEs: EVSE 1 with connector 1, EVSE 2 with connectors 2 and 3 (station-wide ids).
LAYOUT = {1: (1,), 2: (2, 3)}


def station_connectors() -> dict[int, ConnectorState]:
    return {i: ConnectorState(i) for i in range(4)}


def spec_of_version(tmp_path: Path, version: str) -> Any:
    (spec,) = specs_for(tmp_path, "ws://127.0.0.1:9", 1)
    return replace(spec, template=spec.template.model_copy(update={"ocpp_version": version}))


def test_station_info_gives_the_ocpp_version_of_the_station_s_template(tmp_path: Path) -> None:
    info = station_data.station_info(spec_of_version(tmp_path, "2.0.1"), "1.0")
    assert info["ocppVersion"] == "2.0.1"


def test_a_2_0_template_s_version_is_reported_as_written_as_the_typescript_simulator_does(
    tmp_path: Path,
) -> None:
    info = station_data.station_info(spec_of_version(tmp_path, "2.0"), "1.0")
    assert info["ocppVersion"] == "2.0"


def test_the_evses_are_listed_by_id_after_evse_0_the_station_with_its_connector_0() -> None:
    evses = station_data.evse_entries(station_connectors(), {}, LAYOUT)
    assert [e["evseId"] for e in evses] == [0, 1, 2]
    assert [c["connectorId"] for c in evses[0]["evseStatus"]["connectors"]] == [0]


def test_an_evse_lists_its_connectors_in_the_layout_s_order_with_their_station_wide_ids() -> None:
    evses = station_data.evse_entries(station_connectors(), {}, {1: (1,), 2: (3, 2)})
    assert [c["connectorId"] for c in evses[2]["evseStatus"]["connectors"]] == [3, 2]


def test_an_evse_connector_entry_is_the_connector_entry_with_its_evse_id() -> None:
    connectors = station_connectors()
    evses = station_data.evse_entries(connectors, {}, LAYOUT)
    entry = evses[2]["evseStatus"]["connectors"][1]
    assert entry == {**connectors[3].as_data(), "evseId": 2}
    assert list(entry) == ["connectorId", "connectorStatus", "evseId"]


def test_an_evse_status_has_its_availability_and_its_connectors_only() -> None:
    evses = station_data.evse_entries(station_connectors(), {}, LAYOUT)
    assert all(set(e) == {"evseId", "evseStatus"} for e in evses)
    assert all(set(e["evseStatus"]) == {"availability", "connectors"} for e in evses)
    assert [e["evseStatus"]["availability"] for e in evses] == ["Operative"] * 3


def test_an_evse_whose_connectors_are_all_inoperative_is_inoperative() -> None:
    connectors = station_connectors()
    connectors[2].availability = connectors[3].availability = "Inoperative"
    evses = station_data.evse_entries(connectors, {}, LAYOUT)
    assert evses[2]["evseStatus"]["availability"] == "Inoperative"
    assert evses[1]["evseStatus"]["availability"] == "Operative"


def test_an_evse_with_one_operative_connector_is_operative() -> None:
    connectors = station_connectors()
    connectors[3].availability = "Inoperative"
    evses = station_data.evse_entries(connectors, {}, LAYOUT)
    assert evses[2]["evseStatus"]["availability"] == "Operative"


def test_a_reservation_goes_to_its_connector_inside_its_evse() -> None:
    reservation = {"id": 7, "expiryDateTime": "2026-01-01T00:00:00Z"}
    evses = station_data.evse_entries(station_connectors(), {2: reservation}, LAYOUT)
    first, second = evses[2]["evseStatus"]["connectors"]
    assert first["connectorStatus"]["reservation"] == reservation
    assert "reservation" not in second["connectorStatus"]


def test_an_evse_connector_s_status_is_spelled_by_the_version_s_function() -> None:
    connectors = station_connectors()
    connectors[1].status = "Charging"
    spelled = {"Charging": "Occupied"}
    evses = station_data.evse_entries(
        connectors, {}, LAYOUT, status=lambda core: spelled.get(core, core)
    )
    assert evses[1]["evseStatus"]["connectors"][0]["connectorStatus"]["status"] == "Occupied"
    assert evses[2]["evseStatus"]["connectors"][0]["connectorStatus"]["status"] == "Available"


def test_a_station_without_evses_has_an_empty_evses_list() -> None:
    assert station_data.evse_entries(station_connectors(), {}, {}) == []


def test_a_station_with_evses_lists_no_connectors_outside_them() -> None:
    """As the TypeScript simulator's buildConnectorEntries for a station with EVSEs."""
    assert station_data.connector_entries(station_connectors(), {}, LAYOUT) == []


def test_a_connector_change_of_a_16_station_pushes_its_connectors() -> None:
    connectors = station_connectors()
    delta = station_data.connector_delta(connectors, {})
    assert delta == {"connectors": station_data.connector_entries(connectors, {})}


def test_a_connector_change_of_a_station_with_evses_pushes_its_evses() -> None:
    connectors = station_connectors()
    connectors[2].status = "Faulted"
    delta = station_data.connector_delta(connectors, {}, LAYOUT)
    assert delta == {"evses": station_data.evse_entries(connectors, {}, LAYOUT)}
    assert delta["evses"][2]["evseStatus"]["connectors"][0]["connectorStatus"]["status"] == (
        "Faulted"
    )


def test_the_physical_connectors_of_a_16_station_s_data_are_its_connectors_but_0() -> None:
    connectors = station_connectors()
    data = {"connectors": station_data.connector_entries(connectors, {}), "evses": []}
    assert [c["connectorId"] for c in physical_connectors(data)] == [1, 2, 3]


def test_the_physical_connectors_of_a_2_0_1_station_s_data_are_its_evses_connectors() -> None:
    connectors = station_connectors()
    data = {"connectors": [], "evses": station_data.evse_entries(connectors, {}, LAYOUT)}
    assert [c["connectorId"] for c in physical_connectors(data)] == [1, 2, 3]
