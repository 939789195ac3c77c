"""The core features a 2.0.1 station holds but does not offer yet: reservations (block H) and
smart charging (block K) are deferred (SCOPE.md Tier 2). Their device-model variables say so
(ReservationCtrlr / SmartChargingCtrlr Available false, read-only), their CSMS actions are
answered NotSupported (no handler), and these objects keep the station's shape: no reservation
is ever held, no charging profile installed, so the core's limits and statuses stay as they are
without them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from simulator.station.core.limits import ProfileStatus
from simulator.station.core.reservations import Reservations
from simulator.station.core.smart_charging import SmartCharging


class Reservations201(Reservations):
    async def reserve(self, request: Any) -> Any:
        """No ReserveNow handler: a reservation request cannot reach a 2.0.1 station."""
        return "Rejected"

    def by_connector(self) -> dict[int, dict[str, Any]]:
        return {}


class SmartCharging201(SmartCharging):
    def install_tx_profile(self, connector_id: int, profile: Mapping[str, Any]) -> ProfileStatus:
        """A RequestStartTransaction's chargingProfile (K05) is not installed: deferred."""
        return ProfileStatus.NOT_SUPPORTED

    def as_data(self) -> list[dict[str, Any]]:
        return []

    def restore(self, data: list[dict[str, Any]]) -> None:
        """Nothing was persisted: no profile is ever installed."""


__all__ = ["Reservations201", "SmartCharging201"]
