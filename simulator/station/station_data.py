"""A station's entry in listChargingStations, in the TypeScript simulator's shape (4.11
`ChargingStationData`: stationInfo, connectors as `{connectorId, connectorStatus}`, evses,
timestamp), built from the station's parts by pure functions."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from simulator.plan import StationSpec
from simulator.station.core.model import ConnectorState


def station_info(spec: StationSpec, firmware_version: str) -> dict[str, Any]:
    template = spec.template
    info: dict[str, Any] = {
        "chargingStationId": spec.station_id,
        "hashId": spec.hash_id,
        "templateName": spec.template_name,
        "templateIndex": spec.index,
        "ocppVersion": "1.6",
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
    connectors: Mapping[int, ConnectorState], reservations: Mapping[int, dict[str, Any]]
) -> list[dict[str, Any]]:
    """`connectors`, by id; `reservations` (connectorId -> ReserveNow fields) go to their
    connector's status. No evseId: OCPP 1.6 has no EVSEs (`evses` stays empty)."""
    return [connectors[i].as_data(reservations.get(i)) for i in sorted(connectors)]


def epoch_ms(moment: datetime) -> int:
    """`timestamp` of the data: milliseconds since the epoch, as JavaScript's Date.now()."""
    return int(moment.timestamp() * 1000)
