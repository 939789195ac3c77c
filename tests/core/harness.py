"""The core's transactions alone: a fake outbox and settings, connectors in memory, a virtual
clock. No ChargingStation, no socket, no wire message: what the core says is the TxEvents it
hands its outbox."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Mapping
from dataclasses import dataclass, field
from typing import Any

from loguru import logger

from simulator.station.core.metering import ENERGY
from simulator.station.core.model import ConnectorState
from simulator.station.core.queue import QueuedMessage, TransactionQueue
from simulator.station.core.tokens import IdToken, TokenStatus, Verdict
from simulator.station.core.transactions import Transactions
from simulator.station.core.tx_ports import Samples, TxEvent, TxKind
from simulator.template_model import ConnectorTemplate, StationTemplate
from tests.core.fake_services import core_spec
from tests.virtual_clock import VirtualClock

ACCEPTED = Verdict(TokenStatus.ACCEPTED, {"csms": "accepted"})
NO_ANSWER = Verdict(None, None)


class PlainFormat:
    """A sample spelling that is no version's: numbers stay numbers, one field per name."""

    value_field = "v"
    context_field = "why"

    def __init__(self) -> None:
        self.prepared = 0  # fields() calls: one per sample of a prepared list

    def fields(
        self, measurand: str, unit: str | None, location: str | None, phase: str | None
    ) -> tuple[tuple[str, Any], ...]:
        self.prepared += 1
        return (("what", measurand), ("unit", unit), ("phase", phase))

    def number(self, value: float, decimals: int) -> float:
        return round(value, decimals)

    def meter_value(self, timestamp: str, sampled: list[dict[str, Any]]) -> dict[str, Any]:
        return {"at": timestamp, "samples": sampled}


@dataclass
class FakeSettings:
    interval: int = 0
    measurands: str = ENERGY
    ended: str = ""
    aligned: int = 0
    stop_on_invalid: bool = True
    invalid_allowance_wh: int = 0

    def sample_interval(self) -> int:
        return self.interval

    def sampled_measurands(self) -> str:
        return self.measurands

    def ended_measurands(self) -> str:
        return self.ended

    def aligned_interval(self) -> int:
        return self.aligned

    def aligned_measurands(self) -> str:
        return self.measurands

    def ended_aligned_measurands(self) -> str:
        return self.ended

    def stop_on_invalid_id(self) -> bool:
        return self.stop_on_invalid

    def max_energy_on_invalid_id(self) -> int:
        return self.invalid_allowance_wh

    def amperage_limit(self) -> str | None:
        return None


@dataclass
class FakeOutbox:
    """Records every event; a start is answered with `start_verdict` (or raises `refuse`)."""

    connectors: dict[int, ConnectorState]
    start_verdict: Verdict = ACCEPTED
    refuse: Exception | None = None
    link: bool = True
    events: list[TxEvent] = field(default_factory=list)
    statuses: list[tuple[int, str]] = field(default_factory=list)
    reports: list[tuple[int, Samples]] = field(default_factory=list)
    answered: list[tuple[IdToken | None, Verdict]] = field(default_factory=list)

    def online(self) -> bool:
        return self.link

    def can_start(self) -> bool:
        return True

    async def transaction(self, event: TxEvent) -> Verdict:
        self.events.append(event)
        if event.kind is TxKind.STARTED:
            if self.refuse is not None:
                raise self.refuse
            return self.start_verdict
        return NO_ANSWER

    def start_answered(self, token: IdToken | None, verdict: Verdict) -> int | None:
        self.answered.append((token, verdict))
        return 42

    async def meter_report(self, connector: int, samples: Samples) -> None:
        self.reports.append((connector, samples))

    async def connector_changed(self, connector: int) -> None:
        self.statuses.append((connector, self.connectors[connector].status))

    def kinds(self) -> list[TxKind]:
        return [event.kind for event in self.events]


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


class NoCodec:
    """Envelopes sent as they were put (the core's transactions put none through FakeOutbox)."""

    def bind(self, entry: QueuedMessage) -> dict[str, Any] | None:
        return entry.payload

    def answered(self, entry: QueuedMessage, reply: Any, waiting: Any) -> Verdict | None:
        return None

    def as_data(self) -> dict[str, Any]:
        return {}

    def restore(self, data: Mapping[str, Any]) -> None:
        pass


class Host:
    """The station as the core's transactions see it (ports.TransactionsHost)."""

    def __init__(self, clock: VirtualClock, template: dict[str, Any], connectors: int) -> None:
        self.clock = clock
        self.log = logger
        self.template = StationTemplate.model_validate({"power": 11000, **template})
        self.spec = core_spec(
            self.template, {cid: ConnectorTemplate() for cid in range(connectors + 1)}
        )
        self.connectors = {cid: ConnectorState(cid) for cid in range(connectors + 1)}
        self.reservations = NoReservations()
        self.smart_charging = NoProfiles()
        self.authorization = None  # the core's transactions never authorize on their own
        self.tasks: list[asyncio.Task[Any]] = []

    def spawn(self, coroutine: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        task = asyncio.ensure_future(coroutine)
        self.tasks.append(task)
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

    # What the queue needs (core.queue.QueueHost); nothing is sent through it here.
    def link_up(self) -> bool:
        return True

    def outgoing_supported(self, action: str) -> bool:
        return True

    async def call(self, action: str, payload: dict[str, Any]) -> dict[str, Any]:
        raise AssertionError("the core's transactions send through their outbox only")

    async def sleep(self, seconds: float) -> None:
        await self.clock.sleep(seconds)

    def retry_policy(self) -> tuple[int, int]:
        return 3, 60

    async def persisted(self) -> None:
        pass

    async def answer_persisted(self) -> None:
        pass

    def queue_changed(self, *, grew: bool) -> None:
        pass


@dataclass
class Core:
    clock: VirtualClock
    host: Host
    outbox: FakeOutbox
    settings: FakeSettings
    transactions: Transactions

    async def close(self) -> None:
        for task in self.host.tasks:
            task.cancel()
        await asyncio.gather(*self.host.tasks, return_exceptions=True)


def make_core(
    *, settings: FakeSettings | None = None, connectors: int = 1, **template: Any
) -> Core:
    clock = VirtualClock()
    host = Host(clock, template, connectors)
    outbox = FakeOutbox(host.connectors)
    settings = settings or FakeSettings()
    queue = TransactionQueue(host, NoCodec(), refused=(), lost=())
    transactions = Transactions(host, queue, outbox, settings, PlainFormat())  # type: ignore[arg-type]
    return Core(clock, host, outbox, settings, transactions)
