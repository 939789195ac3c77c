"""The OCPP 2.0.1 device model as data: components, variables, attributes and characteristics read
once from device_model_data.json (made by device_model_seed.py from the OCA's CSV), laid out for
one station's EVSEs and connectors, and a station's values kept as overrides of the defaults.

A `DeviceModel` depends only on the layout, so every station of one template shares one (it is
cached); a station holds a `StationValues`, which stores only what differs from the defaults
(template keys, SetVariables), so 10,000 stations cost 10,000 small dicts. Values a station reports
from its state (source "station": availability, clock, counts) come in as `live` values at the
moment of the request, never stored here.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from simulator.station.ocpp201.device_model_values import Characteristics

DATA_PATH = Path(__file__).resolve().parent / "device_model_data.json"
ACTUAL = "Actual"
STATION = "station"  # a value the station supplies from its state


@dataclass(frozen=True, slots=True)
class Attribute:
    type: str  # AttributeEnumType: Actual, Target, MinSet, MaxSet
    mutability: str  # MutabilityEnumType: ReadOnly, WriteOnly, ReadWrite
    persistent: bool
    constant: bool
    default: str | None


@dataclass(frozen=True, slots=True)
class Variable:
    name: str
    instance: str | None
    required: bool
    source: str  # "config" (stored) or "station" (live)
    characteristics: Characteristics
    attributes: tuple[Attribute, ...]
    reboot_required: bool = False
    behaviour: str = ""  # the requirement ids the station implements for its value
    section: str = ""
    read_by: str = ""  # the part of the station that gives it its behaviour (device_model_parts)
    missing: str = ""  # else why no part does yet

    def attribute(self, attribute_type: str) -> Attribute | None:
        return next((a for a in self.attributes if a.type == attribute_type), None)

    @property
    def key(self) -> str:
        return self.name if self.instance is None else f"{self.name}.{self.instance}"


@dataclass(frozen=True, slots=True)
class ComponentType:
    name: str
    scope: str  # "station", "evse" or "connector": how many instances a layout makes
    variables: tuple[Variable, ...]


@dataclass(frozen=True, eq=False)
class Catalogue:
    """Every component type and variable evsim offers; hashed by identity (loaded once)."""

    components: tuple[ComponentType, ...]
    aliases: Mapping[str, str] = field(default_factory=dict)  # "Comp.Var" -> "Comp.Var"


@dataclass(frozen=True, slots=True)
class EvseLayout:
    evse_id: int
    connector_ids: tuple[int, ...]
    max_power_w: float | None = None  # EVSE.Power's maxLimit (Part 2 sec. 2.13.7)


Layout = tuple[EvseLayout, ...]


@dataclass(frozen=True, slots=True)
class ComponentRef:
    """ComponentType of the messages: a name, an optional instance and EVSE/connector."""

    name: str
    instance: str | None = None
    evse_id: int | None = None
    connector_id: int | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name}
        if self.instance is not None:
            out["instance"] = self.instance
        if self.evse_id is not None:
            evse: dict[str, int] = {"id": self.evse_id}
            if self.connector_id is not None:
                evse["connectorId"] = self.connector_id
            out["evse"] = evse
        return out


@dataclass(frozen=True, slots=True)
class Entry:
    """One component-variable of a laid-out station."""

    component: ComponentRef
    variable: Variable
    characteristics: Characteristics

    def variable_json(self) -> dict[str, str]:
        out = {"name": self.variable.name}
        if self.variable.instance is not None:
            out["instance"] = self.variable.instance
        return out


# (component, variable name, variable instance): a variable of a laid-out station.
VarKey = tuple[ComponentRef, str, str | None]
# ... and one of its attribute types: what a station stores a value for.
ValueKey = tuple[ComponentRef, str, str | None, str]


def _fold(text: str | None) -> str | None:
    # Component and variable names are case-insensitive (ComponentType, VariableType).
    return None if text is None or text == "" else text.casefold()


def _component_index(ref: ComponentRef) -> tuple[str | None, str | None, int | None, int | None]:
    return (_fold(ref.name), _fold(ref.instance), ref.evse_id, ref.connector_id)


@dataclass(frozen=True, eq=False)
class DeviceModel:
    """The entries of one layout in report order, and their look-up by the messages' names."""

    entries: tuple[Entry, ...]
    aliases: Mapping[str, str]
    _components: dict[tuple[str | None, str | None, int | None, int | None], dict[str, Entry]]

    def find(self, component: Mapping[str, Any], variable: Mapping[str, Any]) -> Entry | str:
        """The entry a request's ComponentType/VariableType name, or the attributeStatus that
        says why there is none: UnknownComponent (B05.FR.04, B06.FR.06) or UnknownVariable
        (B05.FR.05, B06.FR.07). An empty instance is no instance (B06.FR.15)."""
        evse = component.get("evse") or {}
        ref = ComponentRef(
            str(component.get("name", "")),
            component.get("instance"),
            evse.get("id"),
            evse.get("connectorId"),
        )
        variables = self._components.get(_component_index(ref))
        if variables is None:
            return "UnknownComponent"
        name = str(variable.get("name", ""))
        alias = self.aliases.get(f"{ref.name}.{name}".casefold())
        key = (alias or name).casefold()
        instance = _fold(variable.get("instance"))
        found = variables.get(key if instance is None else f"{key}.{instance}")
        return "UnknownVariable" if found is None else found

    def entry(self, key: VarKey) -> Entry | None:
        component, name, instance = key
        variables = self._components.get(_component_index(component), {})
        return variables.get(
            name.casefold() if instance is None else f"{name}.{instance}".casefold()
        )


