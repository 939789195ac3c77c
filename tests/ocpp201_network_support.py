"""What the tests of OCPP 2.0.1 network profiles share (tests/test_ocpp201_network_*.py): a
fake station over a real device model, the handlers' and variables' calls checked against the
v201 schemas, a real station, and the bundled CSMS's calls."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from loguru import logger
from ocpp.v201 import call

from simulator.station.clock import SystemClock
from simulator.station.connection import Endpoint
from simulator.station.ocpp201.network_connection import NetworkConnection
from simulator.station.ocpp201.network_profiles import set_network_profile
from simulator.station.ocpp201.variables import Variables, evse_rows
from simulator.station.station import ChargingStation
from simulator.template_model import StationTemplate
from tests.core.fake_services import core_spec
from tests.device_model_support import item
from tests.fleet201 import specs_201
from tests.ocpp201_schemas import assert_valid_201

STATION_ID = "CS-NET-1"
OWN = Endpoint(f"ws://127.0.0.1:9000/{STATION_ID}", None, None)
SECOND = "ws://127.0.0.1:9001/ocpp"
PASSWORD = "new-password-0123"
WAIT = 10.0
CERT = {"cert": "client.pem", "key": "client.key"}


def connection_data(url: str = SECOND, security_profile: int = 1, **extra: Any) -> dict[str, Any]:
    return {
        "ocppVersion": "OCPP20",
        "ocppTransport": "JSON",
        "ocppCsmsUrl": url,
        "messageTimeout": 45,
        "securityProfile": security_profile,
        "ocppInterface": "Wired0",
        **extra,
    }


@dataclasses.dataclass
class FakeStation:
    """The members the network profile parts use, over a real device model."""

    variables: Variables
    template: StationTemplate
    spec: Any
    ws_url: str = OWN.url
    log: Any = logger
    changed: list[str] = dataclasses.field(default_factory=list)

    def configuration_changed(self, key: str) -> None:
        self.changed.append(key)


def make(
    *template_keys: dict[str, Any], password: str | None = None, **template: Any
) -> tuple[FakeStation, NetworkConnection]:
    station_template = StationTemplate.model_validate({"ocppVersion": "2.0.1", **template})
    spec = dataclasses.replace(
        core_spec(station_template, {}), station_id=STATION_ID, supervision_password=password
    )
    station = FakeStation(
        Variables(evse_rows({1: (1,)}), list(template_keys)), station_template, spec
    )
    return station, NetworkConnection(station)


async def set_profile(station: FakeStation, slot: int, data: dict[str, Any]) -> dict[str, Any]:
    request = {"configurationSlot": slot, "connectionData": data}
    assert_valid_201("SetNetworkProfileRequest", request)
    response = await set_network_profile(station, request)
    assert_valid_201("SetNetworkProfileResponse", response)
    return response


def set_variable(station: FakeStation, component: str, variable: str, value: str) -> str:
    request = {"setVariableData": [item(component, variable, value=value)]}
    assert_valid_201("SetVariablesRequest", request)
    response = station.variables.set_variables(request)
    assert_valid_201("SetVariablesResponse", response)
    [result] = response["setVariableResult"]
    return str(result["attributeStatus"])


def get_variable(
    station: FakeStation, component: str, variable: str, instance: str | None = None
) -> Any:
    request = {"getVariableData": [item(component, variable, instance)]}
    assert_valid_201("GetVariablesRequest", request)
    response = station.variables.get_variables(request)
    assert_valid_201("GetVariablesResponse", response)
    [result] = response["getVariableResult"]
    return result.get("attributeValue")


async def migrated(station: FakeStation, network: NetworkConnection) -> None:
    """Slot 2 holds the second CSMS and comes first from the next reboot (B10 steps 1-3)."""
    assert (await set_profile(station, 2, connection_data()))["status"] == "Accepted"
    assert set_variable(station, "OCPPCommCtrlr", "NetworkConfigurationPriority", "2,1") == (
        "RebootRequired"
    )
    network.rebooted()


def station_at(tmp_path: Path, url: str, **template: Any) -> ChargingStation:
    [spec] = specs_201(tmp_path, url, 1, **template)
    return ChargingStation(spec, clock=SystemClock(), on_change=lambda s, d: None)


@asynccontextmanager
async def running(station: ChargingStation) -> AsyncIterator[str]:
    await station.start()
    try:
        yield station.spec.station_id
    finally:
        await station.stop()


@asynccontextmanager
async def slots_logged(slots: list[str]) -> AsyncIterator[None]:
    """The slots the station says it moves to, as it logs them."""
    sink = logger.add(
        lambda message: slots.append(message.record["message"].split()[5]),
        level="INFO",
        filter=lambda record: record["message"].startswith("Connecting with network profile"),
    )
    try:
        yield
    finally:
        logger.remove(sink)


def profile_call(url: str, slot: int = 2) -> call.SetNetworkProfile:
    """The CSMS's SetNetworkProfile of a security profile 1 CSMS at `url`."""
    return call.SetNetworkProfile(
        configuration_slot=slot,
        connection_data={
            "ocpp_version": "OCPP20",
            "ocpp_transport": "JSON",
            "ocpp_csms_url": url,
            "message_timeout": 30,
            "security_profile": 1,
            "ocpp_interface": "Wired0",
        },
    )


def variable_call(component: str, variable: str, value: str) -> call.SetVariables:
    return call.SetVariables(
        set_variable_data=[
            {
                "component": {"name": component},
                "variable": {"name": variable},
                "attribute_value": value,
            }
        ]
    )
