"""The connector status state machine of OCPP 1.6 section 4.9 (with errata 3.20): the moves
it allows, a connector moved and the move reported, and the station's reports of errors that
leave the statuses as they are. What goes on the wire is the version adapter's."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final, Protocol, get_args

from simulator.meter_vocabulary import ChargePointStatus
from simulator.station.ports import StatusReporter, WithConnectors
from simulator.station.rpc import CallFailed, ConnectionLost

if TYPE_CHECKING:
    from loguru import Logger

STATUSES: Final[tuple[str, ...]] = get_args(ChargePointStatus)

# Section 4.9's table: from (row) -> the statuses it may change to (columns A2...I8).
_TRANSITIONS: Final[dict[str, frozenset[str]]] = {
    "Available": frozenset(
        {
            "Preparing",
            "Charging",
            "SuspendedEV",
            "SuspendedEVSE",
            "Reserved",
            "Unavailable",
            "Faulted",
        }
    ),
    "Preparing": frozenset(
        {"Available", "Charging", "SuspendedEV", "SuspendedEVSE", "Finishing", "Faulted"}
    ),
    "Charging": frozenset(
        {"Available", "SuspendedEV", "SuspendedEVSE", "Finishing", "Unavailable", "Faulted"}
    ),
    "SuspendedEV": frozenset(
        {"Available", "Charging", "SuspendedEVSE", "Finishing", "Unavailable", "Faulted"}
    ),
    "SuspendedEVSE": frozenset(
        {"Available", "Charging", "SuspendedEV", "Finishing", "Unavailable", "Faulted"}
    ),
    "Finishing": frozenset({"Available", "Preparing", "Unavailable", "Faulted"}),
    "Reserved": frozenset({"Available", "Preparing", "Unavailable", "Faulted"}),
    "Unavailable": frozenset(
        {"Available", "Preparing", "Charging", "SuspendedEV", "SuspendedEVSE", "Faulted"}
    ),
    "Faulted": frozenset(
        {
            "Available",
            "Preparing",
            "Charging",
            "SuspendedEV",
            "SuspendedEVSE",
            "Finishing",
            "Reserved",
            "Unavailable",
        }
    ),
}

# "For ConnectorId 0, only a limited set is applicable, namely: Available, Unavailable and
# Faulted."
STATION_STATUSES: Final = frozenset({"Available", "Unavailable", "Faulted"})


def allowed(from_status: str, to_status: str, connector_id: int = 1) -> bool:
    """May a connector go from `from_status` to `to_status` (and report it)? Staying in the
    same status is no transition; unknown statuses are never allowed."""
    if connector_id == 0 and to_status not in STATION_STATUSES:
        return False
    return to_status in _TRANSITIONS.get(from_status, frozenset())


async def report_error(station: StatusReporter, error_code: str, info: str) -> None:
    """An error the CSMS must hear of (LocalListConflict, section 3.5.2; ResetFailure) while
    the station goes on: its statuses stay what they are."""
    await station.report_problem(error_code, info)


class StatusHost(WithConnectors, Protocol):
    @property
    def log(self) -> Logger: ...

    def connectors_changed(self) -> None: ...

    async def send_status(self, connector_id: int) -> None: ...


async def change_status(station: StatusHost, connector_id: int, status: str) -> bool:
    """Move a connector to `status` and report it, when section 4.9 allows the transition;
    False (and a log line) when it does not."""
    connector = station.connectors[connector_id]
    if connector.status == status:
        return True
    if not allowed(connector.status, status, connector_id):
        station.log.info(
            "Connector {}: {} -> {} is not a section 4.9 transition; ignored",
            connector_id,
            connector.status,
            status,
        )
        return False
    connector.status = status
    station.connectors_changed()
    try:
        await station.send_status(connector_id)
    except (TimeoutError, CallFailed, ConnectionLost) as exc:
        station.log.debug("Status of connector {} not sent: {}", connector_id, exc)
    return True


__all__ = ["STATION_STATUSES", "STATUSES", "StatusHost", "allowed", "change_status", "report_error"]
