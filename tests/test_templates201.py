"""OCPP 2.0.1 station templates (issue 15): the TypeScript simulator's 2.0.1 format loads
unchanged, its EVSEs become the plan's flat connectors and EVSE layout (StationSpec.evses), and
a 2.0.1 station's identity keeps OCPP-J 2.0.1's bounds (Part 4 3.1.1)."""

from __future__ import annotations

import pickle
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from loguru import logger

from simulator.config_error import ConfigError
from simulator.config_loading import load_settings
from simulator.plan import StationSpec, plan_added_stations, plan_stations
from simulator.station.ocpp201.evses import EvseMap
from simulator.template_model import load_template
from tests.fleet import quick_template, write_fleet
from tests.fleet201 import ENERGY, POWER, specs_201, template_201

URL = "ws://127.0.0.1:9"


@pytest.fixture
def warnings() -> Iterator[list[str]]:
    messages: list[str] = []
    sink = logger.add(lambda message: messages.append(message.record["message"]), level="WARNING")
    yield messages
    logger.remove(sink)


def only_spec(tmp_path: Path, **overrides: Any) -> StationSpec:
    [spec] = specs_201(tmp_path, URL, 1, **overrides)
    return spec


def refusal(tmp_path: Path, data: dict[str, Any], count: int = 1) -> ConfigError:
    path = write_fleet(tmp_path, URL, {"v201.json": (data, count)})
    with pytest.raises(ConfigError) as caught:
        plan_stations(load_settings(path, environ={}))
    return caught.value


# -- Evses ---------------------------------------------------------------------------------------


@pytest.mark.key("Evses", "Evses.<id>.Connectors")
def test_the_typescript_numbering_keeps_its_connector_ids(tmp_path: Path) -> None:
    """The TS simulator numbers connectors station-wide ("1" in EVSE 1, "2" in EVSE 2): the
    station's connectors are those, each EVSE holding its own; EVSE 0's connector 0 is the
    station's connector 0."""
    spec = only_spec(tmp_path)
    assert sorted(spec.connectors) == [0, 1, 2]
    assert dict(spec.evses) == {1: (1,), 2: (2,)}
    assert spec.connectors[1].boot_status == "Available"
    assert [sample.measurand for sample in spec.connectors[2].meter_values] == [
        None,
        "Power.Active.Import",
    ]


@pytest.mark.key("Evses", "Evses.<id>.Connectors")
def test_connectors_numbered_per_evse_are_numbered_station_wide_in_evse_order(
    tmp_path: Path,
) -> None:
    """OCPP 2.0.1 numbers a connector within its EVSE from 1 (Part 2 EVSEType); the core keeps
    station-wide ids 1..N: EVSE 1's connectors first, by key, then EVSE 2's."""
    evses = {
        "1": {"Connectors": {"2": {"maximumPower": 7400}, "1": {"maximumPower": 11000}}},
        "2": {"Connectors": {"1": {"maximumPower": 22000}}},
    }
    spec = only_spec(tmp_path, Evses=evses)
    assert {cid: c.maximum_power for cid, c in spec.connectors.items()} == {
        1: 11000,
        2: 7400,
        3: 22000,
    }
    assert dict(spec.evses) == {1: (1, 2), 2: (3,)}
    assert EvseMap(spec.evses).evse_of(3) == (2, 1)


@pytest.mark.key("useConnectorId0", "Evses")
def test_without_use_connector_id0_the_station_connector_is_dropped(tmp_path: Path) -> None:
    spec = only_spec(tmp_path, useConnectorId0=False)
    assert sorted(spec.connectors) == [1, 2]


def test_a_station_s_layout_pickles_for_its_worker(tmp_path: Path) -> None:
    spec = only_spec(tmp_path)
    assert pickle.loads(pickle.dumps(spec)).evses == spec.evses


@pytest.mark.key("Evses")
def test_connectors_and_evses_together_are_refused_in_one_line(tmp_path: Path) -> None:
    """As the TS simulator refuses them: which would the station have?"""
    data = template_201(Connectors={"1": {}})
    error = refusal(tmp_path, data)
    assert (error.key, error.reason) == (
        "Evses",
        "Connectors and Evses are both defined: a template has one of them",
    )


@pytest.mark.key("Evses")
@pytest.mark.parametrize(
    ("evses", "reason"),
    [
        ({"1": {"Connectors": {"1": {}}}, "3": {"Connectors": {"2": {}}}}, "without gap"),
        ({"1": {"Connectors": {}}}, "EVSE 1 has no connector"),
        ({"1": {"Connectors": {"0": {}}}}, "connector ids are 1 or more"),
        ({"0": {"Connectors": {"0": {}, "1": {}}}}, "EVSE 0 is the station"),
    ],
    ids=["a gap", "an empty EVSE", "connector 0 in EVSE 1", "a connector in EVSE 0"],
)
def test_an_evse_layout_no_2_0_1_station_has_is_refused_in_one_line(
    tmp_path: Path, evses: dict[str, Any], reason: str
) -> None:
    """2.0.1 designates EVSEs and connectors by index numbers from 1 (Part 2 EVSEType); 0 is
    the station."""
    error = refusal(tmp_path, template_201(Evses=evses))
    assert error.key == "Evses"
    assert reason in error.reason and "\n" not in str(error)


@pytest.mark.key("numberOfConnectors", "Evses")
def test_a_number_of_connectors_the_evses_contradict_is_ignored_with_a_warning(
    tmp_path: Path, warnings: list[str]
) -> None:
    spec = only_spec(tmp_path, numberOfConnectors=4)
    assert sorted(spec.connectors) == [0, 1, 2]
    assert any("numberOfConnectors ignored: the Evses define 2 connectors" in w for w in warnings)


