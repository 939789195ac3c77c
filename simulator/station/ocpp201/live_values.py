"""The device-model values a 2.0.1 station reports from its state at the moment they are asked
(the variables of source "station" in device_model_data.json): availability states (G01, G03,
G04), the clock (ClockCtrlr.DateTime), what its template says it is (vendor, model, phases,
power), its identity, and the local list's and cache's sizes (D01.FR.12)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final

from simulator.station.clock import iso_timestamp
from simulator.station.core.availability_levels import INOPERATIVE, STATION
from simulator.station.ocpp201.evses import EvseMap
from simulator.station.ocpp201.local_list import live_values as list_values
from simulator.station.ocpp201.status_reports import connector_status

UNAVAILABLE: Final = "Unavailable"
AVAILABLE: Final = "Available"
# An EVSE's state from its connectors', the first that holds (G01: one occupied connector
# occupies the EVSE, a faulted one with the rest free makes it Faulted...).
_EVSE_ORDER: Final = ("Occupied", "Reserved", "Faulted", UNAVAILABLE, AVAILABLE)


def evse_state(connector_states: list[str]) -> str:
    """An EVSE's AvailabilityState from its connectors' (all Unavailable: Unavailable)."""
    if connector_states and all(s == UNAVAILABLE for s in connector_states):
        return UNAVAILABLE
    present = set(connector_states)
    return next((s for s in _EVSE_ORDER if s in present and s != UNAVAILABLE), AVAILABLE)


class StationLiveValues:
    """`Variables.set_live`'s provider over a station (device_model_index.LiveValues)."""

    __slots__ = ("_evses", "_station")

    def __init__(self, station: Any) -> None:
        self._station = station
        self._evses = EvseMap(station.spec.evses)

    def __call__(
        self,
        component: str,
        variable: str,
        instance: str | None,
        evse: int | None,
        connector: int | None,
    ) -> str | None:
        reader = _READERS.get((component, variable))
        return None if reader is None else reader(self, evse, connector)

    def _connector_state(self, evse: int | None, connector: int | None) -> str | None:
        flat = self._evses.flat_id(evse or 0, connector or 0)
        if flat is None:
            return None
        return connector_status(self._station.connectors[flat].status)

    def _evse_state(self, evse: int | None, _: int | None) -> str | None:
        flats = self._evses.connectors_of(evse or 0)
        if not flats:
            return None
        return evse_state([connector_status(self._station.connectors[c].status) for c in flats])

    def _station_state(self, _evse: int | None, _connector: int | None) -> str:
        if self._station.availability_levels.status(STATION) == INOPERATIVE:
            return UNAVAILABLE
        return evse_state([str(self._evse_state(e, None)) for e in self._evses.evse_ids])

    def _date_time(self, _evse: int | None, _connector: int | None) -> str:
        return iso_timestamp(self._station.clock.now())

    def _evse_power(self, evse: int | None, _: int | None) -> str | None:
        spec = self._station.spec
        total = sum(
            spec.connectors[c].maximum_power or 0 for c in self._evses.connectors_of(evse or 0)
        )
        return str(int(total)) if total > 0 else None

    def _list(self, key: tuple[str, str]) -> str | None:
        for var_key, value in list_values(self._station.authorization.tokens).items():
            ref, name, _ = var_key
            if (ref.name, name) == key:
                return value
        return None


def _fixed(
    read: Callable[[Any], object],
) -> Callable[[StationLiveValues, int | None, int | None], str | None]:
    def reader(values: StationLiveValues, _evse: int | None, _connector: int | None) -> str | None:
        value = read(values._station)
        return None if value in (None, "") else str(value)

    return reader


def _listed(
    key: tuple[str, str],
) -> Callable[[StationLiveValues, int | None, int | None], str | None]:
    return lambda values, _evse, _connector: values._list(key)


_READERS: Mapping[
    tuple[str, str], Callable[[StationLiveValues, int | None, int | None], str | None]
] = {
    ("ChargingStation", "AvailabilityState"): StationLiveValues._station_state,
    ("EVSE", "AvailabilityState"): StationLiveValues._evse_state,
    ("Connector", "AvailabilityState"): StationLiveValues._connector_state,
    ("ClockCtrlr", "DateTime"): StationLiveValues._date_time,
    ("EVSE", "Power"): StationLiveValues._evse_power,
    ("ChargingStation", "Model"): _fixed(lambda s: s.template.charge_point_model),
    ("ChargingStation", "VendorName"): _fixed(lambda s: s.template.charge_point_vendor),
    ("ChargingStation", "SupplyPhases"): _fixed(lambda s: s.template.number_of_phases),
    ("EVSE", "SupplyPhases"): _fixed(lambda s: s.template.number_of_phases),
    ("Connector", "SupplyPhases"): _fixed(lambda s: s.template.number_of_phases),
    ("SecurityCtrlr", "Identity"): _fixed(lambda s: s.spec.station_id),
    ("LocalAuthListCtrlr", "Entries"): _listed(("LocalAuthListCtrlr", "Entries")),
    ("LocalAuthListCtrlr", "Storage"): _listed(("LocalAuthListCtrlr", "Storage")),
    ("AuthCacheCtrlr", "Storage"): _listed(("AuthCacheCtrlr", "Storage")),
}


__all__ = ["StationLiveValues", "evse_state"]
