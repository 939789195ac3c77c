"""A 2.0.1 station's transactions alone: the real core (Transactions, EvPlugs), the real
2.0.1 outbox, queue codec, settings and sample format, over a dict of device-model variables
and a scripted CSMS on a virtual clock. No ChargingStation, no socket: what leaves is the
TransactionEventRequests the fake CSMS records, each checked against the v201 schemas."""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Coroutine, Mapping
from dataclasses import dataclass, field
from typing import Any

from loguru import logger

from simulator.station.core.model import ConnectorState
from simulator.station.core.plugs import EvPlugs
from simulator.station.core.tokens import TokenInfo
from simulator.station.core.transactions import Transactions
from simulator.station.frames import CallError
from simulator.station.ocpp201.queue_codec import TransactionQueue201
from simulator.station.ocpp201.sample_format import SAMPLE_FORMAT_201
from simulator.station.ocpp201.transaction_events import Outbox201
from simulator.station.ocpp201.tx_settings import Settings201, ends_on_ev_unplug, retry_policy
from simulator.station.rpc import CallFailed, ConnectionLost
from simulator.template_model import ConnectorTemplate, StationTemplate
from tests.core.fake_services import core_spec
from tests.device_model_support import schema
from tests.virtual_clock import VirtualClock

# The device model's defaults for what the transactions read (Part 2 appendix 3), as the
# seed has them; a test changes its own copy.
DEFAULTS: dict[str, str] = {
    "SampledDataCtrlr.Enabled": "true",
    "SampledDataCtrlr.TxUpdatedInterval": "60",
    "SampledDataCtrlr.TxUpdatedMeasurands": "Energy.Active.Import.Register",
    "SampledDataCtrlr.TxStartedMeasurands": "Energy.Active.Import.Register",
    "SampledDataCtrlr.TxEndedMeasurands": "Energy.Active.Import.Register",
    "SampledDataCtrlr.TxEndedInterval": "0",
    "AlignedDataCtrlr.Enabled": "true",
    "AlignedDataCtrlr.Interval": "0",
    "AlignedDataCtrlr.Measurands": "Energy.Active.Import.Register",
    "AlignedDataCtrlr.TxEndedMeasurands": "Energy.Active.Import.Register",
    "AlignedDataCtrlr.TxEndedInterval": "0",
    "TxCtrlr.TxStartPoint": "PowerPathClosed",
    "TxCtrlr.TxStopPoint": "EVConnected,Authorized",
    "TxCtrlr.StopTxOnInvalidId": "true",
    "TxCtrlr.MaxEnergyOnInvalidId": "0",
    "TxCtrlr.StopTxOnEVSideDisconnect": "true",
    "OCPPCommCtrlr.MessageAttempts.TransactionEvent": "3",
    "OCPPCommCtrlr.MessageAttemptInterval.TransactionEvent": "60",
}


@dataclass
class DictVariables:
    """ocpp201.md's Variables Protocol over "Component.Variable[.Instance]" keys."""

    values: dict[str, str] = field(default_factory=lambda: dict(DEFAULTS))

    def value(
        self,
        component: str,
        variable: str,
        instance: str | None = None,
        *,
        evse: int | None = None,
        connector: int | None = None,
    ) -> str | None:
        key = f"{component}.{variable}" + (f".{instance}" if instance else "")
        return self.values.get(key)

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
        value = self.value(component, variable, instance)
        return int(value) if value is not None else fallback

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
        value = self.value(component, variable, instance)
        return value.lower() == "true" if value is not None else fallback


class PlugSettings201:
    """The EV plugs' settings of a 2.0.1 station, as the integrator wires them."""

    def __init__(self, variables: DictVariables) -> None:
        self.variables = variables

    def stop_on_ev_side_disconnect(self) -> bool:
        return ends_on_ev_unplug(self.variables)

    def unlock_on_ev_side_disconnect(self) -> bool:
        return True

    def connection_timeout(self) -> int:
        return 0


class Cache:
    """The authorization cache as the outbox feeds it."""

    def __init__(self) -> None:
        self.remembered: list[tuple[str, TokenInfo]] = []

    def remember(self, token: str, info: Any) -> None:
        self.remembered.append((token, info))

    async def authorize(self, token: str) -> bool:
        return True


class NoReservations:
    active: Mapping[int, Any] = {}

    def for_start(self, connector_id: int, id_tag: str) -> None:
        return None

    def used(self, reservation: Any) -> None:
        pass


class NoProfiles:
    def limit_w(self, connector_id: int) -> float | None:
        return None

    def transaction_started(self, connector_id: int) -> None:
        pass

    def transaction_ended(self, connector_id: int) -> None:
        pass


REQUEST = schema("TransactionEventRequest")
RESPONSE = schema("TransactionEventResponse")
METER_VALUES_REQUEST = schema("MeterValuesRequest")


