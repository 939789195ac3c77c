"""The template's postTransactionDelay (a key of the TypeScript simulator 4.x): a connector
stays Finishing that many seconds after a stop, then goes Available (OCPP 1.6 section 4.9,
transitions C6 and F1). On a virtual clock against the in-memory CSMS."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from simulator.station.ocpp16.core import start_on_connector
from tests.offline_station import OfflineStation, make_station, shutdown
from tests.virtual_clock import VirtualClock


def reported(station: OfflineStation, connector_id: int = 1) -> list[tuple[str, float]]:
    """(status, virtual second) of the connector's StatusNotifications."""
    return [
        (s.payload["status"], s.at)
        for s in station.csms.sent
        if s.action == "StatusNotification" and s.payload["connectorId"] == connector_id
    ]


@pytest.mark.key("postTransactionDelay")
async def test_a_stopped_connector_stays_finishing_for_the_delay_then_is_available(
    tmp_path: Path,
) -> None:
    """Section 4.9: C6 Charging -> Finishing at the stop ("further user action is required"),
    F1 Finishing -> Available postTransactionDelay seconds later."""
    clock = VirtualClock()
    station = make_station(tmp_path, clock=clock, postTransactionDelay=30)
    try:
        await station.transactions.start(1, "TAG-A")
        await clock.run_for(60)
        await station.transactions.stop(1, "Local")
        assert station.connectors[1].status == "Finishing"
        await clock.run_for(29)
        assert station.connectors[1].status == "Finishing"
        await clock.run_for(2)
        assert station.connectors[1].status == "Available"
        assert reported(station)[-3:] == [("Charging", 0), ("Finishing", 60), ("Available", 90)]
    finally:
        await shutdown(station)


@pytest.mark.key("postTransactionDelay")
async def test_without_a_delay_a_stopped_connector_is_available_at_once(tmp_path: Path) -> None:
    """The TS default, 0: no Finishing in between."""
    clock = VirtualClock()
    station = make_station(tmp_path, clock=clock)
    try:
        await station.transactions.start(1, "TAG-A")
        await clock.run_for(60)
        await station.transactions.stop(1, "Local")
        assert station.connectors[1].status == "Available"
        assert [status for status, _ in reported(station)][-2:] == ["Charging", "Available"]
    finally:
        await shutdown(station)


@pytest.mark.key("postTransactionDelay")
async def test_a_new_user_may_start_during_the_delay_and_keeps_the_connector(
    tmp_path: Path,
) -> None:
    """Section 4.9 F2: from Finishing a new transaction goes through Preparing; the delay's end
    does not make the connector Available under it."""
    clock = VirtualClock()
    station = make_station(tmp_path, clock=clock, postTransactionDelay=30)
    try:
        await station.transactions.start(1, "TAG-A")
        await station.transactions.stop(1, "Local")
        await clock.run_for(10)
        await start_on_connector(station, 1, "TAG-B", authorize=False)
        await clock.run_for(60)
        assert station.connectors[1].status == "Charging"
        assert [status for status, _ in reported(station)][-3:] == [
            "Finishing",
            "Preparing",
            "Charging",
        ]
    finally:
        await shutdown(station)


@pytest.mark.key("postTransactionDelay")
async def test_a_station_stopped_during_the_delay_does_not_keep_the_connector_finishing(
    tmp_path: Path,
) -> None:
    """Stopping the station stops its transactions; their delays end with it, so a start
    later does not report a Finishing connector nothing would release."""
    clock = VirtualClock()
    station = make_station(tmp_path, clock=clock, postTransactionDelay=30)
    station.started = True  # as start() leaves it; the in-memory CSMS needs no connection
    try:
        await station.transactions.start(1, "TAG-A")
        await station.stop()
        assert not station.connectors[1].transaction_started
        assert station.connectors[1].status == "Available"
    finally:
        await shutdown(station)


@pytest.mark.key("postTransactionDelay")
async def test_the_atg_waits_for_the_delay_before_its_next_session(tmp_path: Path) -> None:
    """The ATG's next StartTransaction comes once the connector is Available again, never on a
    Finishing connector (section 4.9 has no Finishing -> Charging)."""
    clock = VirtualClock()
    station = make_station(
        tmp_path,
        clock=clock,
        postTransactionDelay=100,
        AutomaticTransactionGenerator={
            "enable": True,
            "minDuration": 60,
            "maxDuration": 60,
            "minDelayBetweenTwoTransactions": 5,
            "maxDelayBetweenTwoTransactions": 5,
            "stopAfterHours": 1,
            "requireAuthorize": False,
        },
        numberOfConnectors=1,
    )
    try:
        station.registration_accepted()  # the ATG starts as on an accepted boot
        await clock.run_for(400)
        statuses = [status for status, _ in reported(station)]
        assert statuses.count("Charging") >= 2
        for before, after in itertools.pairwise(statuses):
            assert (before, after) != ("Finishing", "Charging")
        starts = [s.at for s in station.csms.sent if s.action == "StartTransaction"]
        stops = [s.at for s in station.csms.sent if s.action == "StopTransaction"]
        assert all(start >= stop + 100 for stop, start in zip(stops, starts[1:], strict=False))
    finally:
        await shutdown(station)
