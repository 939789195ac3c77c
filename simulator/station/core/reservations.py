"""Reservations (OCPP 1.6 sections 3.11, 5.1, 5.13): which connector is held for which token
until when. The answers are pure functions of the connectors and reservations; the
`Reservations` object adds the status changes and the expiry timers on the station's clock.
Whether the station takes reservations at all comes through `ReservationSettings`."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

from simulator.station.core.errors import TransactionError
from simulator.station.core.model import ConnectorState
from simulator.station.core.services import Services
from simulator.station.core.tokens import TokenInfo

# Statuses of a connector in use by a driver (section 4.9): a reservation cannot take it.
_OCCUPIED = frozenset({"Preparing", "Charging", "SuspendedEV", "SuspendedEVSE", "Finishing"})


class ReserveStatus(StrEnum):
    """The answer to a reservation (1.6 ReservationStatus, 2.0.1 ReserveNowStatusEnumType)."""

    ACCEPTED = "Accepted"
    FAULTED = "Faulted"
    OCCUPIED = "Occupied"
    REJECTED = "Rejected"
    UNAVAILABLE = "Unavailable"


class ReservationSettings(Protocol):
    """The station's configuration as the reservations read it (the 1.6 key each reads)."""

    def reservations_supported(self) -> bool: ...  # SupportedFeatureProfiles Reservation

    def reserve_connector_zero(self) -> bool: ...  # ReserveConnectorZeroSupported


class KnownTokens(Protocol):
    """What the station's authorization knows of a token (its group admits it)."""

    def known(self, token: str) -> TokenInfo | None: ...


class Held(Protocol):
    @property
    def id(self) -> int: ...


class ReservationsHost(Services, Protocol):
    """What the reservations need of their station."""

    @property
    def connectors(self) -> dict[int, ConnectorState]: ...

    async def change_status(self, connector_id: int, status: str) -> bool: ...

    def connectors_changed(self) -> None: ...


class ReservationRefused(TransactionError):
    """A start on a connector held for another idTag."""


@dataclass(frozen=True, slots=True)
class Reservation:
    id: int
    connector_id: int  # 0: any connector of the station
    id_tag: str
    expiry: datetime
    parent_id_tag: str | None = None

    def admits(self, id_tag: str, parent_id_tag: str | None) -> bool:
        """The reserved idTag, or one whose parent is the reservation's idTag or parent
        (section 5.13)."""
        if id_tag == self.id_tag:
            return True
        return parent_id_tag is not None and parent_id_tag in (self.id_tag, self.parent_id_tag)


def _connector_answer(connector: ConnectorState) -> ReserveStatus | None:
    """Why a connector cannot be reserved, or None when it can."""
    if connector.status == "Faulted":
        return ReserveStatus.FAULTED
    if connector.status == "Unavailable" or connector.availability != "Operative":
        return ReserveStatus.UNAVAILABLE
    if connector.transaction_started or connector.status in _OCCUPIED:
        return ReserveStatus.OCCUPIED
    if connector.status == "Reserved":
        return ReserveStatus.OCCUPIED
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
) -> ReserveStatus:
    """The answer to `request` (section 5.13); a reservation with the same id is replaced,
    so it does not count against the request."""
    others = {rid: r for rid, r in reservations.items() if rid != request.id}
    connector_id = request.connector_id
    if connector_id not in connectors or (connector_id == 0 and not zero_supported):
        return ReserveStatus.REJECTED
    station = connectors.get(0)
    if station is not None and (refusal := _connector_answer(station)) in (
        ReserveStatus.FAULTED,
        ReserveStatus.UNAVAILABLE,
    ):
        return refusal
    if connector_id > 0:
        if any(r.connector_id == connector_id for r in others.values()):
            return ReserveStatus.OCCUPIED
        answer = _connector_answer(connectors[connector_id])
        replaced = reservations.get(request.id)
        if answer is ReserveStatus.OCCUPIED and connectors[connector_id].status == "Reserved":
            # Reserved for the reservation being replaced: free for its replacement.
            answer = None if replaced and replaced.connector_id == connector_id else answer
        return answer or ReserveStatus.ACCEPTED
    # Connector 0: one connector must stay free for each reservation of the whole station.
    station_wide = sum(1 for r in others.values() if r.connector_id == 0)
    if len(free_connectors(connectors, others)) > station_wide:
        return ReserveStatus.ACCEPTED
    answers = {_connector_answer(c) for cid, c in connectors.items() if cid > 0}
    for answer in (ReserveStatus.FAULTED, ReserveStatus.UNAVAILABLE):
        if answers == {answer}:
            return answer  # every connector is so
    return ReserveStatus.OCCUPIED


def reservation_for_start(
    connectors: Mapping[int, ConnectorState],
    reservations: Mapping[int, Reservation],
    connector_id: int,
    id_tag: str,
    parent_id_tag: str | None,
) -> Reservation | None:
    """The reservation a start of `id_tag` on the connector uses (its id goes with the
    transaction's start), None when it uses none; ReservationRefused when the connector is
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


class Reservations:
    """A station's reservations, their status changes and expiry timers."""

    def __init__(
        self, station: ReservationsHost, settings: ReservationSettings, tokens: KnownTokens
    ) -> None:
        self.station = station
        self.settings = settings
        self.tokens = tokens
        self.active: dict[int, Reservation] = {}
        self._timers: dict[int, asyncio.Task[Any]] = {}

    def supported(self) -> bool:
        return self.settings.reservations_supported()

    async def reserve(self, request: Reservation) -> ReserveStatus:
        """A reservation request (section 5.13): the answer; an accepted reservation of a
        connector turns it Reserved, reported after the answer."""
        if not self.supported():
            return ReserveStatus.REJECTED
        self._drop_unusable()
        status = reserve_answer(
            self.station.connectors,
            self.active,
            request,
            zero_supported=self.settings.reserve_connector_zero(),
        )
        if status is not ReserveStatus.ACCEPTED:
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
        """A cancellation (section 5.1): False when there is no such reservation; the
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
        known = self.tokens.known(id_tag)
        parent = known.group if known is not None else None
        return reservation_for_start(
            self.station.connectors, self.active, connector_id, id_tag, parent
        )

    def used(self, reservation: Held) -> None:
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

    def held(self) -> dict[int, Reservation]:
        """Connector -> its reservation (0: the station's)."""
        return {r.connector_id: r for r in self.active.values()}

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