class Station:
    """The station as the core, the queue and the outbox see it, and a scripted CSMS: each
    call's outcome is the next of `script` ("ok", "refused", "timeout", "lost")."""

    def __init__(self, clock: VirtualClock, connectors: int, template: dict[str, Any]) -> None:
        self.clock = clock
        self.log = logger
        self.template = StationTemplate.model_validate({"power": 11000, **template})
        self.spec = core_spec(
            self.template, {cid: ConnectorTemplate() for cid in range(connectors + 1)}
        )
        self.connectors = {cid: ConnectorState(cid) for cid in range(connectors + 1)}
        self.reservations = NoReservations()
        self.smart_charging = NoProfiles()
        self.authorization = Cache()
        self.variables = DictVariables()
        self.transactions: Any = None  # set once built (the EV plugs read it)
        self.tasks: set[asyncio.Task[Any]] = set()
        self.connections = 1
        self.online = True
        self.script: list[str] = []
        self.token_status = "Accepted"
        self.sent: list[tuple[str, dict[str, Any]]] = []  # every call, answered or not
        self.statuses: list[tuple[int, str]] = []

    # -- the core's services ----------------------------------------------------------------

    def spawn(self, coroutine: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        task = asyncio.ensure_future(coroutine)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return task

    def persist(self, *, urgent: bool = False) -> None:
        pass

    def connectors_changed(self) -> None:
        pass

    def meters_moved(self) -> None:
        pass

    async def change_status(self, connector_id: int, status: str) -> bool:
        self.connectors[connector_id].status = status
        return True

    async def send_status(self, connector_id: int) -> None:
        self.statuses.append((connector_id, self.connectors[connector_id].status))

    # -- the queue's host -------------------------------------------------------------------

    def link_up(self) -> bool:
        return self.online

    def outgoing_supported(self, action: str) -> bool:
        return True

    async def sleep(self, seconds: float) -> None:
        await self.clock.sleep(seconds)

    def retry_policy(self) -> tuple[int, int]:
        return retry_policy(self.variables)

    async def persisted(self) -> None:
        pass

    async def answer_persisted(self) -> None:
        pass

    def queue_changed(self, *, grew: bool) -> None:
        pass

    # -- the CSMS ---------------------------------------------------------------------------

    async def call(self, action: str, payload: dict[str, Any]) -> dict[str, Any]:
        if not self.online:
            raise ConnectionLost(action)
        # A copy: the compiled validators fill the schemas' defaults in (offline false, ...).
        (REQUEST if action == "TransactionEvent" else METER_VALUES_REQUEST)(copy.deepcopy(payload))
        outcome = self.script.pop(0) if self.script else "ok"
        if outcome == "lost":
            self.online = False
            raise ConnectionLost(action)
        self.sent.append((action, payload))
        if outcome == "refused":
            raise CallFailed(action, CallError("1", "InternalError"))
        if outcome == "timeout":
            raise TimeoutError(action)
        answer: dict[str, Any] = {}
        if action == "TransactionEvent" and "idToken" in payload:
            answer["idTokenInfo"] = {"status": self.token_status}
        RESPONSE(copy.deepcopy(answer))
        return answer

    def events(self) -> list[dict[str, Any]]:
        """The TransactionEventRequests the CSMS got, in order (retries included)."""
        return [payload for action, payload in self.sent if action == "TransactionEvent"]


@dataclass
class Tx201:
    clock: VirtualClock
    station: Station
    queue: TransactionQueue201
    transactions: Transactions
    plugs: EvPlugs

    @property
    def variables(self) -> DictVariables:
        return self.station.variables

    def go_offline(self) -> None:
        self.station.online = False

    def go_online(self) -> None:
        """A new connection, accepted: the queue delivers what waits."""
        self.station.online = True
        self.station.connections += 1
        self.queue.resume()

    async def settle(self, seconds: float = 0) -> None:
        await self.clock.run_for(seconds)

    async def close(self) -> None:
        for task in list(self.station.tasks):
            task.cancel()
        await asyncio.gather(*self.station.tasks, return_exceptions=True)


def make_tx201(*, connectors: int = 1, ids: list[str] | None = None, **template: Any) -> Tx201:
    clock = VirtualClock()
    station = Station(clock, connectors, template)
    made = iter(ids or [f"tx-{n}" for n in range(1, 1000)])
    queue = TransactionQueue201(
        station, link=lambda: station.connections, new_id=lambda: next(made)
    )
    settings = Settings201(station.variables)
    transactions = Transactions(
        station, queue, Outbox201(station, queue), settings, SAMPLE_FORMAT_201, rules=settings
    )
    station.transactions = transactions
    plugs = EvPlugs(station, PlugSettings201(station.variables))  # type: ignore[arg-type]
    return Tx201(clock, station, queue, transactions, plugs)


def delivered(events: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """The events the CSMS got, by transactionId, retries of one seqNo counted once."""
    by_tx: dict[str, dict[int, dict[str, Any]]] = {}
    for event in events:
        by_tx.setdefault(event["transactionInfo"]["transactionId"], {})[event["seqNo"]] = event
    return {tid: [seen[n] for n in sorted(seen)] for tid, seen in by_tx.items()}


def triggers(events: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(event["eventType"], event["triggerReason"]) for event in events]
