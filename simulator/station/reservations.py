"""Reservations (OCPP 1.6 sections 3.11, 5.1, 5.13): which connector is held for which idTag
until when. The answers are pure functions of the connectors and reservations; the
`Reservations` object adds the StatusNotifications and the expiry timers on the station's
clock."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from simulator.station.clock import iso_timestamp
from simulator.station.core.errors import TransactionError
from simulator.station.core.model import ConnectorState
from simulator.station.ports import HeldReservation, ReservationsHost

FEATURE_PROFILE = "Reservation"
# Statuses of a connector in use by a driver (section 4.9): a reservation cannot take it.
_OCCUPIED = frozenset({"Preparing", "Charging", "SuspendedEV", "SuspendedEVSE", "Finishing"})


class ReservationRefused(TransactionError):
    """A start on a connector held for another idTag."""


@dataclass(frozen=True, slots=True)
class Reservation:
    id: int
    connector_id: int  # 0: any connector of the station
    id_tag: str
    expiry: datetime
    parent_id_tag: str | None = None

    def as_data(self) -> dict[str, Any]:
        """As ReserveNow.req gave it: the UI's connectorStatus.reservation."""
        data: dict[str, Any] = {
            "reservationId": self.id,
            "connectorId": self.connector_id,
            "idTag": self.id_tag,
            "expiryDate": iso_timestamp(self.expiry),
        }
        if self.parent_id_tag is not None:
            data["parentIdTag"] = self.parent_id_tag
        return data

    def admits(self, id_tag: str, parent_id_tag: str | None) -> bool:
        """The reserved idTag, or one whose parent is the reservation's idTag or parent
        (section 5.13)."""
        if id_tag == self.id_tag:
            return True
        return parent_id_tag is not None and parent_id_tag in (self.id_tag, self.parent_id_tag)


def _connector_answer(connector: ConnectorState) -> str | None:
    """Why a connector cannot be reserved (a ReservationStatus), or None when it can."""
    if connector.status == "Faulted":
        return "Faulted"
    if connector.status == "Unavailable" or connector.availability != "Operative":
        return "Unavailable"
    if connector.transaction_started or connector.status in _OCCUPIED:
        return "Occupied"
    if connector.status == "Reserved":
        return "Occupied"
    return None


def free_connectors(
    connectors: Mapping[int, ConnectorState], reservations: Mapping[int, Reservation]
) -> list[int]:
    """Connectors a driver without reservation could use now."""
    held = {r.connector_id for r in reservations.values()}
    return [
        cid
        for cid, connector in sorted(connectors.items())
        if cid > 0 and cid not in held and _connector_answer(connector) is None
    ]


def reserve_answer(
    connectors: Mapping[int, ConnectorState],
    reservations: Mapping[int, Reservation],
    request: Reservation,
    *,
    zero_supported: bool,
) -> str:
    """ReserveNow.conf's status (section 5.13) for `request`; a reservation with the same id
    is replaced, so it does not count against the request."""
    others = {rid: r for rid, r in reservations.items() if rid != request.id}
    connector_id = request.connector_id
    if connector_id not in connectors or (connector_id == 0 and not zero_supported):
        return "Rejected"
    station = connectors.get(0)
    if station is not None and (refusal := _connector_answer(station)) in (
        "Faulted",
        "Unavailable",
    ):
        return refusal
    if connector_id > 0:
        if any(r.connector_id == connector_id for r in others.values()):
            return "Occupied"
        answer = _connector_answer(connectors[connector_id])
        replaced = reservations.get(request.id)
        if answer == "Occupied" and connectors[connector_id].status == "Reserved":
            # Reserved for the reservation being replaced: free for its replacement.
            answer = None if replaced and replaced.connector_id == connector_id else answer
        return answer or "Accepted"
    # Connector 0: one connector must stay free for each reservation of the whole station.
    station_wide = sum(1 for r in others.values() if r.connector_id == 0)
    if len(free_connectors(connectors, others)) > station_wide:
        return "Accepted"
    answers = {_connector_answer(c) for cid, c in connectors.items() if cid > 0}
    for answer in ("Faulted", "Unavailable"):
        if answers == {answer}:
            return answer  # every connector is so
    return "Occupied"


def reservation_for_start(
    connectors: Mapping[int, ConnectorState],
    reservations: Mapping[int, Reservation],
    connector_id: int,
    id_tag: str,
    parent_id_tag: str | None,
) -> Reservation | None:
    """The reservation a start of `id_tag` on the connector uses (its id goes into
    StartTransaction.req), None when it uses none; ReservationRefused when the connector is
    held for another idTag, or the start would leave no connector for a station-wide
    reservation."""
    for reservation in reservations.values():
        if reservation.connector_id == connector_id:
            if reservation.admits(id_tag, parent_id_tag):
                return reservation
            raise ReservationRefused(f"connector {connector_id} is reserved")
    station_wide = [r for r in reservations.values() if r.connector_id == 0]
    for reservation in station_wide:
        if reservation.admits(id_tag, parent_id_tag):
            return reservation
    if station_wide and len(free_connectors(connectors, reservations)) <= len(station_wide):
        raise ReservationRefused("the remaining connectors are reserved")
    return None


