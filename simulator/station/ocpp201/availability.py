"""ChangeAvailability, OCPP 2.0.1 G03 (an EVSE or a connector) and G04 (the station).

The station, each EVSE and each connector have their own operational status (G03/G04 Note 1:
a connector set Inoperative stays so when its EVSE goes Inoperative and back). A connector is
Operative when all three are, and no reset holds its EVSE (reset.py, B12: the EVSEs wait
Unavailable for an OnIdle reset). The core knows one availability per flat connector (and
connector 0 for the station): `apply_levels` sets it from the levels, scheduling the change of
a connector whose transaction runs until the transaction ends (G03.FR.05, G04.FR.06; the
core's transactions apply it at the end), and reports each changed connector's status
(G03.FR.04, G04.FR.05). The core persists each connector's availability, so an Unavailable
station or EVSE stays Unavailable across reboots (B01.FR.07, G03.FR.08, G04.FR.09); the levels
themselves persist through `AvailabilityLevels.as_data` / `restore`."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Final, Protocol

from simulator.station.core.availability_levels import (
    INOPERATIVE,
    OPERATIVE,
    STATION,
    AvailabilityLevels,
    Level,
)
from simulator.station.ocpp201.evses import EvseMap
from simulator.station.ports import Services, StatusChanger, WithConnectors, WithSpec

SCHEDULED: Final = "Scheduled"


class AvailabilityStation(Services, WithSpec, WithConnectors, StatusChanger, Protocol):
    """What ChangeAvailability (and a reset's hold) uses of the station."""

    @property
    def availability_levels(self) -> AvailabilityLevels:
        """The station's levels, persisted with its state."""

    def connectors_changed(self) -> None: ...


def connector_targets(
    evses: EvseMap, connectors: Iterable[int], evse: dict[str, Any] | None
) -> tuple[Level, list[int]] | str:
    """The level an EVSEType names and the flat connectors it covers (no evse: the station
    and every connector, G04.FR.01); the reason code when the station has no such EVSE or
    connector."""
    if evse is None:
        return STATION, sorted(cid for cid in connectors if cid > 0)
    covered = list(evses.connectors_of(evse["id"]))
    if not covered:
        return "UnknownEvse"
    if "connectorId" not in evse:
        return (evse["id"], 0), covered
    flat_id = evses.flat_id(evse["id"], evse["connectorId"])
    if flat_id is None:
        return "UnknownConnectorId"
    return (evse["id"], evse["connectorId"]), [flat_id]


def apply_levels(
    station: AvailabilityStation, evses: EvseMap, targets: Iterable[int], *, report: bool = True
) -> bool:
    """Set the targets' (and the station's) availability from the levels; True when a change
    waits for a running transaction to end (Scheduled). The changed connectors' statuses are
    reported after the answer (`report`), or (False: a reboot follows, whose boot reports them)
    set without a report."""
    levels = station.availability_levels
    connectors = station.connectors
    scheduled = False
    changed: list[int] = []
    station_connector = connectors.get(0)
    if station_connector is not None:
        wanted = levels.effective(0, 0)
        if station_connector.availability != wanted:
            station_connector.availability = wanted
            changed.append(0)
    for cid in targets:
        connector = connectors[cid]
        wanted = levels.effective(*evses.evse_of(cid))
        if wanted == INOPERATIVE and connector.transaction_started:
            if connector.availability == OPERATIVE:
                connector.scheduled_availability = INOPERATIVE
                scheduled = True
            continue
        connector.scheduled_availability = None
        if connector.availability != wanted:
            connector.availability = wanted
            changed.append(cid)
    station.connectors_changed()
    station.persist()
    if report:
        if changed:
            station.spawn(_report(station, changed))
    else:
        for cid in changed:
            _settle_status(station, cid)
    return scheduled


def _status_of(station: AvailabilityStation, connector_id: int) -> str | None:
    """The status an availability change gives an idle connector; None for one that keeps
    its own (Faulted: G03.FR.06, G04.FR.07; a transaction's)."""
    connector = station.connectors[connector_id]
    if connector.status == "Faulted" or connector.transaction_started:
        return None
    return "Unavailable" if connector.availability == INOPERATIVE else "Available"


async def _report(station: AvailabilityStation, changed: list[int]) -> None:
    for cid in changed:
        status = _status_of(station, cid)
        if status is not None:
            await station.change_status(cid, status)


def _settle_status(station: AvailabilityStation, connector_id: int) -> None:
    status = _status_of(station, connector_id)
    connector = station.connectors[connector_id]
    if status is not None and connector.status in ("Available", "Unavailable"):
        connector.status = status
        station.connectors_changed()


async def change_availability(
    station: AvailabilityStation, payload: dict[str, Any]
) -> dict[str, Any]:
    """G03/G04: Rejected for an EVSE or connector the station does not have; Accepted when
    the level is so already (G03.FR.03, G04.FR.04); Scheduled when a connector it covers runs
    a transaction that an Inoperative change must wait for (G03.FR.05, G04.FR.06); else
    Accepted, each connector that changed reporting Unavailable / Available (G03.FR.04/06,
    G04.FR.05/07)."""
    wanted = payload["operationalStatus"]
    evses = EvseMap(station.spec.evses)
    target = connector_targets(evses, station.connectors, payload.get("evse"))
    if isinstance(target, str):
        return {"status": "Rejected", "statusInfo": {"reasonCode": target}}
    level, covered = target
    levels = station.availability_levels
    if levels.status(level) == wanted:
        return {"status": "Accepted"}
    levels.set(level, wanted)
    scheduled = apply_levels(station, evses, covered)
    return {"status": SCHEDULED if scheduled else "Accepted"}


__all__ = [
    "INOPERATIVE",
    "OPERATIVE",
    "STATION",
    "AvailabilityLevels",
    "AvailabilityStation",
    "Level",
    "apply_levels",
    "change_availability",
    "connector_targets",
]
