"""The one table of UI procedures (simulator/procedure_table.py, issue 14): every procedure has a
payload model and a target the simulator reaches, and the UI answers exactly the table's
procedures. The procedures' behaviour itself is tests/test_ui_procedures.py's.
"""

from __future__ import annotations

import inspect
import re
from collections import Counter
from typing import Any, get_args

import pytest
from pydantic import BaseModel

import tests.test_architecture as architecture
from simulator import cli_control
from simulator.procedure_payloads import OnStations
from simulator.procedure_table import ALIASES, PROCEDURES, TABLE, Fleet, Intent, Message
from simulator.station.host import StationHost
from simulator.template_model import StationTemplate
from simulator.ui import procedures as ui

FLEET = [row for row in TABLE if isinstance(row.target, Fleet)]
INTENTS = [row for row in TABLE if isinstance(row.target, Intent)]
MESSAGES = [row for row in TABLE if isinstance(row.target, Message)]
ON_STATIONS = INTENTS + MESSAGES
# What StationTemplate.ocppVersion accepts.
OCPP_VERSIONS = frozenset(get_args(StationTemplate.model_fields["ocpp_version"].annotation))


def test_no_two_rows_share_a_name() -> None:
    names = Counter(row.name for row in TABLE)

    assert [name for name, count in names.items() if count > 1] == []


def test_every_row_has_one_of_the_three_targets() -> None:
    assert len(FLEET) + len(INTENTS) + len(MESSAGES) == len(TABLE)


@pytest.mark.parametrize("row", TABLE, ids=lambda row: row.name)
def test_every_procedure_has_a_payload_model(row: Any) -> None:
    assert issubclass(row.payload, BaseModel)


@pytest.mark.parametrize("row", ON_STATIONS, ids=lambda row: row.name)
def test_a_procedure_on_stations_takes_hash_ids(row: Any) -> None:
    assert issubclass(row.payload, OnStations)


@pytest.mark.parametrize("row", FLEET + INTENTS, ids=lambda row: row.name)
def test_a_fleet_or_intent_target_is_a_coroutine_function(row: Any) -> None:
    assert inspect.iscoroutinefunction(row.target.run)


@pytest.mark.parametrize("row", MESSAGES, ids=lambda row: row.name)
def test_a_message_has_a_command_in_ocpp_versions_a_template_may_name(row: Any) -> None:
    versions = set(row.target.commands)

    assert versions and versions <= OCPP_VERSIONS
    assert all(inspect.iscoroutinefunction(row.target.command(v)) for v in versions)


def test_a_message_a_station_s_ocpp_version_lacks_is_refused_with_the_version_named() -> None:
    message = PROCEDURES["diagnosticsStatusNotification"].target
    assert isinstance(message, Message)

    with pytest.raises(ValueError, match=re.escape("not a message of OCPP 2.0.1")):
        message.command("2.0.1")


def test_the_ui_answers_exactly_the_table_s_procedures_and_aliases() -> None:
    assert set(ui.PROCEDURES) == {row.name for row in TABLE} | set(ALIASES)


def test_an_alias_is_another_name_of_a_row() -> None:
    assert {alias: PROCEDURES[alias].name for alias in ALIASES} == dict(ALIASES)


def test_every_procedure_the_cli_sends_is_in_the_table() -> None:
    sent = {
        procedure for actions in cli_control.GROUPS.values() for procedure, _ in actions.values()
    }

    assert sent - set(PROCEDURES) == set()


def test_the_worker_s_own_requests_are_no_ui_procedures() -> None:
    assert {"setIdTags", "reloadSpec", "configureLogging"} & set(ui.PROCEDURES) == set()


@pytest.mark.parametrize("row", ON_STATIONS, ids=lambda row: row.name)
async def test_the_worker_host_runs_every_procedure_on_stations(row: Any) -> None:
    host = StationHost(lambda event: None, {"configure_logging": False, "statistics_interval": 0})
    try:
        result = await host.request(None, {"procedure": row.name})
    finally:
        await host.stop()

    assert result == {"succeeded": [], "failed": []}


@pytest.mark.parametrize("row", FLEET, ids=lambda row: row.name)
async def test_the_worker_host_refuses_a_fleet_procedure(row: Any) -> None:
    host = StationHost(lambda event: None, {"configure_logging": False, "statistics_interval": 0})
    try:
        with pytest.raises(ValueError, match="unknown procedure"):
            await host.request(None, {"procedure": row.name})
    finally:
        await host.stop()


def test_the_table_brings_neither_the_supervisor_nor_the_ui_server_into_a_worker() -> None:
    graph = architecture.import_graph(architecture.ROOT)
    reached: set[str] = set()
    left = ["simulator.station.host"]
    while left:
        module = left.pop()
        if module not in reached:
            reached.add(module)
            left.extend(graph.get(module, ()))

    assert "simulator.procedure_table" in reached
    assert (
        reached & {"simulator.supervisor", "simulator.ui.server", "simulator.ui.procedures"}
        == set()
    )
