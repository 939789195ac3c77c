"""What the parts of a station see of each other: narrow Protocols, one per role.

A feature object (transactions, reservations, authorization, smart charging, EV plugs, the ATG)
is built with its station but sees only the members its host Protocol lists, and sees the other
features only through their views below. `ChargingStation` and the feature classes satisfy them
structurally (mypy checks it where station.py builds the features), so no feature imports the
station, nor another feature, for a type: the station package has no import circle, not even
under TYPE_CHECKING. This module imports no feature but the types of the core
(simulator/station/core/), which imports nothing of the station.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol

from simulator.plan import StationSpec
from simulator.station.clock import Clock
from simulator.station.core.authorization import ListEntry, ListUpdate
from simulator.station.core.limits import Composite, Profile, ProfileStatus, Purpose
from simulator.station.core.metering import Electrical, MeterModel, Reading
from simulator.station.core.model import ConnectorState
from simulator.station.core.services import Services
from simulator.station.core.tokens import TokenInfo, Verdict
from simulator.station.keystore import KeyStore
from simulator.template_model import StationTemplate

Payload = dict[str, Any]


class Configured(Protocol):
    @property
    def configuration(self) -> KeyStore: ...


class WithConnectors(Protocol):
    @property
    def connectors(self) -> dict[int, ConnectorState]: ...


class WithTemplate(Protocol):
    @property
    def template(self) -> StationTemplate: ...


class WithSpec(Protocol):
    @property
    def spec(self) -> StationSpec: ...


class Caller(Protocol):
    """The one path of every message the station sends."""

    async def call(self, action: str, payload: Payload) -> Payload: ...


class StatusReporter(WithConnectors, Caller, Protocol):
    """What a report of connector 0 (connector_status.report_error) needs."""

    @property
    def clock(self) -> Clock: ...

    async def report_problem(self, error_code: str, info: str) -> None:
        """An error the CSMS must hear of, the connectors' statuses unchanged."""


class StatusChanger(Protocol):
    async def change_status(self, connector_id: int, status: str) -> bool: ...


# -- the features as the others see them ------------------------------------------------------


class HeldReservation(Protocol):
    @property
    def id(self) -> int: ...

    @property
    def connector_id(self) -> int: ...


class ReservationsView(Protocol):
    @property
    def active(self) -> Mapping[int, HeldReservation]: ...

    def for_start(self, connector_id: int, id_tag: str) -> HeldReservation | None: ...

    def used(self, reservation: HeldReservation) -> None: ...

    async def reserve(self, payload: Payload) -> str: ...

    def cancel(self, reservation_id: int) -> bool: ...


class AuthorizationCache(Protocol):
    def clear_cache(self) -> None: ...


class AuthorizationView(Protocol):
    @property
    def state(self) -> AuthorizationCache: ...

    def known(self, token: str) -> TokenInfo | None: ...

    async def authorize(self, token: str) -> bool: ...

    def remember(self, token: str, info: TokenInfo | Payload) -> None: ...

    def send_local_list(
        self, list_version: int, *, full: bool, entries: Sequence[ListEntry]
    ) -> ListUpdate: ...

    def list_version(self) -> int: ...


class SmartChargingView(Protocol):
    def supported(self) -> bool: ...

    def allowed_units(self) -> frozenset[str]: ...

    def electrical(self) -> Electrical: ...

    def limit_w(self, connector_id: int) -> float | None: ...

    def install(self, profile: Profile) -> ProfileStatus: ...

    def install_tx_profile(self, connector_id: int, profile: Payload) -> ProfileStatus: ...

    def clear(
        self,
        *,
        profile_id: int | None = None,
        connector_id: int | None = None,
        purpose: Purpose | None = None,
        stack_level: int | None = None,
    ) -> bool: ...

    def composite_schedule(self, connector_id: int, duration: int) -> Composite: ...

    def transaction_started(self, connector_id: int) -> None: ...

    def transaction_ended(self, connector_id: int) -> None: ...


class TransactionControl(Protocol):
    """Starts and stops, as the ATG, the EV plugs and the CSMS's requests ask for them."""

    async def authorize(self, id_tag: str) -> bool: ...

    async def begin(
        self,
        connector_id: int,
        id_tag: str,
        *,
        remote_start_id: int | None = None,
        token_type: str | None = None,
    ) -> Verdict: ...

    async def start(self, connector_id: int, id_tag: str) -> Payload | None: ...

    async def stop(self, connector_id: int, reason: str = "Local") -> Payload | None: ...

    async def stop_all(self, reason: str = "Local") -> None: ...

    def suspend(self, connector_id: int) -> None: ...

    def resume(self, connector_id: int) -> None: ...

    async def ev_changed(self, connector_id: int, plugged: bool) -> None: ...

    def transaction_connector(self, transaction_id: int | str) -> int | None: ...


class Metering(Protocol):
    """The connectors' meters, as smart charging and a triggered MeterValues read them."""

    @property
    def models(self) -> dict[int, MeterModel]: ...

    @property
    def station_power_w(self) -> float | None: ...

    def limit_w(self, connector_id: int, *, profile: bool = True) -> float: ...

    def advance(self, connector_id: int) -> Reading: ...


class PlugsView(Protocol):
    def disarm_preparing_timeout(self, connector_id: int) -> None: ...

    async def start_abandoned(self, connector_id: int) -> None: ...


class GeneratorView(Protocol):
    def stop(self, connector_ids: Iterable[int] | None = None) -> None: ...


# -- what each feature needs of its station ---------------------------------------------------


class SmartChargingHost(Services, WithConnectors, WithTemplate, WithSpec, Protocol):
    """core.smart_charging.SmartCharging's station."""

    @property
    def transactions(self) -> Metering: ...


class PostTransactionHost(Services, WithConnectors, WithTemplate, StatusChanger, Protocol):
    """post_transaction's station: a connector Finishing for the postTransactionDelay."""

    def connectors_changed(self) -> None: ...


class TransactionsHost(Services, WithConnectors, WithTemplate, WithSpec, StatusChanger, Protocol):
    """core.transactions.Transactions' station; what it sends goes to its Outbox."""

    @property
    def authorization(self) -> AuthorizationView: ...

    @property
    def reservations(self) -> ReservationsView: ...

    @property
    def smart_charging(self) -> SmartChargingView: ...

    def connectors_changed(self) -> None: ...

    def meters_moved(self) -> None: ...


class TransactionsAndMeters(TransactionControl, Metering, Protocol):
    """Transactions as the station's own handlers see it."""


class GeneratorHost(Services, WithConnectors, WithTemplate, WithSpec, Protocol):
    """atg.AutomaticTransactionGenerator's station."""

    @property
    def transactions(self) -> TransactionControl: ...

    def atg_changed(self) -> None: ...

    async def wait_accepted(self) -> None: ...


__all__ = [
    "AuthorizationView",
    "Caller",
    "GeneratorHost",
    "GeneratorView",
    "HeldReservation",
    "Metering",
    "PlugsView",
    "ReservationsView",
    "Services",
    "SmartChargingHost",
    "SmartChargingView",
    "StatusReporter",
    "TransactionControl",
    "TransactionsAndMeters",
    "TransactionsHost",
]
