"""Reservation profile (OCPP 1.6 sections 5.1, 5.13): ReserveNow.req to the core's
`Reservation` and back, and the handlers."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from simulator.station.clock import iso_timestamp
from simulator.station.core.reservations import Reservation, Reservations, ReserveStatus
from simulator.station.ocpp16.ports import ReservationStation


def _expiry(value: str) -> datetime:
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def reservation_request(payload: Mapping[str, Any]) -> Reservation:
    """ReserveNow.req (section 6.37) as the core's reservation."""
    return Reservation(
        id=payload["reservationId"],
        connector_id=payload["connectorId"],
        id_tag=payload["idTag"],
        expiry=_expiry(payload["expiryDate"]),
        parent_id_tag=payload.get("parentIdTag"),
    )


def reservation_data(reservation: Reservation) -> dict[str, Any]:
    """As ReserveNow.req gave it: the UI's connectorStatus.reservation."""
    data: dict[str, Any] = {
        "reservationId": reservation.id,
        "connectorId": reservation.connector_id,
        "idTag": reservation.id_tag,
        "expiryDate": iso_timestamp(reservation.expiry),
    }
    if reservation.parent_id_tag is not None:
        data["parentIdTag"] = reservation.parent_id_tag
    return data


class Reservations16(Reservations):
    """`Reservations` taking ReserveNow.req payloads and showing reservations in their form."""

    async def reserve(self, request: Reservation | Mapping[str, Any]) -> ReserveStatus:
        if not isinstance(request, Reservation):
            request = reservation_request(request)
        return await super().reserve(request)

    def by_connector(self) -> dict[int, dict[str, Any]]:
        """connectorId -> its reservation (0: the station's), for the UI."""
        return {cid: reservation_data(r) for cid, r in self.held().items()}


async def reserve_now(station: ReservationStation, payload: dict[str, Any]) -> dict[str, Any]:
    """Section 5.13: Accepted, Faulted, Occupied, Rejected or Unavailable."""
    return {"status": str(await station.reservations.reserve(payload))}


async def cancel_reservation(
    station: ReservationStation, payload: dict[str, Any]
) -> dict[str, Any]:
    """Section 5.1: Accepted when the station has the reservation, else Rejected."""
    cancelled = station.reservations.cancel(payload["reservationId"])
    return {"status": "Accepted" if cancelled else "Rejected"}


__all__ = [
    "Reservations16",
    "cancel_reservation",
    "reservation_data",
    "reservation_request",
    "reserve_now",
]
