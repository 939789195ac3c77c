"""StatusNotification.req, OCPP 1.6 section 4.9: a connector's status reported as a transition
from the one last reported, after MinimumStatusDuration (stable_status) when that key is set;
every status as it is after a boot or a TriggerMessage; and a problem of the station reported
on connector 0 with its status unchanged."""

from __future__ import annotations

from typing import Any

from simulator.station.clock import iso_timestamp
from simulator.station.connector_status import allowed
from simulator.station.ocpp16.ports import SessionStation
from simulator.station.rpc import CallFailed
from simulator.station.stable_status import StableStatus

STATUS_NOTIFICATION = "StatusNotification"
# StatusNotification.req's info: CiString50Type (section 7.47).
INFO_MAX_LENGTH = 50


class StatusReports:
    __slots__ = ("_reported", "_stable", "_station")

    def __init__(self, station: SessionStation) -> None:
        self._station = station
        # The status last reported per connector: what a next one must be a transition from.
        self._reported: dict[int, str] = {}
        self._stable = StableStatus(station.clock, station.spawn, self._send_stable)

    async def send(
        self, connector_id: int, *, report: bool = False, deferred: bool = False
    ) -> None:
        """StatusNotification.req of the connector's status: only a section 4.9 transition from
        the status last reported (or the same status again), unless `report` (the statuses
        after a boot, a TriggerMessage) asks for the state as it is. With MinimumStatusDuration
        only a status that lasted it is sent (`deferred`, stable_status): as section 4.9
        allows, the change reported may then span several transitions."""
        station = self._station
        if not station.outgoing_supported(STATUS_NOTIFICATION):
            return
        minimum = station.configuration.get_int("MinimumStatusDuration", 0)
        if minimum > 0 and not report and not deferred:
            self._stable.began(connector_id, minimum)
            return
        connector = station.connectors[connector_id]
        last = self._reported.get(connector_id)
        if (
            not report
            and not deferred
            and last is not None
            and last != connector.status
            and not allowed(last, connector.status, connector_id)
        ):
            station.log.info(
                "Connector {}: {} -> {} is not a section 4.9 transition; not reported",
                connector_id,
                last,
                connector.status,
            )
            return
        self._reported[connector_id] = connector.status
        await station.call(
            STATUS_NOTIFICATION,
            {
                "connectorId": connector_id,
                "errorCode": connector.error_code,
                "status": connector.status,
                "timestamp": iso_timestamp(station.clock.now()),
            },
        )

    async def _send_stable(self, connector_id: int) -> None:
        if self._station.connectors[connector_id].status != self._reported.get(connector_id):
            await self.send(connector_id, report=False, deferred=True)

    async def send_all(self) -> None:
        """Every connector's status as it is (after an accepted boot, a TriggerMessage)."""
        for connector_id in sorted(self._station.connectors):
            try:
                await self.send(connector_id, report=True)
            except (TimeoutError, CallFailed) as exc:
                # A status the CSMS refused is not a reason to drop the connection.
                self._station.log.warning("StatusNotification failed: {}", exc)

    async def report_problem(self, error_code: str, info: str) -> None:
        """A StatusNotification.req of connector 0 with `error_code` and `info`: an event the
        CSMS must hear of (LocalListConflict, section 3.5.2; ResetFailure) while the station
        goes on, so its status stays what it is (section 4.9: an errorCode with a status other
        than Faulted is a warning) and the next notifications carry NoError again."""
        station = self._station
        station_connector = station.connectors.get(0)
        payload: dict[str, Any] = {
            "connectorId": 0,
            "errorCode": error_code,
            "info": info[:INFO_MAX_LENGTH],
            "status": station_connector.status if station_connector is not None else "Available",
            "timestamp": iso_timestamp(station.clock.now()),
        }
        await station.call(STATUS_NOTIFICATION, payload)


__all__ = ["INFO_MAX_LENGTH", "StatusReports"]
