"""An OCPP 2.0.1 station for the handler tests of remote control and availability: the core's
real parts (connectors, transactions, EV plugs, reservations) and the 2.0.1 session messages
(dialogue, status reports) on a virtual clock; faked are only the far side (the CSMS answers
every CALL at once, each request and answer checked against the v201 schemas), the device
model (a dict), the authorization's verdicts and the 2.0.1 outbox (it records the core's
TxEvents and takes each connector's remote start as the real one must)."""

from __future__ import annotations

import asyncio
import sys
import types
from collections.abc import Coroutine, Mapping
from dataclasses import dataclass, field
from typing import Any

from loguru import logger

from simulator.plan import StationSpec
from simulator.station.connector_status import change_status
from simulator.station.core.model import ConnectorState
from simulator.station.core.plugs import EvPlugs
from simulator.station.core.queue import TransactionQueue
from simulator.station.core.reservations import Reservations
from simulator.station.core.tokens import IdToken, TokenInfo, TokenStatus, Verdict
from simulator.station.core.transactions import Transactions
from simulator.station.core.tx_ports import Samples, TxEvent, TxKind
from simulator.template_model import ConnectorTemplate, StationTemplate
from tests.core.fake_services import core_spec
from tests.core.harness import FakeSettings, NoCodec
from tests.device_model_support import schema
from tests.virtual_clock import VirtualClock


class _EvseMap:
    """rpc201's ocpp201/evses.py EvseMap, until it is merged: the same three lookups."""

    def __init__(self, evses: Mapping[int, tuple[int, ...]]) -> None:
        self._evses = dict(evses)

    def evse_of(self, flat_id: int) -> tuple[int, int]:
        for evse_id, flat_ids in self._evses.items():
            if flat_id in flat_ids:
                return evse_id, flat_ids.index(flat_id) + 1
        raise KeyError(flat_id)

    def flat_id(self, evse_id: int, connector_id: int) -> int | None:
        flat_ids = self._evses.get(evse_id, ())
        return flat_ids[connector_id - 1] if 1 <= connector_id <= len(flat_ids) else None

    def connectors_of(self, evse_id: int) -> tuple[int, ...]:
        return self._evses.get(evse_id, ())


try:
    import simulator.station.ocpp201.evses  # noqa: F401
except ModuleNotFoundError:
    _module = types.ModuleType("simulator.station.ocpp201.evses")
    _module.EvseMap = _EvseMap  # type: ignore[attr-defined]
    sys.modules["simulator.station.ocpp201.evses"] = _module

# After the EvseMap: these modules import it.
from simulator.station.core.remote_starts import RemoteStart, RemoteStarts  # noqa: E402
from simulator.station.ocpp201.availability import AvailabilityLevels  # noqa: E402
from simulator.station.ocpp201.dialogue import Dialogue201  # noqa: E402
from simulator.station.ocpp201.status_reports import StatusReports201  # noqa: E402

NOW = "2026-01-01T00:00:00Z"
# A connector that can sample its voltage and power beside the energy register.
METERED = ConnectorTemplate.model_validate(
    {"MeterValues": [{"measurand": "Voltage", "unit": "V"}, {"measurand": "Power.Active.Import"}]}
)
ANSWERS: dict[str, dict[str, Any]] = {
    "BootNotification": {"currentTime": NOW, "interval": 60, "status": "Accepted"},
    "Heartbeat": {"currentTime": NOW},
}


