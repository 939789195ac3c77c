"""The OCPP 2.0.1 messages a station sends of its own: BootNotification until Accepted (B01-B03),
Heartbeat (G02), DataTransfer (P02).

B01.FR.08 / B02.FR.02: nothing but BootNotification leaves before an Accepted answer (the
lifecycle starts the transaction queue and the statuses only after `boot` returns). Pending:
the connection stays open and the station answers the CSMS (B02.FR.01/06), and boots again after
the interval (B02.FR.08; its own interval when the CSMS gives 0, B02.FR.07). Rejected: the same
wait, during which the station sends nothing (B03.FR.02) and refuses the CSMS's calls (the
adapter's dispatch rule, B03.FR.08).

Reconnecting after an accepted boot, the station does not boot again unless what it would say
changed (P4 5.3): a reboot (Reset, firmware) or a new process boots with its reason (B01.FR.09).
"""

from __future__ import annotations

from typing import Any, Final

from simulator.station.lifecycle import RegistrationRefused
from simulator.station.ocpp201.ports import SessionStation201
from simulator.station.rpc import CallFailed

BOOT_NOTIFICATION: Final = "BootNotification"
HEARTBEAT: Final = "Heartbeat"
DATA_TRANSFER: Final = "DataTransfer"
ACCEPTED: Final = "Accepted"
PENDING: Final = "Pending"
REJECTED: Final = "Rejected"
DEFAULT_BOOT_RETRY_SECONDS: Final = 30
DEFAULT_HEARTBEAT_SECONDS: Final = 60
HEARTBEAT_INTERVAL: Final = "OCPPCommCtrlr.HeartbeatInterval"
# BootReasonEnumType values the station gives (B01.FR.09).
POWER_UP: Final = "PowerUp"
REMOTE_RESET: Final = "RemoteReset"
TRIGGERED: Final = "Triggered"
# ChargingStationType / ModemType string limits (the schema's maxLength).
_LIMITS: Final = {"model": 20, "vendorName": 50, "serialNumber": 25, "firmwareVersion": 50}
_MODEM_LIMIT: Final = 20


def charging_station(station: SessionStation201) -> dict[str, Any]:
    """ChargingStationType of the station, its optional fields only when they have a value."""
    template, spec = station.template, station.spec
    fields: dict[str, Any] = {
        "model": template.charge_point_model,
        "vendorName": template.charge_point_vendor,
        "serialNumber": spec.charge_box_serial_number or spec.charge_point_serial_number,
        "firmwareVersion": station.firmware_version,
    }
    out: dict[str, Any] = {
        key: str(value)[: _LIMITS[key]] for key, value in fields.items() if value
    }
    modem = {
        key: str(value)[:_MODEM_LIMIT]
        for key, value in (("iccid", template.iccid), ("imsi", template.imsi))
        if value
    }
    if modem:
        out["modem"] = modem
    return out


def boot_payload(station: SessionStation201, reason: str = POWER_UP) -> dict[str, Any]:
    return {"chargingStation": charging_station(station), "reason": reason}


def registration_status(response: dict[str, Any] | None) -> str | None:
    """The status of a BootNotificationResponse ("Accepted", "Pending", "Rejected")."""
    return None if response is None else response.get("status")


class Dialogue201:
    __slots__ = ("_accepted_with", "_reason", "_station")

    def __init__(self, station: SessionStation201) -> None:
        self._station = station
        self._reason = POWER_UP
        # The ChargingStationType an accepted boot of this run reported: a reconnection with
        # the same one does not boot again (P4 5.3).
        self._accepted_with: dict[str, Any] | None = None

    def rebooting(self, reason: str) -> None:
        """The next connection is a reboot: it boots with `reason` (B01.FR.03, B01.FR.09)."""
        self._reason = reason
        self._accepted_with = None

    def new_csms(self) -> None:
        """The next connection is to a CSMS that may not know the station (another network
        profile's): it boots, with the reason it has (errata B10.FR.10)."""
        self._accepted_with = None

    async def boot(self) -> None:
        """BootNotification until Accepted, at most registrationMaxRetries more times after a
        Pending or Rejected answer, waiting the interval the CSMS gave (B02.FR.04/08,
        B03.FR.02/06)."""
        station = self._station
        if self._accepted_with is not None and self._accepted_with == charging_station(station):
            station.log.debug("Reconnected: no new BootNotification (P4 5.3)")
            return
        max_retries = station.template.registration_max_retries
        refusals = 0
        while True:
            payload = boot_payload(station, self._reason)
            try:
                response = await station.call(BOOT_NOTIFICATION, payload)
            except (TimeoutError, CallFailed) as exc:
                station.log.warning("BootNotification failed: {}", exc)
                response = None
            if response is not None:
                station.boot_answered(response)
                status = registration_status(response)
                if status == ACCEPTED:
                    interval = int(response.get("interval") or 0)
                    if interval > 0:  # B01.FR.04
                        station.configuration.set(HEARTBEAT_INTERVAL, str(interval))
                    self._accepted_with = payload["chargingStation"]
                    self._reason = POWER_UP
                    station.log.debug("Booted, heartbeat interval {} s", interval)
                    return
                if station.template.auto_register:
                    station.log.info("Boot {}; autoRegister: going on as accepted", status)
                    return
                wait = int(response.get("interval") or 0) or DEFAULT_BOOT_RETRY_SECONDS
            else:
                wait = DEFAULT_BOOT_RETRY_SECONDS
            refusals += 1
            if 0 <= max_retries < refusals:
                raise RegistrationRefused(f"boot not accepted after {refusals} attempts")
            await station.clock.sleep(wait)

    async def boot_notification(
        self, overrides: dict[str, Any], reason: str = TRIGGERED
    ) -> dict[str, Any]:
        """A BootNotification on demand (a TriggerMessage, the UI); its answer becomes the
        station's boot response."""
        station = self._station
        response = await station.call(
            BOOT_NOTIFICATION, {**boot_payload(station, reason), **overrides}
        )
        station.boot_answered(response)
        return response

    async def heartbeats(self) -> None:
        """HeartbeatRequest every OCPPCommCtrlr.HeartbeatInterval, until cancelled (G02)."""
        station = self._station
        while True:
            interval = station.variables.integer("OCPPCommCtrlr", "HeartbeatInterval", 0)
            await station.clock.sleep(interval if interval > 0 else DEFAULT_HEARTBEAT_SECONDS)
            try:
                await self.heartbeat()
            except (TimeoutError, CallFailed) as exc:
                station.log.warning("Heartbeat failed: {}", exc)

    async def heartbeat(self) -> dict[str, Any]:
        return await self._station.call(HEARTBEAT, {})

    async def data_transfer(
        self, vendor_id: str, message_id: str | None = None, data: Any = None
    ) -> dict[str, Any]:
        """DataTransferRequest to the CSMS (P02); its answer."""
        payload: dict[str, Any] = {"vendorId": vendor_id}
        if message_id is not None:
            payload["messageId"] = message_id
        if data is not None:
            payload["data"] = data
        return await self._station.call(DATA_TRANSFER, payload)


__all__ = [
    "ACCEPTED",
    "PENDING",
    "REJECTED",
    "Dialogue201",
    "boot_payload",
    "charging_station",
    "registration_status",
]
