"""The connector status state machine of OCPP 1.6 section 4.9 (with errata 3.20), and the
station's reports of errors that leave the statuses as they are."""

from __future__ import annotations

from typing import Final, get_args

from simulator.meter_vocabulary import ChargePointStatus
from simulator.station.clock import iso_timestamp
from simulator.station.ports import StatusReporter

# StatusNotification.req's info: CiString50Type (section 7.47).
INFO_MAX_LENGTH = 50

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
    """A StatusNotification.req of connector 0 with `error_code` and `info`: an event the
    CSMS must hear of (LocalListConflict, section 3.5.2; ResetFailure) while the station goes
    on, so its status stays what it is (section 4.9: an errorCode with a status other than
    Faulted is a warning) and the next notifications carry NoError again."""
    station_connector = station.connectors.get(0)
    await station.call(
        "StatusNotification",
        {
            "connectorId": 0,
            "errorCode": error_code,
            "info": info[:INFO_MAX_LENGTH],
            "status": station_connector.status if station_connector is not None else "Available",
            "timestamp": iso_timestamp(station.clock.now()),
        },
    )


__all__ = ["STATION_STATUSES", "STATUSES", "allowed", "report_error"]
