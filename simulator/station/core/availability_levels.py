"""The operational status set for the station, each EVSE and each connector, kept level by level
(OCPP 2.0.1 G03/G04 Note 1: a connector set Inoperative stays so when its EVSE goes Inoperative
and back), and the EVSEs a reset holds Unavailable. A 1.6 station has the station and its
connectors only (EVSE = connector). Persisted with the station's state."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Final

OPERATIVE: Final = "Operative"
INOPERATIVE: Final = "Inoperative"
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


__all__ = ["INOPERATIVE", "OPERATIVE", "STATION", "AvailabilityLevels", "Level"]
