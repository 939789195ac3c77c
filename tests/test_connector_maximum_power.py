"""The template's Connectors.N.maximumPower (a key of the TypeScript simulator 4.x, in W): the
connector's own power limit, which its meter and the composite schedule (OCPP 1.6 section 5.7)
respect. On a virtual clock against the in-memory CSMS."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from simulator.station.core.metering import Electrical, connector_power_limit_w
from tests.offline_station import make_station, shutdown
from tests.virtual_clock import VirtualClock

POWER = "Power.Active.Import"
AC = Electrical("AC", 230.0, 3)


def connectors(**maxima: float) -> dict[str, Any]:
    """Two connectors sampling energy and power, with the given maximumPower by id."""
    meter_values = [
        {"measurand": "Energy.Active.Import.Register", "unit": "Wh"},
        {"measurand": POWER, "unit": "W"},
    ]
    return {
        cid: {
            "MeterValues": meter_values,
            **({"maximumPower": maxima[f"c{cid}"]} if f"c{cid}" in maxima else {}),
        }
        for cid in ("1", "2")
    }


@pytest.mark.key("Connectors.<id>.maximumPower")
def test_a_connector_maximum_caps_its_share_of_the_station_power() -> None:
    limit = connector_power_limit_w(
        AC, station_power_w=22000, connectors=2, active=1, shared=False, connector_max_w=7000
    )
    assert limit == 7000


def test_a_connector_maximum_above_its_share_changes_nothing() -> None:
    limit = connector_power_limit_w(
        AC, station_power_w=22000, connectors=2, active=1, shared=False, connector_max_w=50000
    )
    assert limit == 11000


def test_a_connector_maximum_caps_a_station_without_power() -> None:
    """No power in the template: the default 32 A per phase, capped by the connector."""
    limit = connector_power_limit_w(
        AC, station_power_w=None, connectors=2, active=1, shared=False, connector_max_w=3700
    )
    assert limit == 3700


@pytest.mark.key("Connectors.<id>.maximumPower")
async def test_the_meter_draws_no_more_than_the_connector_maximum(tmp_path: Path) -> None:
    clock = VirtualClock()
    station = make_station(
        tmp_path,
        clock=clock,
        power=22000,
        Connectors=connectors(c1=7000),
        Configuration={
            "configurationKey": [
                {"key": "MeterValueSampleInterval", "value": "60"},
                {
                    "key": "MeterValuesSampledData",
                    "value": f"Energy.Active.Import.Register,{POWER}",
                },
            ]
        },
    )
    try:
        await station.transactions.start(1, "TAG-A")
        await station.transactions.start(2, "TAG-B")
        await clock.run_for(600)
        assert station.transactions.limit_w(1) == 7000
        assert station.transactions.limit_w(2) == 11000
        powers: dict[int, list[float]] = {1: [], 2: []}
        for payload in station.csms.of("MeterValues"):
            for sample in payload["meterValue"][0]["sampledValue"]:
                if sample["measurand"] == POWER:
                    powers[payload["connectorId"]].append(float(sample["value"]))
        assert powers[1] and max(powers[1]) <= 7000
        assert max(powers[2]) > 7000  # the other connector keeps its share
    finally:
        await shutdown(station)


@pytest.mark.key("Connectors.<id>.maximumPower")
async def test_the_composite_schedule_of_a_connector_is_its_maximum(tmp_path: Path) -> None:
    """Section 5.7: without profiles the composite schedule is what the connector may draw."""
    station = make_station(tmp_path, power=22000, Connectors=connectors(c1=7000))
    try:
        schedule = station.smart_charging.composite(1, 3600, "W")
        assert [p["limit"] for p in schedule["chargingSchedulePeriod"]] == [7000]
    finally:
        await shutdown(station)


@pytest.mark.key("Connectors.<id>.maximumPower")
async def test_the_station_composite_schedule_is_at_most_the_connector_maxima(
    tmp_path: Path,
) -> None:
    """Connector 0: the station's power, or less when every connector has a lower maximum."""
    station = make_station(tmp_path, power=22000, Connectors=connectors(c1=7000, c2=4000))
    try:
        schedule = station.smart_charging.composite(0, 3600, "W")
        assert [p["limit"] for p in schedule["chargingSchedulePeriod"]] == [11000]
    finally:
        await shutdown(station)
