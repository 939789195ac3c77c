"""What the OCPP 2.0.1 session messages and handlers see of their station: narrow Protocols of
the members each module uses. `ChargingStation` satisfies them structurally; like
simulator/station/ports.py, this module imports no feature and not the station."""

from __future__ import annotations

from typing import Any, Protocol

from simulator.station.parts import Variables as VariableReader
from simulator.station.ports import (
    AuthorizationView,
    Caller,
    Configured,
    GeneratorView,
    PlugsView,
    ReservationsView,
    Services,
    SmartChargingView,
    StatusChanger,
    TransactionsAndMeters,
    WithConnectors,
    WithSpec,
    WithTemplate,
)


class WithVariables(Protocol):
    @property
    def variables(self) -> VariableReader: ...


class SessionStation201(
    Services, Configured, WithVariables, WithTemplate, WithSpec, WithConnectors, Caller, Protocol
):
    """What the 2.0.1 session messages (dialogue.py, status_reports.py) use."""

    firmware_version: str

    def outgoing_supported(self, action: str) -> bool: ...

    def boot_answered(self, response: dict[str, Any]) -> None:
        """The CSMS answered a registration: its answer is the station's boot response."""


class Station201(SessionStation201, StatusChanger, Protocol):
    """Every member a 2.0.1 handler may use: what the router hands each handler. Handler
    modules declare the narrower Protocol of what they use where it helps their tests."""

    @property
    def boot_response(self) -> dict[str, Any] | None: ...

    @property
    def pending(self) -> bool:
        """The CSMS's last answer to the boot was Pending (B02)."""

    @property
    def authorization(self) -> AuthorizationView: ...

    @property
    def reservations(self) -> ReservationsView: ...

    @property
    def smart_charging(self) -> SmartChargingView: ...

    @property
    def plugs(self) -> PlugsView: ...

    @property
    def transactions(self) -> TransactionsAndMeters: ...

    @property
    def atg(self) -> GeneratorView: ...

    def link_up(self) -> bool: ...

    def connectors_changed(self) -> None: ...

    def changed(self, **delta: Any) -> None: ...

    async def reset(self, kind: str) -> None:
        """Reboot: the running transactions end (`kind` "Hard": ImmediateReset), the
        connection closes, and the station connects and boots again."""

    def rebooting(self, reason: str) -> None:
        """The next boot's BootReasonEnumType (B01.FR.09): RemoteReset, FirmwareUpdate..."""

    async def send_status(self, connector_id: int, *, report: bool = False) -> None: ...

    async def send_triggered(self, action: str, connector_id: int | None) -> None: ...


__all__ = ["SessionStation201", "Station201", "VariableReader", "WithVariables"]
