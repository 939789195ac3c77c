"""A station's entry in listChargingStations, in the TypeScript simulator's shape (4.11
`ChargingStationData`: stationInfo, connectors as `{connectorId, connectorStatus}`, evses,
timestamp), built from the station's parts by pure functions.

A 1.6 station lists its connectors under `connectors` and has no EVSEs. A station with EVSEs
(OCPP 2.0.1) lists them under `evses` as the TypeScript simulator does (its
`buildEvseEntries`): `{evseId, evseStatus: {availability, connectors: [{connectorId,
connectorStatus, evseId}]}}`, EVSE 0 (the station, its connector 0) first; its `connectors`
stays empty (`buildConnectorEntries` lists none for a station with EVSEs). Connector ids are the
station-wide ones everywhere, as in the TypeScript templates and every UI procedure."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from simulator.plan import StationSpec
from simulator.station.core.model import ConnectorState

EvseLayout = Mapping[int, Sequence[int]]
"""EVSE id (>= 1) -> its station-wide connector ids, in order; empty for a 1.6 station."""

StatusSpelling = Callable[[str], str]
"""A core connector status as the station's OCPP version reports it."""

INOPERATIVE = "Inoperative"
OPERATIVE = "Operative"

_NO_EVSES: EvseLayout = {}


def station_info(spec: StationSpec, firmware_version: str) -> dict[str, Any]:
    template = spec.template
    info: dict[str, Any] = {
        "chargingStationId": spec.station_id,
        "hashId": spec.hash_id,
        "templateName": spec.template_name,
        "templateIndex": spec.index,
        # As the template spells it ("2.0" stays "2.0"), as the TypeScript simulator reports it.
        "ocppVersion": template.ocpp_version,
        "ocppProtocol": "json",
        "chargePointModel": template.charge_point_model,
        "chargePointVendor": template.charge_point_vendor,
        "firmwareVersion": firmware_version,
        "currentOutType": template.current_out_type,
        "numberOfConnectors": sum(1 for c in spec.connectors if c > 0),
    }
    if spec.charge_point_serial_number:
        info["chargePointSerialNumber"] = spec.charge_point_serial_number
    if spec.charge_box_serial_number:
        info["chargeBoxSerialNumber"] = spec.charge_box_serial_number
    return info


def connector_entries(
    connectors: Mapping[int, ConnectorState],
    reservations: Mapping[int, dict[str, Any]],
    evses: EvseLayout = _NO_EVSES,
) -> list[dict[str, Any]]:
    """`connectors`, by id; `reservations` (connectorId -> ReserveNow fields) go to their
    connector's status. No evseId: OCPP 1.6 has no EVSEs. A station with EVSEs: none (they are
    in `evse_entries`)."""
    if evses:
        return []
    return [connectors[i].as_data(reservations.get(i)) for i in sorted(connectors)]


def _entry(
    connector: ConnectorState,
    evse_id: int,
    reservation: dict[str, Any] | None,
    status: StatusSpelling | None,
) -> dict[str, Any]:
    entry = connector.as_data(reservation)
    if status is not None:
        entry["connectorStatus"]["status"] = status(connector.status)
    entry["evseId"] = evse_id
    return entry


def _availability(connectors: Sequence[ConnectorState]) -> str:
    # The core keeps availability per connector; an EVSE made Inoperative has all its
    # connectors Inoperative (G03), and one with any connector Operative can still charge.
    if connectors and all(c.availability == INOPERATIVE for c in connectors):
        return INOPERATIVE
    return OPERATIVE


def evse_entries(
    connectors: Mapping[int, ConnectorState],
    reservations: Mapping[int, dict[str, Any]],
    evses: EvseLayout,
    *,
    status: StatusSpelling | None = None,
) -> list[dict[str, Any]]:
    """The station's EVSEs, by id, each with its connectors in the layout's order; EVSE 0 with
    connector 0 first when the station has one. `status`: the version's spelling of a core
    connector status (2.0.1: Occupied for Charging & co), the core's own when None. Empty for a
    station without EVSEs (1.6)."""
    if not evses:
        return []
    layout: list[tuple[int, Sequence[int]]] = [(0, (0,))] if 0 in connectors else []
    layout += sorted(evses.items())
    return [
        {
            "evseId": evse_id,
            "evseStatus": {
                "availability": _availability([connectors[i] for i in ids]),
                "connectors": [
                    _entry(connectors[i], evse_id, reservations.get(i), status) for i in ids
                ],
            },
        }
        for evse_id, ids in layout
    ]


def connector_delta(
    connectors: Mapping[int, ConnectorState],
    reservations: Mapping[int, dict[str, Any]],
    evses: EvseLayout = _NO_EVSES,
    *,
    status: StatusSpelling | None = None,
) -> dict[str, list[dict[str, Any]]]:
    """What a change of connectors pushes to the UI: `connectors` for a 1.6 station, `evses`
    for one with EVSEs (its `connectors` stays the empty list its data began with)."""
    if evses:
        return {"evses": evse_entries(connectors, reservations, evses, status=status)}
    return {"connectors": connector_entries(connectors, reservations)}


def epoch_ms(moment: datetime) -> int:
    """`timestamp` of the data: milliseconds since the epoch, as JavaScript's Date.now()."""
    return int(moment.timestamp() * 1000)
