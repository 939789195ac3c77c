"""UI protocol ui0.0.1 procedures (the seed README's "UI protocol"): name -> what runs, read from
simulator/procedure_table.py.

Every payload is validated by its row's model before anything runs, so a bad request gets a
failure PDU naming the field instead of an exception in a worker. The supervisor answers fleet
procedures itself. Procedures on stations take `hashIds` (all stations when absent) and answer
with hashIdsSucceeded / hashIdsFailed / responsesFailed; the supervisor sends one request per
worker that owns one of them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from simulator import procedure_answers as answers
from simulator.procedure_answers import FAILURE, SUCCESS, failure
from simulator.procedure_payloads import AddOptions, InvalidPayload, OnStations, parse
from simulator.procedure_table import PROCEDURES as TABLE
from simulator.procedure_table import Fleet
from simulator.procedure_table import Procedure as Row
from simulator.supervisor import Supervisor

Procedure = Callable[[Supervisor, dict[str, Any]], Awaitable[dict[str, Any]]]


def on_fleet(row: Row[Any], fleet: Fleet[Any]) -> Procedure:
    """A procedure the supervisor answers."""

    async def run(supervisor: Supervisor, payload: dict[str, Any]) -> dict[str, Any]:
        return await fleet.run(supervisor, parse(row.payload, payload))

    return run


def on_stations(row: Row[Any]) -> Procedure:
    """A procedure the stations named in `hashIds` run (all when absent), by the row's name."""
    if not issubclass(row.payload, OnStations):
        raise TypeError(f"{row.name}: a procedure on stations takes hashIds")

    async def run(supervisor: Supervisor, payload: dict[str, Any]) -> dict[str, Any]:
        request = parse(row.payload, payload)
        if not supervisor.started:
            return failure("the simulator is stopped")
        result = await supervisor.request(row.name, request.hash_ids, **request.arguments())
        return answers.on_stations(result["succeeded"], result["failed"])

    return run


def procedure(row: Row[Any]) -> Procedure:
    return on_fleet(row, row.target) if isinstance(row.target, Fleet) else on_stations(row)


PROCEDURES: dict[str, Procedure] = {name: procedure(row) for name, row in TABLE.items()}

__all__ = ["FAILURE", "PROCEDURES", "SUCCESS", "AddOptions", "InvalidPayload", "failure"]
