"""The version-neutral steps of a connection (simulator/station/lifecycle.py) against a fake
version adapter and a fake station: the order of what is said once connected. No socket."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from simulator.station.lifecycle import Lifecycle, RegistrationRefused


@dataclass
class Journal:
    events: list[str] = field(default_factory=list)


@dataclass
class FakeSession:
    journal: Journal
    refuse: bool = False
    subprotocol: str = "fake1"

    async def register(self) -> None:
        self.journal.events.append("register")
        if self.refuse:
            raise RegistrationRefused("refused")

    async def report_connectors(self) -> None:
        self.journal.events.append("report connectors")

    async def keep_alive(self) -> None:
        self.journal.events.append("keep alive")


@dataclass
class FakeQueue:
    journal: Journal

    def resume(self) -> None:
        self.journal.events.append("queue resumed")


@dataclass
class FakeTransactions:
    journal: Journal

    @property
    def queue(self) -> FakeQueue:
        return FakeQueue(self.journal)

    async def sample_clock_aligned(self) -> None:
        self.journal.events.append("clock-aligned samples")


@dataclass
class FakeHost:
    journal: Journal
    lifecycle: Lifecycle | None = None

    @property
    def transactions(self) -> FakeTransactions:
        return FakeTransactions(self.journal)

    def registration_accepted(self) -> None:
        assert self.lifecycle is not None
        link = "link up" if self.lifecycle.boot_accepted else "link down"
        self.journal.events.append(f"accepted, {link}")


async def no_calls(action: str, payload: dict[str, Any]) -> dict[str, Any]:
    return {}


def lifecycle(refuse: bool = False) -> tuple[Lifecycle, Journal]:
    journal = Journal()
    host = FakeHost(journal)
    cycle = Lifecycle(host, FakeSession(journal, refuse), no_calls, None)  # type: ignore[arg-type]
    host.lifecycle = cycle
    return cycle, journal


async def test_on_a_new_connection_the_registration_comes_first_and_keep_alive_last() -> None:
    """OCPP 1.6 section 4.2: nothing but the boot before the CSMS accepts the station; then
    the queued transaction messages (section 3.7.1), the statuses, the station accepted."""
    cycle, journal = lifecycle()

    await cycle.dialogue()

    assert journal.events == [
        "register",
        "queue resumed",
        "report connectors",
        "accepted, link up",
        "keep alive",
        "clock-aligned samples",
    ]


async def test_a_refused_registration_reports_nothing_and_keeps_the_link_down() -> None:
    cycle, journal = lifecycle(refuse=True)

    with pytest.raises(RegistrationRefused):
        await cycle.dialogue()

    assert journal.events == ["register"]
    assert not cycle.boot_accepted