def parse_expiry(value: str) -> datetime:
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


class Reservations:
    """A station's reservations, their StatusNotifications and expiry timers."""

    def __init__(self, station: ReservationsHost) -> None:
        self.station = station
        self.active: dict[int, Reservation] = {}
        self._timers: dict[int, asyncio.Task[Any]] = {}

    def supported(self) -> bool:
        profiles = self.station.configuration.get("SupportedFeatureProfiles") or ""
        return FEATURE_PROFILE.lower() in (p.strip().lower() for p in profiles.split(","))

    async def reserve(self, payload: dict[str, Any]) -> str:
        """ReserveNow.req (section 5.13): the answer; an accepted reservation of a connector
        turns it Reserved, reported by a StatusNotification after the answer."""
        request = Reservation(
            id=payload["reservationId"],
            connector_id=payload["connectorId"],
            id_tag=payload["idTag"],
            expiry=parse_expiry(payload["expiryDate"]),
            parent_id_tag=payload.get("parentIdTag"),
        )
        if not self.supported():
            return "Rejected"
        self._drop_unusable()
        zero = (self.station.configuration.get("ReserveConnectorZeroSupported") or "").lower()
        status = reserve_answer(
            self.station.connectors, self.active, request, zero_supported=zero == "true"
        )
        if status != "Accepted":
            return status
        replaced = self._end(request.id)
        self.active[request.id] = request
        self.station.connectors_changed()
        delay = (request.expiry - self.station.clock.now()).total_seconds()
        self._timers[request.id] = self.station.spawn(self._expire(request, delay))
        if replaced is not None and replaced.connector_id != request.connector_id:
            self.station.spawn(self._set_status(replaced.connector_id, "Available"))
        if request.connector_id > 0:
            self.station.spawn(self._set_status(request.connector_id, "Reserved"))
        return status

    def cancel(self, reservation_id: int) -> bool:
        """CancelReservation.req (section 5.1): False when there is no such reservation; the
        connector becomes Available again."""
        self._drop_unusable()
        reservation = self._end(reservation_id)
        if reservation is None:
            return False
        self.station.spawn(self._set_status(reservation.connector_id, "Available"))
        return True

    def for_start(self, connector_id: int, id_tag: str) -> Reservation | None:
        """The reservation a start would use; ReservationRefused when it may not start."""
        self._drop_unusable()
        if not self.active:
            return None
        known = self.station.authorization.known(id_tag)
        parent = known.get("parentIdTag") if known is not None else None
        return reservation_for_start(
            self.station.connectors, self.active, connector_id, id_tag, parent
        )

    def used(self, reservation: HeldReservation) -> None:
        """A transaction started on the reservation: it ends (section 5.13); the connector's
        status comes from the transaction."""
        self._end(reservation.id)

    def _drop_unusable(self) -> None:
        """Section 5.13: a reservation ends when its connector (or the station) turns Faulted
        or Unavailable. Checked whenever reservations are consulted, which is when it
        matters, instead of on every status change."""
        connectors = self.station.connectors
        station = connectors.get(0)
        station_down = station is not None and station.status in ("Faulted", "Unavailable")
        for reservation in list(self.active.values()):
            connector = connectors.get(reservation.connector_id)
            down = connector is not None and connector.status in ("Faulted", "Unavailable")
            if station_down or (reservation.connector_id > 0 and down):
                self.station.log.debug("Reservation {} ended: connector down", reservation.id)
                self._end(reservation.id)

    def _end(self, reservation_id: int) -> Reservation | None:
        timer = self._timers.pop(reservation_id, None)
        if timer is not None and timer is not asyncio.current_task():
            timer.cancel()
        ended = self.active.pop(reservation_id, None)
        if ended is not None:
            self.station.connectors_changed()
        return ended

    def by_connector(self) -> dict[int, dict[str, Any]]:
        """connectorId -> its reservation (0: the station's), for the UI."""
        return {r.connector_id: r.as_data() for r in self.active.values()}

    async def _expire(self, reservation: Reservation, delay: float) -> None:
        await self.station.clock.sleep(max(0.0, delay))
        if self.active.get(reservation.id) is reservation:
            self.station.log.debug("Reservation {} expired", reservation.id)
            self._end(reservation.id)
            await self._set_status(reservation.connector_id, "Available")

    async def _set_status(self, connector_id: int, status: str) -> None:
        if connector_id == 0:
            return
        connector = self.station.connectors[connector_id]
        # Only undo Reserved: a connector that went Faulted or Charging meanwhile stays so.
        if status == "Available" and connector.status != "Reserved":
            return
        await self.station.change_status(connector_id, status)