def _variable(data: Mapping[str, Any]) -> Variable:
    c = data["characteristics"]
    values = c.get("valuesList")
    return Variable(
        name=data["name"],
        instance=data.get("instance"),
        required=data["required"],
        source=data["source"],
        characteristics=Characteristics(
            data_type=c["dataType"],
            unit=c.get("unit"),
            min_limit=c.get("minLimit"),
            max_limit=c.get("maxLimit"),
            values_list=tuple(values.split(",")) if values else None,
            max_elements=c.get("maxElements"),
        ),
        attributes=tuple(
            Attribute(a["type"], a["mutability"], a["persistent"], a["constant"], a.get("default"))
            for a in data["attributes"]
        ),
        reboot_required=data.get("rebootRequired", False),
        behaviour=data.get("behaviour", ""),
        section=data.get("section", ""),
        read_by=data.get("readBy", ""),
        missing=data.get("missing", ""),
    )


def catalogue_from(data: Mapping[str, Any]) -> Catalogue:
    return Catalogue(
        components=tuple(
            ComponentType(c["name"], c["scope"], tuple(_variable(v) for v in c["variables"]))
            for c in data["components"]
        ),
        aliases={k.casefold(): v.split(".", 1)[1] for k, v in data.get("aliases", {}).items()},
    )


@cache
def load_catalogue() -> Catalogue:
    """evsim's device model, read once per process."""
    return catalogue_from(json.loads(DATA_PATH.read_text(encoding="utf-8")))


def _refs(component: ComponentType, layout: Layout) -> Iterable[tuple[ComponentRef, EvseLayout]]:
    for evse in layout:
        if component.scope == "evse":
            yield ComponentRef(component.name, evse_id=evse.evse_id), evse
        elif component.scope == "connector":
            for connector in evse.connector_ids:
                yield ComponentRef(component.name, None, evse.evse_id, connector), evse


def _characteristics(
    variable: Variable, component: str, evse: EvseLayout | None
) -> Characteristics:
    c = variable.characteristics
    if component == "EVSE" and variable.name == "Power" and evse and evse.max_power_w:
        return Characteristics(c.data_type, c.unit, c.min_limit, evse.max_power_w, c.values_list)
    return c


