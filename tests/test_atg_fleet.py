"""Stations with the ATG against the bundled CSMS: real sockets on 127.0.0.1, checked on the
CSMS side."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from simulator.config_loading import load_settings
from simulator.csms import CentralSystem
from simulator.csms.report import TransactionRecord
from simulator.plan import StationSpec, plan_stations
from simulator.station.clock import SystemClock
from simulator.station.host import StationHost
from simulator.station.id_tags import affinity_index
from simulator.station.station import ChargingStation
from tests.fleet import quick_template, write_fleet
from tests.waiting import eventually

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]

ID_TAGS = [f"FLEET-{i:02d}" for i in range(7)]
MEASURANDS = "Energy.Active.Import.Register,Power.Active.Import,Current.Import,Voltage,SoC"


@pytest.fixture
async def csms() -> AsyncIterator[CentralSystem]:
    async with CentralSystem(heartbeat_interval=60) as central:
        yield central


def atg_template(distribution: str, energy_unit: str = "Wh", **overrides: Any) -> dict[str, Any]:
    """Sessions of 1-2 s, 0-1 s apart, metered every second."""
    return quick_template(
        authorizationFile="idtags.json",
        beginEndMeterValues=True,
        Configuration={
            "configurationKey": [
                {"key": "MeterValueSampleInterval", "readonly": False, "value": "1"},
                {"key": "MeterValuesSampledData", "readonly": False, "value": MEASURANDS},
            ]
        },
        AutomaticTransactionGenerator={
            "enable": True,
            "minDuration": 1,
            "maxDuration": 2,
            "minDelayBetweenTwoTransactions": 0,
            "maxDelayBetweenTwoTransactions": 1,
            "probabilityOfStart": 1,
            "stopAfterHours": 1,
            "requireAuthorize": True,
            "idTagDistribution": distribution,
        },
        Connectors={
            "1": {
                "MeterValues": [
                    {"measurand": m, "unit": u}
                    for m, u in (
                        ("Energy.Active.Import.Register", energy_unit),
                        ("Power.Active.Import", "W"),
                        ("Current.Import", "A"),
                        ("Voltage", "V"),
                        ("SoC", "Percent"),
                    )
                ]
            }
        },
        **overrides,
    )


def plan(tmp_path: Path, url: str) -> list[StationSpec]:
    config = write_fleet(
        tmp_path,
        url,
        {
            "affinity.json": (atg_template("connector-affinity"), 10),
            "round-robin.json": (
                atg_template(
                    "round-robin",
                    baseName="CS-RR",
                    energy_unit="kWh",
                    meteringPerTransaction=False,
                    transactionDataMeterValues=True,
                    powerSharedByConnectors=True,
                ),
                10,
            ),
        },
        seed=42,
    )
    (config.parent / "idtags.json").write_text(json.dumps(ID_TAGS))
    return plan_stations(load_settings(config, environ={}))


@pytest.mark.key("AutomaticTransactionGenerator", "AutomaticTransactionGenerator.enable")
async def test_twenty_generators_close_every_transaction_with_consistent_energy(
    tmp_path: Path, csms: CentralSystem
) -> None:
    """Every StartTransaction has its StopTransaction; the energy of the last
    Energy.Active.Import.Register sample of a transaction (Wh or kWh) is meterStop - meterStart
    (meteringPerTransaction: meterStart is 0) or the register meterStop (without it: then each
    meterStart is the previous meterStop of the connector); the idTag rules held."""
    specs = plan(tmp_path, csms.url)
    stations = [
        ChargingStation(spec, clock=SystemClock(), on_change=lambda station, delta: None)
        for spec in specs
    ]
    for station in stations:
        await station.start()
    try:
        await csms.wait_booted(20, 20)
        await csms.wait_until(lambda: len(csms.report.transactions) >= 60, 30)
        for station in stations:
            station.atg.stop()
        await csms.wait_until(
            lambda: (
                all(t.stopped for t in csms.report.transactions.values())
                and not any(c.transaction_started for s in stations for c in s.connectors.values())
            ),
            20,
        )
    finally:
        for station in stations:
            await station.stop()

    transactions = sorted(csms.report.transactions.values(), key=lambda t: t.id)
    assert all(t.stopped and t.stop_reason == "Local" for t in transactions)
    by_station = {spec.station_id: spec for spec in specs}
    per_connector: dict[tuple[str, int], list[TransactionRecord]] = defaultdict(list)
    for t in transactions:
        per_connector[(t.station_id, t.connector_id)].append(t)
        spec = by_station[t.station_id]
        assert t.last_energy_wh is not None and t.meter_stop is not None
        if spec.template.metering_per_transaction:
            assert t.meter_start == 0
            assert t.meter_stop - t.meter_start == t.last_energy_wh
        else:
            assert t.last_energy_wh == t.meter_stop
    for (station_id, _), runs in per_connector.items():
        if not by_station[station_id].template.metering_per_transaction:
            assert [t.meter_start for t in runs[1:]] == [t.meter_stop for t in runs[:-1]]
    assert sum(t.meter_stop or 0 for t in transactions) > 0

    for station_id, spec in by_station.items():
        mine = [t for t in transactions if t.station_id == station_id]
        assert mine, f"{station_id} ran no transaction"
        rule = spec.template.automatic_transaction_generator.id_tag_distribution
        if rule == "connector-affinity":
            for t in mine:
                assert t.id_tag == ID_TAGS[affinity_index(spec.index, t.connector_id, 7)]
        else:
            assert [t.id_tag for t in mine] == [ID_TAGS[i % 7] for i in range(len(mine))]


async def test_host_procedures_start_and_stop_transactions_and_the_generator(
    tmp_path: Path, csms: CentralSystem
) -> None:
    """The UI's startTransaction / stopTransaction (reason Local), start/stop of the ATG per
    connector and setIdTags, as the host runs them."""
    spec = plan(tmp_path, csms.url)[0]
    events: list[Any] = []
    host = StationHost(events.append, {"configure_logging": False, "statistics_interval": 0})
    await host.add(spec.hash_id, spec)
    station = host.stations[spec.hash_id]
    try:
        await eventually(lambda: station.atg.running, 10, "the ATG started at boot")
        await host.request(None, {"procedure": "stopAutomaticTransactionGenerator"})
        await eventually(
            lambda: not any(c.transaction_started for c in station.connectors.values()), 10
        )
        assert not station.atg.running
        started = await host.request(
            None, {"procedure": "startTransaction", "connectorId": 2, "idTag": "UI-TAG"}
        )
        assert started["succeeded"] == [spec.hash_id]
        transaction_id = station.connectors[2].transaction_id
        assert transaction_id is not None
        stopped = await host.request(
            None, {"procedure": "stopTransaction", "transactionId": transaction_id}
        )
        assert stopped["succeeded"] == [spec.hash_id]
        record = csms.report.transactions[transaction_id]
        assert record.id_tag == "UI-TAG" and record.stop_reason == "Local"

        await host.request(
            None,
            {
                "procedure": "setIdTags",
                "authorizationFile": spec.authorization_file,
                "idTags": ["NEW-TAG"],
            },
        )
        await host.request(
            None, {"procedure": "startAutomaticTransactionGenerator", "connectorIds": [1]}
        )
        assert station.atg.statuses[1].start and not station.atg.statuses[2].start
        await eventually(
            lambda: any(t.id_tag == "NEW-TAG" for t in csms.report.transactions.values()), 10
        )
    finally:
        await host.stop()
    assert all(t.stopped for t in csms.report.transactions.values())


@pytest.mark.key("AutomaticTransactionGenerator.stopOnConnectionFailure")
async def test_a_lost_connection_stops_the_generator_until_the_next_boot(
    tmp_path: Path, csms: CentralSystem
) -> None:
    """stopOnConnectionFailure: the ATG stops with the connection and starts again on the next
    accepted boot (enable), as the TS simulator does."""
    spec = plan(tmp_path, csms.url)[0]
    station = ChargingStation(spec, clock=SystemClock(), on_change=lambda station, delta: None)
    await station.start()
    try:
        await eventually(lambda: station.atg.running, 10, "the ATG started at boot")
        first_start = station.atg.statuses[1].start_date
        await station.close_connection()
        await eventually(lambda: not station.atg.running, 10, "the ATG stopped")
        await station.open_connection()
        await eventually(lambda: station.atg.running, 10, "the ATG started again")
        assert station.atg.statuses[1].start_date != first_start
    finally:
        await station.stop()
