"""Which OCPP version a station speaks: its template's `ocppVersion` picks the row of `VERSIONS`,
the one place that maps a version to what is built for it (the station's first keys, its
adapter). The composition root (station.py) asks `for_version`; no other module names a
version's package to build a station.

Templates asking for a version evsim has no adapter for are refused when they load
(template_model.py); a spec built any other way is refused here, with the same kind of line.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from simulator.plan import StationSpec
from simulator.station.core.tokens import IdToken, Verdict
from simulator.station.dispatch import Version
from simulator.station.keystore import KeyStore
from simulator.station.lifecycle_ports import Session
from simulator.station.ocpp16 import keys as keys16_module
from simulator.station.ocpp16 import parts as parts16
from simulator.station.ocpp16.adapter import Adapter16
from simulator.station.ocpp16.parts import PartsHost16
from simulator.station.ocpp16.ports import AdapterStation
from simulator.station.ocpp201 import parts as parts201
from simulator.station.ocpp201.adapter import Adapter201
from simulator.station.ocpp201.ports import Station201
from simulator.station.parts import Features, NoVariables, Variables
from simulator.station.station_data import StatusSpelling


class StationAdapter(Session, Version, Protocol):
    """What the station asks of its version's adapter, besides the session (lifecycle) and
    the incoming CALLs (dispatch)."""

    @property
    def version(self) -> str: ...

    @property
    def status_spelling(self) -> StatusSpelling | None:
        """How the UI spells a core connector status for this version (None: as it is)."""

    def accepted(self, boot_response: dict[str, Any] | None) -> bool: ...

    def pending(self, boot_response: dict[str, Any] | None) -> bool: ...

    def boot_payload(self) -> dict[str, Any]: ...

    def rebooting(self, reason: str) -> None:
        """Why the next boot happens (a version without boot reasons ignores it)."""

    async def connector_changed(self, connector_id: int, *, report: bool = False) -> None: ...

    async def report_problem(self, error_code: str, info: str) -> None: ...

    async def boot_notification(self, overrides: dict[str, Any]) -> dict[str, Any]: ...

    async def heartbeat(self) -> dict[str, Any]: ...

    async def data_transfer(
        self, vendor_id: str, message_id: str | None = None, data: str | None = None
    ) -> dict[str, Any]: ...

    async def send_triggered(self, action: str, connector_id: int | None) -> None: ...

    async def start_local(self, connector_id: int, token: IdToken) -> Verdict:
        """A start asked at the station (the UI's startTransaction): the version's path to a
        transaction, authorization included. Raises NotAuthorized when the token may not
        start, and what a failed start raises."""


class AdapterHost(AdapterStation, Station201, Protocol):
    """What any version's adapter may use of its station (today: the 1.6 adapter's)."""


class KeysFactory(Protocol):
    def __call__(
        self, spec: StationSpec, *, supervision_url: tuple[str, str] | None = None
    ) -> tuple[KeyStore, Variables]:
        """The station's keys at first (the template's over the version's defaults), and its
        device model as the session reads it (the same object in 2.0.1; none in 1.6)."""


def keys16(
    spec: StationSpec, *, supervision_url: tuple[str, str] | None = None
) -> tuple[KeyStore, Variables]:
    template = spec.template
    physical = sum(1 for connector_id in spec.connectors if connector_id > 0)
    keys = keys16_module.from_template(
        template.configuration.configuration_key if template.configuration else (),
        physical,
        supervision_url=supervision_url,
    )
    return keys, NoVariables()


class AdapterFactory(Protocol):
    def __call__(self, station: AdapterHost) -> StationAdapter: ...


class FeaturesFactory(Protocol):
    def __call__(self, station: PartsHost16) -> Features: ...


@dataclass(frozen=True, slots=True)
class VersionParts:
    keys: KeysFactory
    adapter: AdapterFactory
    features: FeaturesFactory


VERSIONS: Mapping[str, VersionParts] = {
    "1.6": VersionParts(keys=keys16, adapter=Adapter16, features=parts16.features),
    "2.0.1": VersionParts(keys=parts201.keys, adapter=Adapter201, features=parts201.features),
}


class UnsupportedOcppVersion(ValueError):
    """A station spec whose ocppVersion no adapter speaks."""


def for_version(version: str) -> VersionParts:
    row = VERSIONS.get(version)
    if row is None:
        available = ", ".join(sorted(VERSIONS))
        raise UnsupportedOcppVersion(
            f"ocppVersion {version}: no adapter for it (available: {available})"
        )
    return row


__all__ = [
    "VERSIONS",
    "AdapterFactory",
    "AdapterHost",
    "KeysFactory",
    "StationAdapter",
    "UnsupportedOcppVersion",
    "VersionParts",
    "for_version",
]
