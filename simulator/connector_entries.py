"""Reading a station's entry of listChargingStations (the TypeScript simulator's
`ChargingStationData`, built by simulator/station/station_data.py): its connectors, wherever
its OCPP version lists them. Import-free, for the CLI and the metrics."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any


def physical_connectors(data: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    """Every connector entry (`{connectorId, connectorStatus}`, id > 0) of a station's data:
    under `connectors` for a 1.6 station, under its EVSEs' (`evses`, EVSE 0 aside) for a 2.0.1
    one."""
    for entry in data.get("connectors") or ():
        if entry.get("connectorId") != 0:
            yield entry
    for evse in data.get("evses") or ():
        if evse.get("evseId") == 0:
            continue
        yield from (evse.get("evseStatus") or {}).get("connectors") or ()
