"""What is OCPP 1.6 about a station's session: the subprotocol, the schema set, the spelling of
the CALLERROR codes, the incoming actions refused while Pending, the router of the handlers,
and the messages the station sends of its own. Neutral code (lifecycle, dispatch, the station)
asks for "register", "keep alive", "a connector changed", "report a problem"; only this
package names the 1.6 actions that do it."""

from __future__ import annotations

import functools
from typing import Any, Final

from simulator.station.backoff import reconnect_delay
from simulator.station.connection import Endpoint
from simulator.station.core.tokens import IdToken, Verdict
from simulator.station.dispatch import Answer
from simulator.station.frames import FRAMING_16, ErrorCode, Framing, OcppError
from simulator.station.lifecycle import DEFAULT_RESPONSE_TIMEOUT
from simulator.station.light_random import LightRandom
from simulator.station.ocpp16 import ROUTER, core
from simulator.station.ocpp16.dialogue import ACCEPTED, Dialogue, boot_payload, registration_status
from simulator.station.ocpp16.ports import AdapterStation
from simulator.station.ocpp16.schemas import SCHEMAS16
from simulator.station.ocpp16.status_reports import StatusReports
from simulator.station.schemas import Schemas

SUBPROTOCOL: Final = "ocpp1.6"
DEFAULT_CONNECTION_TIMEOUT: Final = 30

VERSION: Final = "1.6"
# Section 4.2: what a CSMS may not ask while the station is Pending.
NOT_WHILE_PENDING: Final = frozenset({"RemoteStartTransaction", "RemoteStopTransaction"})
PENDING = "Pending"


class Adapter16:
    """One station's OCPP 1.6: built with the station, as its features are."""

    version: Final = VERSION
    subprotocol: Final = SUBPROTOCOL
    status_spelling: Final = None  # the core's statuses are 1.6's
    framing: Final[Framing] = FRAMING_16

    __slots__ = ("_dialogue", "_station", "_status")

    def __init__(self, station: AdapterStation) -> None:
        self._station = station
        self._status = StatusReports(station)
        self._dialogue = Dialogue(station, self._status)

    @property
    def schemas(self) -> Schemas:
        return SCHEMAS16

    def spell_error(self, code: ErrorCode) -> str:
        """OCPP-J 1.6 section 4.2.3's spelling, which ErrorCode's values are."""
        return code.value

    # -- the connection (lifecycle.Session) -------------------------------------------------

    def ping_interval(self) -> int:
        return self._station.configuration.get_int("WebSocketPingInterval", 0)

    def reconnect_delay(self, attempt: int, rng: LightRandom) -> float:
        """The template's reconnectExponentialDelay, or ConnectionTimeOut (the TS simulator's
        fixed reconnect delay too)."""
        return reconnect_delay(
            attempt,
            exponential=self._station.template.reconnect_exponential_delay,
            fixed_seconds=self._station.configuration.get_int(
                "ConnectionTimeOut", DEFAULT_CONNECTION_TIMEOUT
            ),
            rng=rng,
        )

    def endpoint(self, attempt: int, configured: Endpoint) -> Endpoint:
        """1.6 has no network profiles: always the station's own CSMS."""
        return configured

    def response_timeout(self) -> float:
        """OCPP-J 1.6 4.1.1 leaves the CALL timeout to the implementation: evsim's default."""
        return DEFAULT_RESPONSE_TIMEOUT

    # -- incoming CALLs (dispatch.Version) --------------------------------------------------

    def is_known_action(self, action: str) -> bool:
        return SCHEMAS16.is_known_action(action)

    def handler(self, action: str) -> Answer | None:
        handler = ROUTER.handler(action)
        return None if handler is None else functools.partial(handler, self._station)

    def refusal(self, action: str) -> OcppError | None:
        """Section 4.2 with ocppStrictCompliance: no remote start or stop while Pending."""
        station = self._station
        if (
            station.template.ocpp_strict_compliance
            and action in NOT_WHILE_PENDING
            and self.pending(station.boot_response)
        ):
            return OcppError(ErrorCode.SECURITY_ERROR, f"{action} is not allowed while Pending")
        return None

    # -- the session (lifecycle.Session) ----------------------------------------------------

    async def register(self) -> None:
        await self._dialogue.boot()

    async def report_connectors(self) -> None:
        await self._status.send_all()

    async def keep_alive(self) -> None:
        await self._dialogue.heartbeats()

    # -- what the station asks ----------------------------------------------------------------

    def accepted(self, boot_response: dict[str, Any] | None) -> bool:
        return registration_status(boot_response) == ACCEPTED

    def pending(self, boot_response: dict[str, Any] | None) -> bool:
        """The CSMS's last answer to the boot was Pending (section 4.2)."""
        return registration_status(boot_response) == PENDING

    def boot_payload(self) -> dict[str, Any]:
        return boot_payload(self._station)

    def rebooting(self, reason: str) -> None:
        """1.6's BootNotification says no reason."""

    async def connector_changed(self, connector_id: int, *, report: bool = False) -> None:
        """The connector's status to the CSMS (section 4.9; `report`: as it is)."""
        await self._status.send(connector_id, report=report)

    async def report_problem(self, error_code: str, info: str) -> None:
        await self._status.report_problem(error_code, info)

    async def boot_notification(self, overrides: dict[str, Any]) -> dict[str, Any]:
        return await self._dialogue.boot_notification(overrides)

    async def heartbeat(self) -> dict[str, Any]:
        return await self._dialogue.heartbeat()

    async def data_transfer(
        self, vendor_id: str, message_id: str | None = None, data: str | None = None
    ) -> dict[str, Any]:
        return await self._dialogue.data_transfer(vendor_id, message_id, data)

    async def send_triggered(self, action: str, connector_id: int | None) -> None:
        await self._dialogue.send_triggered(action, connector_id)

    async def start_local(self, connector_id: int, token: IdToken) -> Verdict:
        return await core.start_local(self._station, connector_id, token)


__all__ = ["NOT_WHILE_PENDING", "SUBPROTOCOL", "Adapter16"]