def test_a_number_of_connectors_the_evses_agree_with_warns_nothing(
    tmp_path: Path, warnings: list[str]
) -> None:
    """The TS simulator's 2.0.1 templates carry both."""
    only_spec(tmp_path, numberOfConnectors=2)
    assert not any("numberOfConnectors" in warning for warning in warnings)


@pytest.mark.key("ocppVersion", "Connectors")
def test_a_2_0_1_template_with_connectors_makes_each_connector_an_evse(tmp_path: Path) -> None:
    data = quick_template(ocppVersion="2.0.1", numberOfConnectors=3)
    path = write_fleet(tmp_path, URL, {"v201.json": (data, 1)})
    [spec] = plan_stations(load_settings(path, environ={}))
    assert dict(spec.evses) == {1: (1,), 2: (2,), 3: (3,)}


@pytest.mark.key("ocppVersion")
def test_a_1_6_station_has_no_evses(tmp_path: Path) -> None:
    path = write_fleet(tmp_path, URL, {"v16.json": (quick_template(), 1)})
    [spec] = plan_stations(load_settings(path, environ={}))
    assert spec.evses == {}


def test_a_1_6_template_s_evses_still_read_as_connectors(
    tmp_path: Path, warnings: list[str]
) -> None:
    """OCPP 1.6 has no EVSE: the grouping is dropped, as before 2.0.1 templates loaded."""
    data = {"Evses": {"1": {"Connectors": {"1": {"MeterValues": [ENERGY, POWER]}}}}}
    path = write_fleet(tmp_path, URL, {"v16.json": (data, 1)})
    [spec] = plan_stations(load_settings(path, environ={}))
    assert (sorted(spec.connectors), spec.evses) == ([1], {})
    assert any("EVSE grouping ignored" in warning for warning in warnings)


@pytest.mark.key("authorizationFile")
def test_id_tags_file_names_the_authorization_file_of_a_2_0_1_template(tmp_path: Path) -> None:
    """The TS simulator's 2.0.1 templates write idTagsFile, read as authorizationFile."""
    spec = only_spec(tmp_path, idTagsFile="idtags.json")
    assert spec.authorization_file == str(tmp_path / "config" / "idtags.json")


@pytest.mark.key("Configuration.configurationKey")
def test_device_model_keys_reach_the_template_as_written(tmp_path: Path) -> None:
    """`Component.Variable[.Instance]` keys are the device model's (device_model_template.py)."""
    keys = [key.key for key in only_spec(tmp_path).template.configuration.configuration_key]
    assert "OCPPCommCtrlr.MessageAttempts.TransactionEvent" in keys


# -- identity (OCPP-J 2.0.1 3.1.1) -------------------------------------------------------------


@pytest.mark.key("baseName", "ocppVersion")
def test_a_2_0_1_station_id_of_48_characters_is_planned(tmp_path: Path) -> None:
    """P4 3.1.1: "The maximum length of the Charging Station identity is: 48"."""
    [spec] = specs_201(tmp_path, URL, 1, baseName="B" * 42)  # + "-00001"
    assert len(spec.station_id) == 48


@pytest.mark.key("baseName", "ocppVersion")
def test_a_2_0_1_station_id_over_48_characters_is_refused_naming_the_template_key(
    tmp_path: Path,
) -> None:
    error = refusal(tmp_path, template_201(baseName="B" * 43))
    assert error.file.endswith("v201.json") and error.key == "baseName"
    assert "is 49 characters; OCPP 2.0.1 allows at most 48" in error.reason


def test_the_station_whose_index_makes_its_id_too_long_is_refused(tmp_path: Path) -> None:
    """Ids grow with the index: station 10000 of a 42-character baseName has 49 characters."""
    error = refusal(tmp_path, template_201(baseName="B" * 42), count=10000)
    assert "B" * 42 + "-010000" in error.reason


@pytest.mark.key("baseName", "nameSuffix", "ocppVersion")
@pytest.mark.parametrize(
    ("keys", "named"),
    [({"baseName": "CS:A"}, "baseName"), ({"nameSuffix": ":x"}, "nameSuffix")],
)
def test_a_2_0_1_station_id_with_a_colon_is_refused(
    tmp_path: Path, keys: dict[str, str], named: str
) -> None:
    """P4 3.1.1: the identity "might not" have ":", since it is the basic-auth user name."""
    error = refusal(tmp_path, template_201(**keys))
    assert error.key == named and "has a ':'" in error.reason


def test_a_1_6_station_id_keeps_no_such_bound(tmp_path: Path) -> None:
    path = write_fleet(tmp_path, URL, {"v16.json": (quick_template(baseName="CS:" + "x" * 60), 1)})
    [spec] = plan_stations(load_settings(path, environ={}))
    assert len(spec.station_id) > 48


def test_a_station_added_at_run_time_keeps_the_bound_too(tmp_path: Path) -> None:
    """The UI's addChargingStations plans with plan_added_stations."""
    path = write_fleet(tmp_path, URL, {"v201.json": (template_201(baseName="B" * 43), 0)})
    settings = load_settings(path, environ={})
    template_path = tmp_path / "templates" / "v201.json"
    with pytest.raises(ValueError, match="at most 48"):
        plan_added_stations(
            settings,
            template_path,
            load_template(template_path),
            first_index=1,
            count=1,
            first_global_index=0,
        )
