"""What the OCPP 1.6 handlers see of their station: one Protocol per handler module, of the
members that module uses, and `Station16`, all of them, which the router's handlers take.
`ChargingStation` satisfies them structurally; like simulator/station/ports.py, this module
imports no feature and not the station."""

from __future__ import annotations

from typing import Any, Protocol

from simulator.station.ports import (
    AuthorizationView,
    Caller,
    Configured,
    GeneratorView,
    Metering,
    PlugsView,
    ReservationsView,
    Services,
    SmartChargingView,
    StatusChanger,
    StatusReporter,
    TransactionControl,
    TransactionsAndMeters,
    WithConnectors,
    WithSpec,
    WithTemplate,
)


class CoreStation(Services, Configured, WithTemplate, StatusReporter, StatusChanger, Protocol):
    """ocpp16/core.py: configuration, cache, availability, remote start and stop, reset."""

    @property
    def authorization(self) -> AuthorizationView: ...

    @property
    def reservations(self) -> ReservationsView: ...

    @property
    def smart_charging(self) -> SmartChargingView: ...

    @property
    def plugs(self) -> PlugsView: ...

    @property
    def transactions(self) -> TransactionControl: ...

    @property
    def atg(self) -> GeneratorView: ...

    def configuration_changed(self, key: str) -> None: ...

    def connectors_changed(self) -> None: ...

    def meters_moved(self) -> None: ...

    async def reset(self, kind: str) -> None: ...


class FirmwareStation(Services, Configured, WithTemplate, WithSpec, Caller, Protocol):
    """ocpp16/firmware_management.py: UpdateFirmware, GetDiagnostics."""

    firmware_version: str
    firmware_status: str
    diagnostics_status: str

    def station_info(self) -> dict[str, Any]: ...

    def station_info_changed(self) -> None: ...

    def data(self) -> dict[str, Any]: ...

    async def reset(self, kind: str) -> None: ...


class TriggerStation(Services, Configured, WithConnectors, Caller, Protocol):
    """ocpp16/remote_trigger.py: TriggerMessage."""

    firmware_status: str
    diagnostics_status: str

    @property
    def transactions(self) -> Metering: ...

    async def send_triggered(self, action: str, connector_id: int | None) -> None: ...


class LocalListStation(Protocol):
    """ocpp16/local_auth_list.py: SendLocalList, GetLocalListVersion."""

    @property
    def authorization(self) -> AuthorizationView: ...

    def persist(self, *, urgent: bool = False) -> None: ...


class ReservationStation(Protocol):
    """ocpp16/reservation.py: ReserveNow, CancelReservation."""

    @property
    def reservations(self) -> ReservationsView: ...


class ChargingProfileStation(WithConnectors, Protocol):
    """ocpp16/smart_charging.py: Set/ClearChargingProfile, GetCompositeSchedule."""

    @property
    def smart_charging(self) -> SmartChargingView: ...


class SessionStation(
    Services, Configured, WithTemplate, WithSpec, WithConnectors, Caller, Protocol
):
    """What the 1.6 session messages (ocpp16/dialogue.py, ocpp16/status_reports.py) use."""

    firmware_version: str

    @property
    def boot_response(self) -> dict[str, Any] | None: ...

    def outgoing_supported(self, action: str) -> bool: ...

    def boot_answered(self, response: dict[str, Any]) -> None:
        """The CSMS answered a registration: its answer is the station's boot response."""


class Station16(
    CoreStation,
    FirmwareStation,
    TriggerStation,
    LocalListStation,
    ReservationStation,
    ChargingProfileStation,
    Protocol,
):
    """Every member an OCPP 1.6 handler may use: what the router hands each handler."""

    @property
    def transactions(self) -> TransactionsAndMeters: ...


class AdapterStation(Station16, SessionStation, Protocol):
    """The station the 1.6 adapter serves: its handlers' and its session messages'."""


__all__ = [
    "AdapterStation",
    "ChargingProfileStation",
    "CoreStation",
    "FirmwareStation",
    "LocalListStation",
    "ReservationStation",
    "SessionStation",
    "Station16",
    "TriggerStation",
]