def valid(action: str, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
    """`payload` once the v201 schema of the action's Request or Response takes it."""
    schema(f"{action}{kind}")(payload)
    return payload


async def handle(handler: Any, station: Station201Fake, action: str, **request: Any) -> Any:
    """The handler's response to a schema-valid request, itself checked against the schema."""
    response = await handler(station, valid(action, "Request", request))
    return valid(action, "Response", response)


class Variables:
    """The device model as a dict: "Component.Variable[.Instance]", "EVSE[1].AllowReset"."""

    def __init__(self, values: dict[str, str] | None = None) -> None:
        self.values = values or {}

    def value(
        self,
        component: str,
        variable: str,
        instance: str | None = None,
        *,
        evse: int | None = None,
        connector: int | None = None,
    ) -> str | None:
        where = "" if evse is None else f"[{evse}]"
        suffix = "" if instance is None else f".{instance}"
        return self.values.get(f"{component}{where}.{variable}{suffix}")

    def integer(self, component: str, variable: str, fallback: int, *args: Any, **kw: Any) -> int:
        value = self.value(component, variable, *args, **kw)
        return fallback if value is None else int(value)

    def boolean(self, component: str, variable: str, fallback: bool, *args: Any, **kw: Any) -> bool:
        value = self.value(component, variable, *args, **kw)
        return fallback if value is None else value.lower() == "true"


class SampleFormat201:
    """SampledValueType as 2.0.1 spells it: the value a number, the unit in unitOfMeasure."""

    value_field = "value"
    context_field = "context"

    def fields(
        self, measurand: str, unit: str | None, location: str | None, phase: str | None
    ) -> tuple[tuple[str, Any], ...]:
        fields: list[tuple[str, Any]] = [("measurand", measurand)]
        if unit:
            fields.append(("unitOfMeasure", {"unit": unit}))
        if location:
            fields.append(("location", location))
        if phase:
            fields.append(("phase", phase))
        return tuple(fields)

    def number(self, value: float, decimals: int) -> float:
        return round(value, decimals)

    def meter_value(self, timestamp: str, sampled: list[dict[str, Any]]) -> dict[str, Any]:
        return {"timestamp": timestamp, "sampledValue": sampled}


SAMPLE_FORMAT_201 = SampleFormat201()


@dataclass
class Outbox201:
    """Records the core's events; a Started event is answered `start_status`. `answering`:
    per event, the remote start it carries (its remoteStartId and token, as the 2.0.1 outbox
    writes them), or None."""

    remote_starts: RemoteStarts
    start_status: TokenStatus | None = TokenStatus.ACCEPTED
    events: list[TxEvent] = field(default_factory=list)
    answering: list[RemoteStart | None] = field(default_factory=list)

    def online(self) -> bool:
        return True

    def can_start(self) -> bool:
        return True

    async def transaction(self, event: TxEvent) -> Verdict:
        self.events.append(event)
        self.answering.append(
            RemoteStart(event.remote_start_id, event.token)
            if event.remote_start_id is not None and event.token is not None
            else None
        )
        if event.kind is TxKind.STARTED:
            return Verdict(self.start_status, {"idTokenInfo": {"status": str(self.start_status)}})
        return Verdict(None)

    def start_answered(self, token: IdToken | None, verdict: Verdict) -> Any:
        return f"tx-{len(self.events)}"  # the station's own id (E01.FR.08), a string

    async def meter_report(self, connector: int, samples: Samples) -> None:
        pass

    async def connector_changed(self, connector: int) -> None:
        pass

    def kinds(self) -> list[TxKind]:
        return [event.kind for event in self.events]


class Authorization:
    """Tokens accepted unless listed as refused; the tokens asked about, in order."""

    def __init__(self) -> None:
        self.refused: set[str] = set()
        self.asked: list[str] = []

    async def authorize(self, token: str) -> bool:
        self.asked.append(token)
        return token not in self.refused

    def known(self, token: str) -> TokenInfo | None:
        return None


class SmartCharging:
    def __init__(self) -> None:
        self.enabled = True
        self.answer = "Accepted"
        self.installed: list[tuple[int, dict[str, Any]]] = []
        self.ended: list[int] = []

    def supported(self) -> bool:
        return self.enabled

    def install_tx_profile(self, connector_id: int, profile: dict[str, Any]) -> Any:
        self.installed.append((connector_id, profile))
        return types.SimpleNamespace(value=self.answer)

    def limit_w(self, connector_id: int) -> float | None:
        return None

    def transaction_started(self, connector_id: int) -> None:
        pass

    def transaction_ended(self, connector_id: int) -> None:
        self.ended.append(connector_id)


class Settings:
    """The reservations' and the EV plugs' settings."""

    def reservations_supported(self) -> bool:
        return True

    def reserve_connector_zero(self) -> bool:
        return True

    def stop_on_ev_side_disconnect(self) -> bool:
        return True

    def unlock_on_ev_side_disconnect(self) -> bool:
        return True

    def connection_timeout(self) -> int:
        return 0


@dataclass(frozen=True)
class Spec201:
    """The plan's spec with its EVSEs (rpc201 adds StationSpec.evses)."""

    base: StationSpec
    evses: Mapping[int, tuple[int, ...]]

    def __getattr__(self, name: str) -> Any:
        return getattr(self.base, name)


class Generator:
    def __init__(self) -> None:
        self.stopped = 0

    def stop(self, connector_ids: Any = None) -> None:
        self.stopped += 1


class Station201Fake:
    def __init__(self, evses: Mapping[int, tuple[int, ...]] | None = None, **template: Any) -> None:
        evses = evses if evses is not None else {1: (1,), 2: (2,)}
        flat_ids = sorted(cid for ids in evses.values() for cid in ids)
        self.clock = VirtualClock()
        self.log = logger.bind(station="fake-201")
        self.tasks: set[asyncio.Task[Any]] = set()
        self.failures: list[BaseException | None] = []  # what a spawned task raised
        self.persisted = 0
        self.template = StationTemplate.model_validate(
            {"power": 22000, "chargePointVendor": "evsim", "chargePointModel": "fake", **template}
        )
        connectors = {0: ConnectorTemplate(), **{cid: METERED for cid in flat_ids}}
        self.spec = Spec201(core_spec(self.template, connectors), evses)
        self.connectors = {cid: ConnectorState(cid) for cid in connectors}
        self.variables = Variables()
        self.firmware_version = "1.0"
        self.firmware_status = "Idle"
        self.boot_response: dict[str, Any] | None = {"status": "Accepted"}
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.triggered_events: list[int] = []
        self.resets: list[tuple[str, str]] = []  # (boot reason, reboot kind)
        self._reason: str | None = None
        self.remote_starts = RemoteStarts()
        self.availability_levels = AvailabilityLevels()
        self.authorization = Authorization()
        self.smart_charging = SmartCharging()
        self.atg = Generator()
        settings = Settings()
        self.reservations = Reservations(self, settings, self.authorization)
        self.plugs = EvPlugs(self, settings)
        self.outbox = Outbox201(self.remote_starts)
        queue = TransactionQueue(self, NoCodec(), refused=(), lost=())  # type: ignore[arg-type]
        self.transactions = Transactions(
            self, queue, self.outbox, FakeSettings(), SAMPLE_FORMAT_201
        )
        self.status = StatusReports201(self)  # type: ignore[arg-type]
        self.dialogue = Dialogue201(self)  # type: ignore[arg-type]

    # -- Services ---------------------------------------------------------------------------

    def spawn(self, coroutine: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        task = asyncio.ensure_future(coroutine)
        self.tasks.add(task)
        task.add_done_callback(self._done)
        return task

    def _done(self, task: asyncio.Task[Any]) -> None:
        self.tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            self.failures.append(task.exception())

    def persist(self, *, urgent: bool = False) -> None:
        self.persisted += 1

    async def settled(self, seconds: float = 0) -> None:
        """What was spawned has run until it sleeps on the clock `seconds` from now."""
        await self.clock.run_for(seconds)

    async def close(self) -> None:
        for task in list(self.tasks):
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)

    # -- the wire -----------------------------------------------------------------------------

    async def call(self, action: str, payload: dict[str, Any]) -> dict[str, Any]:
        self.calls.append((action, valid(action, "Request", payload)))
        return valid(action, "Response", dict(ANSWERS.get(action, {})))

    def sent(self, action: str) -> list[dict[str, Any]]:
        return [payload for name, payload in self.calls if name == action]

    def statuses(self) -> list[tuple[int, int, str]]:
        """The StatusNotifications sent: (evseId, connectorId, connectorStatus) each."""
        return [
            (s["evseId"], s["connectorId"], s["connectorStatus"])
            for s in self.sent("StatusNotification")
        ]

    def outgoing_supported(self, action: str) -> bool:
        return True

    def boot_answered(self, response: dict[str, Any]) -> None:
        self.boot_response = response

    def heartbeat_interval_changed(self, seconds: int) -> None:
        pass

    async def boot_notification(self, overrides: dict[str, Any]) -> dict[str, Any]:
        return await self.dialogue.boot_notification(overrides)

    async def heartbeat(self) -> dict[str, Any]:
        return await self.dialogue.heartbeat()

    async def send_status(self, connector_id: int, *, report: bool = False) -> None:
        await self.status.send(connector_id, report=report)

    async def triggered_transaction_event(self, connector_id: int) -> None:
        self.triggered_events.append(connector_id)

    # -- the station --------------------------------------------------------------------------

    @property
    def pending(self) -> bool:
        return self.boot_response is not None and self.boot_response.get("status") == "Pending"

    async def change_status(self, connector_id: int, status: str) -> bool:
        return await change_status(self, connector_id, status)  # type: ignore[arg-type]

    def connectors_changed(self) -> None:
        pass

    def meters_moved(self) -> None:
        pass

    def rebooting(self, reason: str) -> None:
        self._reason = reason

    async def reset(self, kind: str) -> None:
        """The lifecycle's reboot, as far as these tests look: what runs stops first."""
        await self.transactions.stop_all(f"{kind}Reset")
        self.resets.append((self._reason or "PowerUp", kind))

    # -- arranging ----------------------------------------------------------------------------

    async def run_transaction(self, connector_id: int, token: str = "TAG") -> str:
        """A transaction started at the station: its (string) id."""
        await self.transactions.begin(connector_id, token)
        transaction_id = self.connectors[connector_id].transaction_id
        assert isinstance(transaction_id, str)
        return transaction_id
