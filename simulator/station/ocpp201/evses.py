"""A 2.0.1 station's EVSEs over the core's flat connector ids (StationSpec.evses): the core
numbers connectors 1..N station-wide; OCPP 2.0.1 designates one by EVSE id and its index
within the EVSE, from 1 (Part 2 EVSEType: "designate a specific EVSE/connector by index
numbers"). Pure: built from the spec, no station."""

from __future__ import annotations

from collections.abc import Mapping, Sequence


class EvseMap:
    """`evses`: EVSE id (1..) -> the flat ids of its connectors, in order."""

    __slots__ = ("_connectors", "_evse_of")

    def __init__(self, evses: Mapping[int, Sequence[int]]) -> None:
        self._connectors: dict[int, tuple[int, ...]] = {
            evse_id: tuple(evses[evse_id]) for evse_id in sorted(evses)
        }
        self._evse_of: dict[int, tuple[int, int]] = {}
        for evse_id, flat_ids in self._connectors.items():
            if evse_id < 1 or not flat_ids:
                raise ValueError(f"EVSE {evse_id}: EVSE ids are 1 or more, each with a connector")
            for position, flat in enumerate(flat_ids, start=1):
                if flat < 1 or flat in self._evse_of:
                    raise ValueError(f"connector {flat} of EVSE {evse_id}: ids are 1.. and unique")
                self._evse_of[flat] = (evse_id, position)

    @property
    def evse_ids(self) -> tuple[int, ...]:
        """The EVSE ids, ascending (EVSE 0, the station, is none of them)."""
        return tuple(self._connectors)

    @property
    def flat_ids(self) -> tuple[int, ...]:
        """Every connector's flat id, in EVSE order: the station's connectors but 0."""
        return tuple(flat for flat_ids in self._connectors.values() for flat in flat_ids)

    def evse_of(self, flat_id: int) -> tuple[int, int]:
        """(EVSE id, connector id within it) of a flat connector id; KeyError for an id the
        station has not (connector 0, the station, included)."""
        return self._evse_of[flat_id]

    def flat_id(self, evse_id: int, connector_id: int) -> int | None:
        """The flat id of the EVSE's connector `connector_id` (from 1), None when the station
        has no such EVSE or connector (a CSMS's request may name any)."""
        flat_ids = self._connectors.get(evse_id, ())
        return flat_ids[connector_id - 1] if 1 <= connector_id <= len(flat_ids) else None

    def connectors_of(self, evse_id: int) -> tuple[int, ...]:
        """The flat ids of the EVSE's connectors; () for an EVSE the station has not (EVSE 0,
        the station itself, too: its connectors are `flat_ids`)."""
        return self._connectors.get(evse_id, ())


__all__ = ["EvseMap"]
