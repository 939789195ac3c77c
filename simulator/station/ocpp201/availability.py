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

from collections.abc import Iterable, Sequence
from typing import Any, Final, Protocol

from simulator.station.ocpp201.evses import EvseMap
from simulator.station.ports import Services, StatusChanger, WithConnectors, WithSpec

OPERATIVE: Final = "Operative"
INOPERATIVE: Final = "Inoperative"
SCHEDULED: Final = "Scheduled"
# A level: (EVSE id, connector id within the EVSE); (0, 0) the station, (evse, 0) an EVSE.
Level = tuple[int, int]
STATION: Final[Level] = (0, 0)


class AvailabilityLevels:
    """What ChangeAvailability set for the station, each EVSE and each connector, and the
    EVSEs a reset holds Unavailable (0: the whole station). Only the Inoperative levels are
    kept: a level not kept is Operative."""

    __slots__ = ("_held", "_inoperative")

    def __init__(self) -> None:
        self._inoperative: set[Level] = set()
        # evse id -> the reset holding it (its owner token: a later reset takes the hold over).
        self._held: dict[int, object] = {}

    def status(self, level: Level) -> str:
        return INOPERATIVE if level in self._inoperative else OPERATIVE

    def set(self, level: Level, status: str) -> None:
        if status == INOPERATIVE:
            self._inoperative.add(level)
        else:
            self._inoperative.discard(level)

    def effective(self, evse_id: int, connector_id: int) -> str:
        """The operational status of the connector (`connector_id` 0: of the EVSE; `evse_id`
        0: of the station)."""
        levels = {STATION, (evse_id, 0), (evse_id, connector_id)}
        held = 0 in self._held or evse_id in self._held
        return INOPERATIVE if held or not levels.isdisjoint(self._inoperative) else OPERATIVE

    def hold(self, evse_id: int, owner: object) -> None:
        """A reset holds the EVSE (0: the station) Unavailable until `release`."""
        self._held[evse_id] = owner

    def holds(self, evse_id: int, owner: object | None = None) -> bool:
        """A reset (`owner`, or any) holds the EVSE."""
        held = self._held.get(evse_id)
        return held is not None and (owner is None or held is owner)

    def release(self, evse_id: int, owner: object | None = None) -> None:
        """The hold of `owner` (or any) on the EVSE ends."""
        if self.holds(evse_id, owner):
            del self._held[evse_id]

    def release_all(self) -> None:
        """A reboot ends every hold: it comes back as ChangeAvailability left it."""
        self._held.clear()

    def as_data(self) -> list[list[int]]:
        """The persisted form: the Inoperative levels, [evse, connector] each."""
        return [list(level) for level in sorted(self._inoperative)]

    def restore(self, data: Iterable[Sequence[int]]) -> None:
        self._inoperative = {(int(evse), int(connector)) for evse, connector in data}


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
