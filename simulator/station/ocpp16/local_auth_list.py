"""Local auth list management profile (OCPP 1.6 sections 5.10, 5.15)."""

from __future__ import annotations

from typing import Any

from simulator.station.core.authorization import ListUpdate
from simulator.station.ocpp16.ports import LocalListStation
from simulator.station.ocpp16.tokens import list_entry


async def send_local_list(station: LocalListStation, payload: dict[str, Any]) -> dict[str, Any]:
    """Section 5.15: Accepted, Failed, NotSupported or VersionMismatch."""
    status = station.authorization.send_local_list(
        payload["listVersion"],
        full=payload["updateType"] != "Differential",
        entries=[list_entry(entry) for entry in payload.get("localAuthorizationList") or []],
    )
    if status is ListUpdate.ACCEPTED:
        station.persist()  # the list survives a restart (issue 5)
    return {"status": status.value}


async def get_local_list_version(
    station: LocalListStation, payload: dict[str, Any]
) -> dict[str, Any]:
    """Section 5.10: the list's version, 0 when empty, -1 when not supported."""
    return {"listVersion": station.authorization.list_version()}
