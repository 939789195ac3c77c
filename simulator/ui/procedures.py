"""UI protocol ui0.0.1 procedures (the seed README's "UI protocol"): name -> what it does."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from simulator.supervisor import Supervisor

Procedure = Callable[[Supervisor, dict[str, Any]], Awaitable[dict[str, Any]]]

SUCCESS = "success"
FAILURE = "failure"


async def start_simulator(supervisor: Supervisor, payload: dict[str, Any]) -> dict[str, Any]:
    await supervisor.start()
    return {"status": SUCCESS}


async def stop_simulator(supervisor: Supervisor, payload: dict[str, Any]) -> dict[str, Any]:
    await supervisor.stop()
    return {"status": SUCCESS}


async def list_charging_stations(supervisor: Supervisor, payload: dict[str, Any]) -> dict[str, Any]:
    return {"status": SUCCESS, "chargingStations": list(supervisor.stations.values())}


def _on_stations(procedure: str) -> Procedure:
    """A procedure run by the stations named in `hashIds` (all when absent)."""

    async def run(supervisor: Supervisor, payload: dict[str, Any]) -> dict[str, Any]:
        hash_ids = payload.get("hashIds")
        if hash_ids is not None and not (
            isinstance(hash_ids, list) and all(isinstance(h, str) for h in hash_ids)
        ):
            return {"status": FAILURE, "errorMessage": "hashIds must be a list of strings"}
        arguments = {k: v for k, v in payload.items() if k != "hashIds"}
        result = await supervisor.request(procedure, hash_ids, **arguments)
        response: dict[str, Any] = {
            "status": FAILURE if result["failed"] else SUCCESS,
            "hashIdsSucceeded": result["succeeded"],
        }
        if result["failed"]:
            response["hashIdsFailed"] = [f["hashId"] for f in result["failed"] if "hashId" in f]
            response["responsesFailed"] = result["failed"]
        return response

    return run


PROCEDURES: dict[str, Procedure] = {
    "startSimulator": start_simulator,
    "stopSimulator": stop_simulator,
    "listChargingStations": list_charging_stations,
    "startChargingStation": _on_stations("startChargingStation"),
    "stopChargingStation": _on_stations("stopChargingStation"),
    "openConnection": _on_stations("openConnection"),
    "closeConnection": _on_stations("closeConnection"),
    "heartbeat": _on_stations("heartbeat"),
    "Heartbeat": _on_stations("heartbeat"),
}
