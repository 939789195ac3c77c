"""GetVariables (Part 2 B06), SetVariables (B05) and GetBaseReport (B07) handlers of a 2.0.1
station (ocpp201/provisioning.py), with a fake station port: every request, answer and
NotifyReport checked against the OCPP 2.0.1 schemas."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Coroutine
from importlib import resources
from typing import Any

import orjson
import pytest
from loguru import logger

from simulator.station.frames import CallError, ErrorCode, OcppError
from simulator.station.ocpp201 import provisioning
from simulator.station.ocpp201.device_model import Catalogue
from simulator.station.ocpp201.device_model_report import report_items
from simulator.station.ocpp201.variables import Variables
from simulator.station.rpc import CallFailed, ConnectionLost
from tests.device_model_support import item, schema, two_attribute_catalogue
from tests.virtual_clock import VirtualClock

EVSES = [(1, (1,), 22000.0), (2, (1, 2), 11000.0)]
Handler = Callable[[Any, dict[str, Any]], Awaitable[dict[str, Any]]]


class FakeStation:
    """What provisioning.ProvisioningStation asks for; the CSMS answers each NotifyReport with
    `answer(seqNo)` (a payload, or an exception to raise)."""

    def __init__(
        self,
        *template_keys: dict[str, Any],
        answer: Callable[[int], dict[str, Any] | Exception] = lambda seq_no: {},
        catalogue: Catalogue | None = None,
    ) -> None:
        self.variables = Variables(EVSES, list(template_keys), catalogue=catalogue)
        self.clock = VirtualClock()
        self.log = logger.bind(station="CS-TEST")
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.tasks: list[asyncio.Task[Any]] = []
        self.changed: list[str] = []
        self._answer = answer

    def spawn(self, coroutine: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        task = asyncio.ensure_future(coroutine)
        self.tasks.append(task)
        return task

    async def call(self, action: str, payload: dict[str, Any]) -> dict[str, Any]:
        schema(f"{action}Request")(payload)
        self.calls.append((action, payload))
        answer = self._answer(payload["seqNo"])
        if isinstance(answer, Exception):
            raise answer
        schema(f"{action}Response")(answer)
        return answer

    def configuration_changed(self, key: str) -> None:
        self.changed.append(key)

    async def tasks_done(self) -> None:
        await asyncio.wait_for(asyncio.gather(*self.tasks), timeout=5)

    def reports(self) -> list[dict[str, Any]]:
        return [payload for action, payload in self.calls if action == "NotifyReport"]


async def answer(
    station: FakeStation, handler: Handler, action: str, payload: dict[str, Any]
) -> dict[str, Any]:
    schema(f"{action}Request")(payload)
    response = await handler(station, payload)
    schema(f"{action}Response")(response)
    return response


async def get(station: FakeStation, *data: dict[str, Any]) -> list[dict[str, Any]]:
    response = await answer(
        station, provisioning.get_variables, "GetVariables", {"getVariableData": list(data)}
    )
    return list(response["getVariableResult"])


async def set_(station: FakeStation, *data: dict[str, Any]) -> list[dict[str, Any]]:
    response = await answer(
        station, provisioning.set_variables, "SetVariables", {"setVariableData": list(data)}
    )
    return list(response["setVariableResult"])


async def base_report(station: FakeStation, base: str, request_id: int = 7) -> str:
    payload = {"requestId": request_id, "reportBase": base}
    response = await answer(station, provisioning.get_base_report, "GetBaseReport", payload)
    return str(response["status"])


def reported_items(station: FakeStation) -> list[dict[str, Any]]:
    return [i for part in station.reports() for i in part.get("reportData", [])]


# -- GetVariables (B06) ----------------------------------------------------------------------------


async def test_b06_fr_01_and_10_get_variables_answers_each_item_in_order() -> None:
    station = FakeStation()

    results = await get(
        station,
        item("OCPPCommCtrlr", "HeartbeatInterval"),
        item("TxCtrlr", "WarpFactor"),
        item("Connector", "ConnectorType", evse={"id": 2, "connectorId": 2}),
    )

    assert [(r["attributeStatus"], r.get("attributeValue")) for r in results] == [
        ("Accepted", "300"),
        ("UnknownVariable", None),
        ("Accepted", "cType2"),
    ]


async def test_b06_fr_16_more_items_than_items_per_message_get_variables_is_refused() -> None:
    station = FakeStation({"key": "DeviceDataCtrlr.ItemsPerMessage.GetVariables", "value": "2"})
    asked = [item("TxCtrlr", "TxStartPoint")] * 3

    with pytest.raises(OcppError) as refused:
        await get(station, *asked)

    assert refused.value.code == ErrorCode.OCCURENCE_CONSTRAINT_VIOLATION
    assert len(await get(station, *asked[:2])) == 2


async def test_b06_fr_17_more_bytes_than_bytes_per_message_get_variables_is_refused() -> None:
    station = FakeStation({"key": "DeviceDataCtrlr.BytesPerMessage.GetVariables", "value": "120"})
    one = item("TxCtrlr", "TxStartPoint")
    assert (
        len(orjson.dumps({"getVariableData": [one]}))
        <= 120
        < len(orjson.dumps({"getVariableData": [one, one]}))
    )

    with pytest.raises(OcppError) as refused:
        await get(station, one, one)

    assert refused.value.code == ErrorCode.FORMATION_VIOLATION  # spelled FormatViolation in 2.0.1
    assert len(await get(station, one)) == 1


async def test_b06_a_value_is_cut_to_reporting_value_size() -> None:
    station = FakeStation({"key": "DeviceDataCtrlr.ReportingValueSize", "value": "5"})

    [result] = await get(station, item("TxCtrlr", "TxStopPoint"))

    assert result["attributeValue"] == "EVCon"


async def test_b06_a_live_value_is_the_station_s_at_the_request() -> None:
    station = FakeStation()
    station.variables.set_live(
        lambda c, v, i, e, k: "Unavailable" if c == "ChargingStation" else None
    )

    [result] = await get(station, item("ChargingStation", "AvailabilityState"))

    assert result["attributeValue"] == "Unavailable"


# -- SetVariables (B05) ----------------------------------------------------------------------------


async def test_b05_fr_10_an_accepted_value_acts_at_once_and_is_persisted() -> None:
    station = FakeStation()
    seen: list[str] = []
    station.variables.on_change(lambda c, v, i, value: seen.append(f"{c}.{v}={value}"))

    [result] = await set_(station, item("OCPPCommCtrlr", "HeartbeatInterval", value="45"))

    assert result["attributeStatus"] == "Accepted"
    assert station.variables.integer("OCPPCommCtrlr", "HeartbeatInterval", 0) == 45
    assert seen == ["OCPPCommCtrlr.HeartbeatInterval=45"]
    assert station.changed == ["OCPPCommCtrlr.HeartbeatInterval"]


async def test_b05_one_update_of_the_ui_and_the_state_per_request() -> None:
    station = FakeStation()

    await set_(
        station,
        item("OCPPCommCtrlr", "HeartbeatInterval", value="45"),
        item("OCPPCommCtrlr", "MessageAttempts", "TransactionEvent", value="4"),
    )

    assert station.changed == ["OCPPCommCtrlr.HeartbeatInterval"]


async def test_b05_fr_07_to_09_a_request_of_rejected_values_changes_and_persists_nothing() -> None:
    station = FakeStation()

    results = await set_(
        station,
        item("OCPPCommCtrlr", "HeartbeatInterval", value="soon"),
        item("DeviceDataCtrlr", "ItemsPerMessage", "GetReport", value="5"),
        item("WarpCtrlr", "Factor", value="9"),
    )

    assert [r["attributeStatus"] for r in results] == ["Rejected", "Rejected", "UnknownComponent"]
    assert (station.changed, station.variables.changed_keys) == ([], set())


async def test_b05_a_reboot_required_value_is_pending_until_the_next_start() -> None:
    station = FakeStation()
    setting = item("OCPPCommCtrlr", "NetworkConfigurationPriority", value="2,1")

    [result] = await set_(station, setting)
    [before] = await get(station, item("OCPPCommCtrlr", "NetworkConfigurationPriority"))
    station.variables.apply_pending()
    [after] = await get(station, item("OCPPCommCtrlr", "NetworkConfigurationPriority"))

    assert result["attributeStatus"] == "RebootRequired"
    assert (before["attributeValue"], after["attributeValue"]) == ("1", "2,1")
    assert station.changed == ["OCPPCommCtrlr.NetworkConfigurationPriority"]  # persisted now


async def test_b05_a_value_longer_than_configuration_value_size_is_rejected() -> None:
    station = FakeStation({"key": "DeviceDataCtrlr.ConfigurationValueSize", "value": "3"})

    [result] = await set_(station, item("OCPPCommCtrlr", "HeartbeatInterval", value="1000"))

    assert result["attributeStatus"] == "Rejected"


async def test_b05_more_items_than_items_per_message_set_variables_is_refused_whole() -> None:
    station = FakeStation({"key": "DeviceDataCtrlr.ItemsPerMessage.SetVariables", "value": "1"})
    asked = [
        item("OCPPCommCtrlr", "HeartbeatInterval", value="45"),
        item("OCPPCommCtrlr", "OfflineThreshold", value="10"),
    ]

    with pytest.raises(OcppError) as refused:
        await set_(station, *asked)

    assert refused.value.code == ErrorCode.OCCURENCE_CONSTRAINT_VIOLATION
    assert station.variables.integer("OCPPCommCtrlr", "HeartbeatInterval", 0) == 300


async def test_b05_more_bytes_than_bytes_per_message_set_variables_is_refused_whole() -> None:
    station = FakeStation({"key": "DeviceDataCtrlr.BytesPerMessage.SetVariables", "value": "100"})

    with pytest.raises(OcppError) as refused:
        await set_(station, item("AuthCtrlr", "MasterPassGroupId", value="x" * 36))

    assert refused.value.code == ErrorCode.FORMATION_VIOLATION
    assert station.variables.value("AuthCtrlr", "MasterPassGroupId") == ""


@pytest.mark.parametrize("variable", ["LocalAuthorizeOffline", "LocalAuthorizationOffline"])
async def test_scope_note_b_both_names_of_an_auth_variable_are_set_and_read(variable: str) -> None:
    station = FakeStation()

    [set_result] = await set_(station, item("AuthCtrlr", variable, value="false"))
    results = await get(
        station,
        item("AuthCtrlr", "LocalAuthorizeOffline"),
        item("AuthCtrlr", "LocalAuthorizationOffline"),
    )

    assert set_result["attributeStatus"] == "Accepted"
    assert set_result["variable"] == {"name": variable}  # B05.FR.02: as asked
    assert [r["attributeValue"] for r in results] == ["false", "false"]
    assert station.variables.boolean("AuthCtrlr", "LocalAuthorizeOffline", True) is False


# -- GetBaseReport (B07) ---------------------------------------------------------------------------


def report_bases() -> list[str]:
    path = resources.files("ocpp.v201").joinpath("schemas", "GetBaseReportRequest.json")
    definitions = json.loads(path.read_text("utf-8"))["definitions"]
    return list(definitions["ReportBaseEnumType"]["enum"])


@pytest.mark.parametrize("base", report_bases())
async def test_b07_fr_01_and_12_every_base_the_schema_allows_is_accepted_and_reported(
    base: str,
) -> None:
    """NotSupported (B07.FR.02/05) cannot happen: the schema allows only these three."""
    station = FakeStation()

    status = await base_report(station, base)
    await station.tasks_done()

    assert status == "Accepted"
    assert station.reports()  # every one checked against NotifyReportRequest by call()


async def test_generic_fr_05_the_answer_leaves_before_the_first_notify_report() -> None:
    station = FakeStation()

    await base_report(station, "FullInventory")
    sent_before_answer = list(station.calls)
    await station.tasks_done()

    assert sent_before_answer == []
    assert station.reports()


async def test_b07_fr_08_full_inventory_reports_every_component_variable() -> None:
    station = FakeStation()

    await base_report(station, "FullInventory")
    await station.tasks_done()

    variables = station.variables
    assert reported_items(station) == report_items(
        variables.model, variables.values, "FullInventory"
    )
    assert len(reported_items(station)) == len(variables.model.entries)


async def test_b07_fr_04_and_10_parts_carry_the_request_id_seq_no_from_0_and_tbc() -> None:
    station = FakeStation({"key": "DeviceDataCtrlr.ItemsPerMessage.GetReport", "value": "10"})

    await base_report(station, "FullInventory", request_id=314)
    await station.tasks_done()

    parts = station.reports()
    assert len(parts) == -(-len(station.variables.model.entries) // 10)
    assert [p["seqNo"] for p in parts] == list(range(len(parts)))
    assert {p["requestId"] for p in parts} == {314}
    assert [p.get("tbc", False) for p in parts] == [True] * (len(parts) - 1) + [False]
    assert max(len(p["reportData"]) for p in parts) == 10


async def test_bytes_per_message_get_report_bounds_each_notify_report_frame() -> None:
    station = FakeStation({"key": "DeviceDataCtrlr.BytesPerMessage.GetReport", "value": "3000"})

    await base_report(station, "FullInventory")
    await station.tasks_done()

    sizes = [len(orjson.dumps([2, "x" * 36, "NotifyReport", p])) for p in station.reports()]
    assert len(sizes) > 1 and max(sizes) <= 3000


async def test_b07_generated_at_is_the_station_s_clock_at_the_request() -> None:
    station = FakeStation()

    await base_report(station, "SummaryInventory")
    await station.tasks_done()

    assert {p["generatedAt"] for p in station.reports()} == {"2026-01-01T00:00:00.000Z"}


async def test_b07_the_report_holds_the_values_of_the_moment_it_was_asked_for() -> None:
    station = FakeStation()

    await base_report(station, "ConfigurationInventory")
    await set_(station, item("OCPPCommCtrlr", "HeartbeatInterval", value="45"))
    await station.tasks_done()

    [heartbeat] = [
        i for i in reported_items(station) if i["variable"]["name"] == "HeartbeatInterval"
    ]
    assert heartbeat["variableAttribute"][0]["value"] == "300"


async def test_b07_fr_09_summary_inventory_reports_the_live_availability() -> None:
    station = FakeStation()
    station.variables.set_live(
        lambda c, v, i, e, k: "Unavailable" if (c, e) == ("EVSE", 2) else None
    )

    await base_report(station, "SummaryInventory")
    await station.tasks_done()

    states = {
        (i["component"]["name"], i["component"].get("evse", {}).get("id")): i["variableAttribute"][
            0
        ]["value"]
        for i in reported_items(station)
    }
    assert states[("EVSE", 2)] == "Unavailable"
    assert states[("ChargingStation", None)] == "Available"


async def test_b07_fr_03_errata_a_write_only_value_is_in_no_notify_report() -> None:
    station = FakeStation()
    await set_(station, item("SecurityCtrlr", "BasicAuthPassword", value="secret-secret-16"))

    await base_report(station, "FullInventory")
    await station.tasks_done()

    assert b"secret-secret-16" not in orjson.dumps(station.reports())


async def test_b07_a_base_with_nothing_to_report_is_an_empty_result_set_and_sends_nothing() -> None:
    """A model whose one writable variable the template made read-only: the operator can set
    nothing (evsim's own model always has the write-only BasicAuthPassword)."""
    station = FakeStation(
        {"key": "TestCtrlr.Limit", "readonly": True}, catalogue=two_attribute_catalogue()
    )

    status = await base_report(station, "ConfigurationInventory")
    await station.tasks_done()

    assert (status, station.calls) == ("EmptyResultSet", [])


@pytest.mark.parametrize(
    "failure",
    [
        CallFailed("NotifyReport", CallError("1", "InternalError")),
        TimeoutError(),
        ConnectionLost("NotifyReport"),
    ],
)
async def test_a_notify_report_refused_unanswered_or_cut_off_ends_the_report(
    failure: Exception,
) -> None:
    station = FakeStation(
        {"key": "DeviceDataCtrlr.ItemsPerMessage.GetReport", "value": "10"},
        answer=lambda seq_no: failure if seq_no == 1 else {},
    )

    await base_report(station, "FullInventory")
    await station.tasks_done()

    assert [p["seqNo"] for p in station.reports()] == [0, 1]
