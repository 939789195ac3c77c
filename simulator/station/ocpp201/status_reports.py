"""StatusNotificationRequest, OCPP 2.0.1 G01 / B04: each connector's ConnectorStatusEnumType,
reported per (evseId, connectorId) when it changes, every one as it is after an accepted boot
(B01.FR.05) or a TriggerMessage, and after an outage only those that changed unless the
outage lasted longer than OCPPCommCtrlr.OfflineThreshold (B04.FR.01/02).

The core keeps 1.6's finer connector statuses (Preparing, Charging, SuspendedEV, ...); 2.0.1
reports the connector's occupancy, so all of those are Occupied, and a change between two of
them is no change to report."""

from __future__ import annotations

from typing import Final

from simulator.station.clock import iso_timestamp
from simulator.station.ocpp201.evses import EvseMap
from simulator.station.ocpp201.ports import SessionStation201
from simulator.station.rpc import CallFailed, ConnectionLost

STATUS_NOTIFICATION: Final = "StatusNotification"
OCCUPIED: Final = "Occupied"
CONNECTOR_STATUS: Final = {
    "Available": "Available",
    "Preparing": OCCUPIED,
    "Charging": OCCUPIED,
    "SuspendedEV": OCCUPIED,
    "SuspendedEVSE": OCCUPIED,
    "Finishing": OCCUPIED,
    "Reserved": "Reserved",
    "Unavailable": "Unavailable",
    "Faulted": "Faulted",
}
DEFAULT_OFFLINE_THRESHOLD: Final = 60


def connector_status(core_status: str) -> str:
    """The 2.0.1 ConnectorStatusEnumType of a core connector status."""
    return CONNECTOR_STATUS.get(core_status, OCCUPIED)


class StatusReports201:
    __slots__ = ("_evses", "_offline_since", "_reported", "_station")

    def __init__(self, station: SessionStation201) -> None:
        self._station = station
        self._evses = EvseMap(station.spec.evses)
        # The status last reported per connector: a change is what differs from it.
        self._reported: dict[int, str] = {}
        self._offline_since: float | None = None

    def went_offline(self) -> None:
        """The connection ended: the next report compares the outage with OfflineThreshold."""
        if self._offline_since is None:
            self._offline_since = self._station.clock.monotonic()

    async def send(self, connector_id: int, *, report: bool = False) -> None:
        """The connector's status, when it differs from the one last reported (or `report`:
        as it is). Connector 0 is the station: 2.0.1 reports connectors only."""
        station = self._station
        if connector_id == 0 or not station.outgoing_supported(STATUS_NOTIFICATION):
            return
        status = connector_status(station.connectors[connector_id].status)
        if not report and self._reported.get(connector_id) == status:
            return
        evse_id, evse_connector = self._evses.evse_of(connector_id)
        await station.call(
            STATUS_NOTIFICATION,
            {
                "timestamp": iso_timestamp(station.clock.now()),
                "connectorStatus": status,
                "evseId": evse_id,
                "connectorId": evse_connector,
            },
        )
        self._reported[connector_id] = status

    async def send_after_boot(self) -> None:
        """After an accepted registration: every connector (B01.FR.05; B04.FR.01 after an
        outage longer than OfflineThreshold), or only those that changed (B04.FR.02)."""
        station = self._station
        offline_since, self._offline_since = self._offline_since, None
        everything = True
        if offline_since is not None:
            threshold = station.variables.integer(
                "OCPPCommCtrlr", "OfflineThreshold", DEFAULT_OFFLINE_THRESHOLD
            )
            everything = station.clock.monotonic() - offline_since > threshold
        await self.send_all(report=everything)

    async def send_all(self, *, report: bool = True) -> None:
        """Every connector's status (`report` False: only those that changed)."""
        for connector_id in sorted(self._station.connectors):
            try:
                await self.send(connector_id, report=report)
            except (TimeoutError, CallFailed) as exc:
                self._station.log.warning("StatusNotification failed: {}", exc)
            except ConnectionLost:
                return


__all__ = ["CONNECTOR_STATUS", "StatusReports201", "connector_status"]
