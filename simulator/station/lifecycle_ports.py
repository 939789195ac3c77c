"""What a station's connection lifecycle sees of its OCPP version (the adapter's `Session`) and
of its station (`LifecycleHost`): narrow Protocols, so that the lifecycle imports neither."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from simulator.plan import StationSpec
from simulator.station.clock import Clock
from simulator.station.connection import Endpoint
from simulator.station.core.model import ConnectorState
from simulator.station.frames import ErrorCode, Framing
from simulator.station.keystore import KeyStore
from simulator.station.light_random import LightRandom
from simulator.station.ports import GeneratorView
from simulator.station.schemas import Schemas
from simulator.stats import Statistics
from simulator.template_model import StationTemplate

if TYPE_CHECKING:
    from loguru import Logger


class Session(Protocol):
    """What the lifecycle needs of the station's OCPP version (its adapter)."""

    @property
    def subprotocol(self) -> str: ...

    @property
    def schemas(self) -> Schemas: ...

    def spell_error(self, code: ErrorCode) -> str: ...

    @property
    def framing(self) -> Framing:
        """What the version answers to a frame it cannot use (frames.Framing)."""

    def ping_interval(self) -> int:
        """Seconds between WebSocket pings (0: none), read at each connection."""

    def reconnect_delay(self, attempt: int, rng: LightRandom) -> float:
        """Seconds before reconnect attempt `attempt` (1: the first), read at each one."""

    def endpoint(self, attempt: int, configured: Endpoint) -> Endpoint:
        """Where attempt `attempt` goes (0: the first since the start, a reboot or the last
        connection), given the station's `configured` CSMS (URL, template's credentials)."""

    def response_timeout(self) -> float:
        """Seconds a CALL waits for its answer, asked at each CALL."""

    async def register(self) -> None:
        """Until the CSMS accepts the station; RegistrationRefused when it never does."""

    async def report_connectors(self) -> None:
        """Every connector's status as it is, after an accepted registration."""

    async def keep_alive(self) -> None:
        """The keep-alive messages of the open connection, until cancelled."""


class SessionQueue(Protocol):
    def resume(self) -> None: ...

    async def flush(self) -> None: ...


class SessionTransactions(Protocol):
    @property
    def queue(self) -> SessionQueue: ...

    async def stop(self, connector_id: int, reason: str = "Local") -> Any: ...

    async def stop_all(self, reason: str = "Local") -> None: ...

    async def sample_clock_aligned(self) -> None: ...


class LifecycleHost(Protocol):
    """The station, as its lifecycle changes it."""

    started: bool
    ws_state: int
    spec: StationSpec
    template: StationTemplate
    supervision_url: str
    firmware_version: str
    statistics: Statistics | None

    @property
    def clock(self) -> Clock: ...

    @property
    def log(self) -> Logger: ...

    @property
    def rng(self) -> LightRandom: ...

    @property
    def ws_url(self) -> str: ...

    @property
    def configuration(self) -> KeyStore: ...

    @property
    def connectors(self) -> dict[int, ConnectorState]: ...

    @property
    def transactions(self) -> SessionTransactions: ...

    @property
    def atg(self) -> GeneratorView: ...

    def changed(self, **delta: Any) -> None: ...

    def persist(self, *, urgent: bool = False) -> None: ...

    def station_info(self) -> dict[str, Any]: ...

    def registration_accepted(self) -> None: ...
