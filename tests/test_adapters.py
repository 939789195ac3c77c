"""A template's ocppVersion picks what is built for the station (issue 14): its first keys and
its adapter, from the one table in simulator/station/adapters.py."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from simulator.station import adapters
from simulator.station.ocpp16.adapter import Adapter16
from simulator.station.ocpp201.adapter import Adapter201
from simulator.station.station import ChargingStation
from simulator.template_model import OCPP_VERSIONS
from tests.fleet201 import specs_201
from tests.offline_station import make_station
from tests.virtual_clock import VirtualClock


def test_the_table_has_a_row_for_every_version_a_template_may_ask_for() -> None:
    """A loaded template names one of OCPP_VERSIONS (template_model.py; "2.0" is read as
    2.0.1), and each has its row."""
    assert set(adapters.VERSIONS) == OCPP_VERSIONS


def test_a_16_station_gets_the_16_adapter(tmp_path: Path) -> None:
    station = make_station(tmp_path)
    assert isinstance(station.adapter, Adapter16)
    assert station.adapter.version == "1.6"


def test_a_16_station_starts_with_the_16_keys_over_its_template(tmp_path: Path) -> None:
    """OCPP 1.6 section 9.1.25: NumberOfConnectors, one of the defaults of ocpp16/keys.py."""
    station = make_station(tmp_path)
    physical = sum(1 for connector_id in station.connectors if connector_id > 0)
    assert station.configuration.get("NumberOfConnectors") == str(physical)


def test_a_201_station_gets_the_201_adapter(tmp_path: Path) -> None:
    spec = make_station(tmp_path).spec
    [spec201] = specs_201(tmp_path / "201", "ws://127.0.0.1:1")
    station = ChargingStation(spec201, clock=VirtualClock(), on_change=lambda s, d: None)
    assert isinstance(station.adapter, Adapter201)
    assert (station.adapter.version, station.adapter.subprotocol) == ("2.0.1", "ocpp2.0.1")
    assert spec.template.ocpp_version == "1.6"


@pytest.mark.parametrize("version", ["1.5", "2.1"])
def test_a_version_without_an_adapter_is_refused_in_one_line(version: str) -> None:
    with pytest.raises(adapters.UnsupportedOcppVersion) as refused:
        adapters.for_version(version)
    assert str(refused.value) == (
        f"ocppVersion {version}: no adapter for it (available: 1.6, 2.0.1)"
    )


def test_a_station_spec_of_a_version_without_an_adapter_cannot_be_built(tmp_path: Path) -> None:
    """A spec of a version the table has no row for is refused by the station, before
    anything of it is built."""
    spec = make_station(tmp_path).spec
    template = spec.template.model_copy(update={"ocpp_version": "2.1"})
    with pytest.raises(adapters.UnsupportedOcppVersion) as refused:
        ChargingStation(
            dataclasses.replace(spec, template=template),
            clock=VirtualClock(),
            on_change=lambda station, delta: None,
        )
    assert str(refused.value) == "ocppVersion 2.1: no adapter for it (available: 1.6, 2.0.1)"
