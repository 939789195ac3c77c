"""The OCPP 1.6 messages a station sends of its own: BootNotification until Accepted (section
4.2), Heartbeat (4.6), DataTransfer (4.3), and those a TriggerMessage (5.17) asks for."""

from __future__ import annotations

from typing import Any

from simulator.station.lifecycle import RegistrationRefused
from simulator.station.ocpp16.ports import SessionStation
from simulator.station.ocpp16.status_reports import StatusReports
from simulator.station.rpc import CallFailed

BOOT_NOTIFICATION = "BootNotification"
HEARTBEAT = "Heartbeat"
DEFAULT_BOOT_RETRY_SECONDS = 30
DEFAULT_HEARTBEAT_SECONDS = 60
ACCEPTED = "Accepted"


def boot_payload(station: SessionStation) -> dict[str, Any]:
    """BootNotification.req of the station, its optional fields only when they have a value."""
    template, spec = station.template, station.spec
    payload: dict[str, Any] = {
        "chargePointVendor": template.charge_point_vendor,
        "chargePointModel": template.charge_point_model,
    }
    optional = {
        "chargePointSerialNumber": spec.charge_point_serial_number,
        "chargeBoxSerialNumber": spec.charge_box_serial_number,
        "meterSerialNumber": spec.meter_serial_number,
        "meterType": template.meter_type,
        "firmwareVersion": station.firmware_version,
        "iccid": template.iccid,
        "imsi": template.imsi,
    }
    payload.update({key: value for key, value in optional.items() if value})
    return payload


def registration_status(response: dict[str, Any] | None) -> str | None:
    """The status of a BootNotification.conf ("Accepted", "Pending", "Rejected")."""
    return None if response is None else response.get("status")


class Dialogue:
    __slots__ = ("_station", "_status")

    def __init__(self, station: SessionStation, status: StatusReports) -> None:
        self._station = station
        self._status = status

    async def boot(self) -> None:
        """BootNotification until Accepted (section 4.2), at most registrationMaxRetries more
        times after a Pending or Rejected answer, waiting the interval the CSMS gave."""
        station = self._station
        max_retries = station.template.registration_max_retries
        refusals = 0
        while True:
            try:
                response = await station.call(BOOT_NOTIFICATION, boot_payload(station))
            except (TimeoutError, CallFailed) as exc:
                station.log.warning("BootNotification failed: {}", exc)
                response = None
            if response is not None:
                station.boot_answered(response)
                if response["status"] == ACCEPTED:
                    interval = int(response.get("interval") or 0)
                    if interval > 0:
                        station.configuration.set("HeartbeatInterval", str(interval))
                    station.log.debug("Booted, heartbeat interval {} s", interval)
                    return
                if station.template.auto_register:
                    # "registered at boot notification for testing purpose" (the seed): the
                    # CSMS's answer is kept for the UI, the station carries on as accepted.
                    station.log.info(
                        "Boot {}; autoRegister: going on as accepted", response["status"]
                    )
                    return
                wait = int(response.get("interval") or 0) or DEFAULT_BOOT_RETRY_SECONDS
            else:
                wait = DEFAULT_BOOT_RETRY_SECONDS
            refusals += 1
            if 0 <= max_retries < refusals:
                raise RegistrationRefused(f"boot not accepted after {refusals} attempts")
            await station.clock.sleep(wait)

    async def boot_notification(self, overrides: dict[str, Any]) -> dict[str, Any]:
        """A BootNotification on demand; its answer becomes the station's boot response."""
        station = self._station
        response = await station.call(BOOT_NOTIFICATION, {**boot_payload(station), **overrides})
        station.boot_answered(response)
        return response

    async def heartbeats(self) -> None:
        """Heartbeat.req every HeartbeatInterval (the CSMS's boot interval), until cancelled."""
        station = self._station
        while True:
            interval = station.configuration.get_int("HeartbeatInterval", 0)
            await station.clock.sleep(interval if interval > 0 else DEFAULT_HEARTBEAT_SECONDS)
            try:
                await self.heartbeat()
            except (TimeoutError, CallFailed) as exc:
                station.log.warning("Heartbeat failed: {}", exc)

    async def heartbeat(self) -> dict[str, Any]:
        return await self._station.call(HEARTBEAT, {})

    async def data_transfer(
        self, vendor_id: str, message_id: str | None = None, data: str | None = None
    ) -> dict[str, Any]:
        """DataTransfer.req to the CSMS (section 4.3); its answer."""
        payload: dict[str, Any] = {"vendorId": vendor_id}
        if message_id is not None:
            payload["messageId"] = message_id
        if data is not None:
            payload["data"] = data
        return await self._station.call("DataTransfer", payload)

    async def send_triggered(self, action: str, connector_id: int | None) -> None:
        """The message a TriggerMessage.req asked for, of those the station's session sends."""
        if action == BOOT_NOTIFICATION:
            await self.boot_notification({})
        elif action == HEARTBEAT:
            await self.heartbeat()
        elif action == "StatusNotification":
            if connector_id is None:
                await self._status.send_all()
            else:
                await self._status.send(connector_id, report=True)


__all__ = ["Dialogue", "boot_payload", "registration_status"]
