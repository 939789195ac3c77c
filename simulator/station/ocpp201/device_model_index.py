"""A laid-out device model's look-ups by the names the station and its key store use, shared
by the stations of one layout (variables.py), and the station's live values as the pure
functions of device_model_variables.py take them."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol

from simulator.station.ocpp201.device_model import ACTUAL, STATION, DeviceModel, Entry, VarKey

# (component, variable, instance, evse id, connector id): a variable as the station reads it.
ReadKey = tuple[str, str, str | None, int | None, int | None]


class LiveValues(Protocol):
    """The value of a variable the station reports from its state (source "station" in the
    data: AvailabilityState, ClockCtrlr.DateTime, the cache's and list's sizes...), at the
    moment it is asked; None for the catalogue's default. `evse` and `connector` are the
    2.0.1 numbers (a connector numbered from 1 within its EVSE), None for a station-wide
    component."""

    def __call__(
        self,
        component: str,
        variable: str,
        instance: str | None,
        evse: int | None,
        connector: int | None,
    ) -> str | None: ...


def read_key(entry: Entry) -> ReadKey:
    c, v = entry.component, entry.variable
    return (c.name, v.name, v.instance, c.evse_id, c.connector_id)


def key_name(entry: Entry) -> str:
    """The key of a station-wide variable: `Component.Variable[.Instance]`."""
    return f"{entry.component.name}.{entry.variable.key}"


@dataclass(frozen=True, eq=False)
class ModelIndex:
    """What every station of one layout shares: its look-ups by the station's names."""

    defaults: dict[ReadKey, str]  # the Actual default of each stored variable
    live: dict[ReadKey, Entry]  # the variables the station supplies
    # lower-case key -> station-wide variable, Part 2's names of two AuthCtrlr ones included
    keys: dict[str, Entry]
    listed: tuple[Entry, ...]  # the stored station-wide variables, in report order


@lru_cache(maxsize=256)
def model_index(model: DeviceModel) -> ModelIndex:
    defaults: dict[ReadKey, str] = {}
    live: dict[ReadKey, Entry] = {}
    keys: dict[str, Entry] = {}
    listed: list[Entry] = []
    for entry in model.entries:
        attribute = entry.variable.attribute(ACTUAL)
        if attribute is None or entry.component.instance is not None:
            continue
        if entry.variable.source == STATION:
            live[read_key(entry)] = entry
        elif attribute.default is not None:
            defaults[read_key(entry)] = attribute.default
        if entry.component.evse_id is None:
            keys[key_name(entry).lower()] = entry
            if entry.variable.source != STATION:
                listed.append(entry)
    for alias, canonical in model.aliases.items():
        named = keys.get(f"{alias.split('.', 1)[0]}.{canonical}".lower())
        if named is not None:
            keys[alias.lower()] = named
    return ModelIndex(defaults, live, keys, tuple(listed))


class LiveView(Mapping[VarKey, str]):
    """The station's live values as the pure functions take them: asked for one at a time."""

    __slots__ = ("_entries", "_provider")

    def __init__(self, provider: LiveValues | None, entries: Mapping[ReadKey, Entry]) -> None:
        self._provider = provider
        self._entries = entries

    def __getitem__(self, key: VarKey) -> str:
        ref, name, instance = key
        value = (
            self._provider(ref.name, name, instance, ref.evse_id, ref.connector_id)
            if self._provider is not None
            else None
        )
        if value is None:
            raise KeyError(key)
        return value

    def __iter__(self) -> Iterator[VarKey]:
        for entry in self._entries.values():
            key = (entry.component, entry.variable.name, entry.variable.instance)
            if key in self:
                yield key

    def __len__(self) -> int:
        return sum(1 for _ in self)
