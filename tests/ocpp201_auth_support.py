"""Shared by the 2.0.1 authorization and local list tests: a dict-backed `Variables` seeded with
evsim's device-model defaults, a CSMS far side that checks every Authorize against the v201
schemas, and an `Authorizer201` over them on a virtual clock."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from simulator.station.ocpp201.authorization import Authorize201, Authorizer201
from simulator.station.ocpp201.device_model import ACTUAL, load_catalogue
from simulator.station.ocpp201.feature_settings import FeatureSettings201
from tests.core.fake_services import FakeServices
from tests.device_model_support import schema

VarName = tuple[str, str, str | None]


def catalogue_defaults() -> dict[VarName, str]:
    """Every station-wide variable's Actual default, as a fresh station reports it."""
    defaults: dict[VarName, str] = {}
    for component in load_catalogue().components:
        if component.scope != "station":
            continue
        for variable in component.variables:
            attribute = variable.attribute(ACTUAL)
            if attribute is not None and attribute.default is not None:
                defaults[(component.name, variable.name, variable.instance)] = attribute.default
    return defaults


@dataclass
class FakeVariables:
    """The Variables Protocol over a dict: what ocpp201/variables.py reads from the model."""

    values: dict[VarName, str] = field(default_factory=catalogue_defaults)

    def set(self, name: str, value: str) -> None:
        """`name` as the template keys spell it: Component.Variable[.Instance]."""
        component, variable, *instance = name.split(".")
        self.values[(component, variable, instance[0] if instance else None)] = value

    def drop(self, name: str) -> None:
        component, variable, *instance = name.split(".")
        del self.values[(component, variable, instance[0] if instance else None)]

    def value(
        self,
        component: str,
        variable: str,
        instance: str | None = None,
        *,
        evse: int | None = None,
        connector: int | None = None,
    ) -> str | None:
        return self.values.get((component, variable, instance))

    def integer(
        self,
        component: str,
        variable: str,
        fallback: int,
        instance: str | None = None,
        *,
        evse: int | None = None,
        connector: int | None = None,
    ) -> int:
        found = self.value(component, variable, instance)
        try:
            return int(found) if found is not None else fallback
        except ValueError:
            return fallback

    def boolean(
        self,
        component: str,
        variable: str,
        fallback: bool,
        instance: str | None = None,
        *,
        evse: int | None = None,
        connector: int | None = None,
    ) -> bool:
        found = self.value(component, variable, instance)
        return fallback if found is None else found.strip().lower() == "true"


@dataclass
class FakeCsms:
    """The station's `call`: every request and answer checked against the v201 schemas."""

    answers: dict[str, dict[str, Any]] = field(default_factory=dict)
    error: Exception | None = None
    sent: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    async def call(self, action: str, payload: dict[str, Any]) -> dict[str, Any]:
        schema(f"{action}Request")(payload)
        self.sent.append((action, payload))
        if self.error is not None:
            raise self.error
        token = payload["idToken"]["idToken"]
        response = {"idTokenInfo": self.answers.get(token, {"status": "Unknown"})}
        schema(f"{action}Response")(response)
        return response

    def asked(self) -> list[str]:
        return [payload["idToken"]["idToken"] for _, payload in self.sent]


@dataclass
class Station:
    """The members the handlers and the authorizer use, and nothing else."""

    services: FakeServices
    variables: FakeVariables
    csms: FakeCsms
    authorization: Authorizer201

    def persist(self, *, urgent: bool = False) -> None:
        self.services.persist(urgent=urgent)


def station() -> Station:
    services, variables, csms = FakeServices(), FakeVariables(), FakeCsms()
    authorizer = Authorizer201(services, FeatureSettings201(variables), Authorize201(csms))
    return Station(services, variables, csms, authorizer)


def info(status: str = "Accepted", **fields: Any) -> dict[str, Any]:
    """An IdTokenInfoType, schema-checked."""
    data = {"status": status, **fields}
    schema("AuthorizeResponse")({"idTokenInfo": data})
    return data


def group(value: str) -> dict[str, str]:
    return {"idToken": value, "type": "Central"}
