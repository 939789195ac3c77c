"""The version-specific parts of a station, as its composition root (station.py) receives them
from its version's row (adapters.py): built by the version's package over the version-neutral
core, typed here by the core classes and the neutral Protocols, so the station names no
version."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from simulator.station.core.authorization import Authorizer
from simulator.station.core.plugs import EvPlugs
from simulator.station.core.transactions import Transactions
from simulator.station.ports import ReservationsView, SmartChargingView


class RetryPolicy(Protocol):
    def __call__(self) -> tuple[int, int]:
        """(attempts, retry interval seconds) of a transaction message the CSMS refused."""
        ...


class Variables(Protocol):
    """The station's device model as the session reads it (2.0.1; a 1.6 station has none:
    each read gives its fallback)."""

    def value(
        self,
        component: str,
        variable: str,
        instance: str | None = None,
        *,
        evse: int | None = None,
        connector: int | None = None,
    ) -> str | None: ...

    def integer(
        self,
        component: str,
        variable: str,
        fallback: int,
        instance: str | None = None,
        *,
        evse: int | None = None,
        connector: int | None = None,
    ) -> int: ...

    def boolean(
        self,
        component: str,
        variable: str,
        fallback: bool,
        instance: str | None = None,
        *,
        evse: int | None = None,
        connector: int | None = None,
    ) -> bool: ...


class NoVariables:
    """The device model of a station whose version has none (1.6)."""

    __slots__ = ()

    def value(
        self,
        component: str,
        variable: str,
        instance: str | None = None,
        *,
        evse: int | None = None,
        connector: int | None = None,
    ) -> str | None:
        return None

    def integer(
        self,
        component: str,
        variable: str,
        fallback: int,
        instance: str | None = None,
        *,
        evse: int | None = None,
        connector: int | None = None,
    ) -> int:
        return fallback

    def boolean(
        self,
        component: str,
        variable: str,
        fallback: bool,
        instance: str | None = None,
        *,
        evse: int | None = None,
        connector: int | None = None,
    ) -> bool:
        return fallback


class StationCharging(SmartChargingView, Protocol):
    """Smart charging as the station holds it: persisted in the version's form."""

    def as_data(self) -> list[dict[str, Any]]: ...

    def restore(self, data: list[dict[str, Any]]) -> None: ...


class StationReservations(ReservationsView, Protocol):
    def by_connector(self) -> dict[int, dict[str, Any]]:
        """connector id -> its reservation (0: the station's), for the UI."""
        ...


@dataclass(slots=True)
class Features:
    smart_charging: StationCharging
    authorization: Authorizer
    reservations: StationReservations
    transactions: Transactions
    plugs: EvPlugs
    retry_policy: RetryPolicy
    # What a message sent now (not queued) may end with; none of them stops the station.
    send_errors: tuple[type[Exception], ...]


__all__ = [
    "Features",
    "NoVariables",
    "RetryPolicy",
    "StationCharging",
    "StationReservations",
    "Variables",
]