@lru_cache(maxsize=256)
def lay_out(layout: Layout, catalogue: Catalogue | None = None) -> DeviceModel:
    """The device model of a station with `layout` (EVSE ids > 0 and their connector ids)."""
    catalogue = catalogue or load_catalogue()
    entries: list[Entry] = []
    for component in catalogue.components:
        refs: Iterable[tuple[ComponentRef, EvseLayout | None]] = (
            [(ComponentRef(component.name), None)]
            if component.scope == "station"
            else _refs(component, layout)
        )
        for ref, evse in refs:
            entries.extend(
                Entry(ref, v, _characteristics(v, component.name, evse))
                for v in component.variables
            )
    index: dict[tuple[str | None, str | None, int | None, int | None], dict[str, Entry]] = {}
    for e in entries:
        index.setdefault(_component_index(e.component), {})[e.variable.key.casefold()] = e
    return DeviceModel(tuple(entries), catalogue.aliases, index)


def var_key(
    component: str,
    variable: str,
    instance: str | None = None,
    evse_id: int | None = None,
    connector_id: int | None = None,
) -> VarKey:
    """The key of a variable, as a station names it for `live` values or overrides."""
    return (ComponentRef(component, None, evse_id, connector_id), variable, instance)


class StationValues:
    """One station's values: only those that differ from the catalogue's defaults, in two
    layers: the template's (made again from the template at every start, so a changed template
    takes effect) and those set while running (SetVariables, the ones `persisted` keeps), which
    win. Plus the variables its template made read-only."""

    __slots__ = ("_base", "_readonly", "_set")

    def __init__(
        self,
        overrides: Mapping[ValueKey, str] | None = None,
        readonly: Iterable[VarKey] = (),
    ) -> None:
        self._base: dict[ValueKey, str] = dict(overrides or {})
        self._set: dict[ValueKey, str] = {}
        self._readonly = frozenset(readonly)

    def value(self, entry: Entry, attribute: Attribute) -> str | None:
        key = (entry.component, entry.variable.name, entry.variable.instance, attribute.type)
        found = self._set.get(key)
        return found if found is not None else self._base.get(key, attribute.default)

    def mutability(self, entry: Entry, attribute: Attribute) -> str:
        key = (entry.component, entry.variable.name, entry.variable.instance)
        if attribute.mutability == "ReadWrite" and key in self._readonly:
            return "ReadOnly"
        return attribute.mutability

    def apply(self, changes: Mapping[ValueKey, str]) -> None:
        """Values set while running (the accepted changes of `set_variables`)."""
        self._set.update(changes)

    def overrides(self) -> dict[ValueKey, str]:
        return {**self._base, **self._set}

    def integer(self, model: DeviceModel, key: VarKey, fallback: int) -> int:
        """An integer variable's Actual value (ItemsPerMessage, BytesPerMessage...)."""
        entry = model.entry(key)
        attribute = entry.variable.attribute(ACTUAL) if entry else None
        if entry is None or attribute is None:
            return fallback
        value = self.value(entry, attribute)
        try:
            return int(value) if value is not None else fallback
        except ValueError:
            return fallback

    def persisted(self, model: DeviceModel) -> list[dict[str, Any]]:
        """The values set while running that are to outlive a restart (persistent attributes),
        in the messages' shape."""
        out: list[dict[str, Any]] = []
        for (component, name, instance, attribute_type), value in self._set.items():
            entry = model.entry((component, name, instance))
            attribute = entry.variable.attribute(attribute_type) if entry else None
            if entry is None or attribute is None or not attribute.persistent:
                continue
            out.append(
                {
                    "component": component.to_json(),
                    "variable": entry.variable_json(),
                    "attributeType": attribute_type,
                    "attributeValue": value,
                }
            )
        return out

    def restore(self, model: DeviceModel, saved: Iterable[Mapping[str, Any]]) -> int:
        """Takes back the values of `persisted`; one the model no longer has is dropped.
        Returns how many were dropped."""
        dropped = 0
        for item in saved:
            found = model.find(item.get("component", {}), item.get("variable", {}))
            attribute_type = str(item.get("attributeType", ACTUAL))
            if not isinstance(found, Entry) or found.variable.attribute(attribute_type) is None:
                dropped += 1
                continue
            v = found.variable
            key = (found.component, v.name, v.instance, attribute_type)
            self._set[key] = str(item["attributeValue"])
        return dropped
