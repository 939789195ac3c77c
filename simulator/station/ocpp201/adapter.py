"""What is OCPP 2.0.1 about a station's session: the subprotocol `ocpp2.0.1` (P4 3.2), the
v201 schema set, the 2.0.1 spelling of the CALLERROR codes (P4 4.3), the CALLs refused while
the CSMS has Rejected the station (B03.FR.08), the router of the handlers, and the messages the
station sends of its own. Neutral code (lifecycle, dispatch, the station) asks for "register",
"keep alive", "a connector changed"; only this package names the 2.0.1 actions that do it."""

from __future__ import annotations

import functools
from typing import Any, Final

from simulator.station.backoff import back_off_201
from simulator.station.connection import Endpoint
from simulator.station.core.tokens import IdToken, Verdict
from simulator.station.dispatch import Answer
from simulator.station.frames import ErrorCode, Framing, OcppError
from simulator.station.light_random import LightRandom
from simulator.station.ocpp201 import remote_control
from simulator.station.ocpp201.dialogue import (
    ACCEPTED,
    PENDING,
    REJECTED,
    Dialogue201,
    boot_payload,
    registration_status,
)
from simulator.station.ocpp201.errors import FRAMING_201, spell_error_201
from simulator.station.ocpp201.network_connection import NetworkConnection
from simulator.station.ocpp201.ports import Station201
from simulator.station.ocpp201.routing import HANDLERS
from simulator.station.ocpp201.schemas import SCHEMAS201
from simulator.station.ocpp201.status_reports import StatusReports201, connector_status
from simulator.station.schemas import Schemas

SUBPROTOCOL: Final = "ocpp2.0.1"
VERSION: Final = "2.0.1"
DEFAULT_MESSAGE_TIMEOUT: Final = 30
DEFAULT_BACK_OFF_MINIMUM: Final = 3
DEFAULT_BACK_OFF_RANDOM_RANGE: Final = 10
DEFAULT_BACK_OFF_REPEAT_TIMES: Final = 5


class Adapter201:
    """One station's OCPP 2.0.1: built with the station, as its features are."""

    version: Final = VERSION
    subprotocol: Final = SUBPROTOCOL
    status_spelling: Final = staticmethod(connector_status)
    framing: Final[Framing] = FRAMING_201  # P4 4.2.3/4.3: RpcFrameworkError, id "-1"

    __slots__ = ("_handled", "_rebooting", "_station", "dialogue", "network", "status")

    def __init__(self, station: Station201) -> None:
        self._station = station
        # What the handlers get: they take it as their modules' narrow ports (routing.py).
        self._handled: Any = station
        self.status = StatusReports201(station)
        self.dialogue = Dialogue201(station)
        # The station in the role of its network connection (ConnectionStation), taken as
        # the handlers take theirs: shown by the station tests, not by mypy.
        roles: Any = station
        self.network = NetworkConnection(roles)
        self._rebooting = False

    @property
    def schemas(self) -> Schemas:
        return SCHEMAS201

    def spell_error(self, code: ErrorCode) -> str:
        return spell_error_201(code)

    # -- the connection (lifecycle.Session) -------------------------------------------------

    def ping_interval(self) -> int:
        return self._station.variables.integer("OCPPCommCtrlr", "WebSocketPingInterval", 0)

    def reconnect_delay(self, attempt: int, rng: LightRandom) -> float:
        """P4 5.3: OCPPCommCtrlr.RetryBackOffWaitMinimum doubled per attempt, at most
        RetryBackOffRepeatTimes times, plus up to RetryBackOffRandomRange at random."""
        variables = self._station.variables
        return back_off_201(
            attempt,
            wait_minimum=variables.integer(
                "OCPPCommCtrlr", "RetryBackOffWaitMinimum", DEFAULT_BACK_OFF_MINIMUM
            ),
            random_range=variables.integer(
                "OCPPCommCtrlr", "RetryBackOffRandomRange", DEFAULT_BACK_OFF_RANDOM_RANGE
            ),
            repeat_times=variables.integer(
                "OCPPCommCtrlr", "RetryBackOffRepeatTimes", DEFAULT_BACK_OFF_REPEAT_TIMES
            ),
            rng=rng,
        )

    def endpoint(self, attempt: int, configured: Endpoint) -> Endpoint:
        """The network profile of the attempt (B10); the first one after a reboot applies
        what waited for it."""
        if self._rebooting:
            self._rebooting = False
            self.network.rebooted()
        return self.network.endpoint(attempt, configured)

    def response_timeout(self) -> float:
        """OCPPCommCtrlr.MessageTimeout[Default] (the network profile's messageTimeout while
        connected with one): how long a CALL waits for its answer."""
        seconds = self._station.variables.integer(
            "OCPPCommCtrlr", "MessageTimeout", DEFAULT_MESSAGE_TIMEOUT, "Default"
        )
        return float(seconds if seconds > 0 else DEFAULT_MESSAGE_TIMEOUT)

    # -- incoming CALLs (dispatch.Version) --------------------------------------------------

    def is_known_action(self, action: str) -> bool:
        return SCHEMAS201.is_known_action(action)

    def handler(self, action: str) -> Answer | None:
        handler = HANDLERS.get(action)
        return None if handler is None else functools.partial(handler, self._handled)

    def refusal(self, action: str) -> OcppError | None:
        """B03.FR.08: while the CSMS has Rejected the station, every CALL of the CSMS gets
        SecurityError. (While Pending the station answers, B02.FR.01; RequestStart/Stop are
        Rejected by their handlers, B02.FR.05.)"""
        if registration_status(self._station.boot_response) == REJECTED:
            return OcppError(ErrorCode.SECURITY_ERROR, f"{action}: the CSMS rejected the station")
        return None

    # -- the session (lifecycle.Session) ----------------------------------------------------

    async def register(self) -> None:
        if self.network.connected():
            self.dialogue.new_csms()  # B10.FR.10: another profile's CSMS hears a boot
        await self.dialogue.boot()

    async def report_connectors(self) -> None:
        await self.status.send_after_boot()

    async def keep_alive(self) -> None:
        try:
            await self.dialogue.heartbeats()
        finally:
            # Cancelled when the connection ends: the outage starts now (B04).
            self.status.went_offline()

    # -- what the station asks ----------------------------------------------------------------

    def accepted(self, boot_response: dict[str, Any] | None) -> bool:
        return registration_status(boot_response) == ACCEPTED

    def pending(self, boot_response: dict[str, Any] | None) -> bool:
        return registration_status(boot_response) == PENDING

    def boot_payload(self) -> dict[str, Any]:
        return boot_payload(self._station)

    def rebooting(self, reason: str) -> None:
        self.dialogue.rebooting(reason)
        self._rebooting = True

    async def connector_changed(self, connector_id: int, *, report: bool = False) -> None:
        await self.status.send(connector_id, report=report)

    async def report_problem(self, error_code: str, info: str) -> None:
        """2.0.1 has no errorCode in StatusNotification: a problem is an event (NotifyEvent,
        N07), which evsim does not send yet; it is logged."""
        self._station.log.info(
            "Problem {} not reported (NotifyEvent deferred): {}", error_code, info
        )

    async def boot_notification(self, overrides: dict[str, Any]) -> dict[str, Any]:
        return await self.dialogue.boot_notification(overrides)

    async def heartbeat(self) -> dict[str, Any]:
        return await self.dialogue.heartbeat()

    async def data_transfer(
        self, vendor_id: str, message_id: str | None = None, data: str | None = None
    ) -> dict[str, Any]:
        return await self.dialogue.data_transfer(vendor_id, message_id, data)

    async def send_triggered(self, action: str, connector_id: int | None) -> None:
        await remote_control.send_triggered(self._handled, action, connector_id)

    async def start_local(self, connector_id: int, token: IdToken) -> Verdict:
        verdict: Verdict = await remote_control.start_local(self._handled, connector_id, token)
        return verdict


__all__ = ["SUBPROTOCOL", "VERSION", "Adapter201"]
