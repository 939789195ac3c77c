"""MaxEnergyOnInvalidId (OCPP 1.6 sections 3.5.4, 9.1.14): what a transaction kept open for an
invalid idTag may still draw, on a virtual clock against an in-memory CSMS."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.offline_station import OfflineStation, make_station, shutdown
from tests.virtual_clock import VirtualClock

REFUSED = "TAG-X"


def kept_open(tmp_path: Path, clock: VirtualClock, **keys: str) -> OfflineStation:
    """A station that keeps a refused transaction open (StopTransactionOnInvalidId false)."""
    entries: list[dict[str, Any]] = [
        {"key": key, "readonly": False, "value": value}
        for key, value in {"StopTransactionOnInvalidId": "false", **keys}.items()
    ]
    return make_station(
        tmp_path,
        clock=clock,
        reject_id_tags=(REFUSED,),
        Configuration={"configurationKey": entries},
    )


def session_wh(station: OfflineStation, connector_id: int) -> float:
    station.transactions.advance(connector_id)
    return station.connectors[connector_id].meter.session_wh


@pytest.mark.timeout(30)
async def test_an_invalidated_transaction_draws_up_to_max_energy_on_invalid_id(
    tmp_path: Path,
) -> None:
    """Sections 3.5.4, 9.1.14: "charge the EV with a minimum amount of energy so the EV is able
    to drive away", at most MaxEnergyOnInvalidId Wh, then no more."""
    clock = VirtualClock()
    station = kept_open(tmp_path, clock, MaxEnergyOnInvalidId="500")
    try:
        await station.transactions.start(1, REFUSED)
        assert station.connectors[1].status == "SuspendedEVSE"
        await clock.run_for(30)
        assert 0 < session_wh(station, 1) < 500  # 22 kW for 30 s is less than 500 Wh
        await clock.run_for(3600)
        assert session_wh(station, 1) == pytest.approx(500)
        await clock.run_for(3600)
        assert session_wh(station, 1) == pytest.approx(500)
        await station.transactions.stop(1)
        assert station.csms.of("StopTransaction")[0]["meterStop"] == 500
    finally:
        await shutdown(station)


@pytest.mark.timeout(30)
async def test_an_invalidated_transaction_draws_nothing_without_max_energy_on_invalid_id(
    tmp_path: Path,
) -> None:
    """Section 3.5.4: StopTransactionOnInvalidId false: "only stop energy delivery"; the
    default MaxEnergyOnInvalidId is 0."""
    clock = VirtualClock()
    station = kept_open(tmp_path, clock)
    try:
        await station.transactions.start(1, REFUSED)
        await clock.run_for(3600)
        assert session_wh(station, 1) == 0
    finally:
        await shutdown(station)


@pytest.mark.timeout(30)
async def test_max_energy_on_invalid_id_does_not_limit_an_accepted_transaction(
    tmp_path: Path,
) -> None:
    """Section 9.1.14: the key applies "when an identifier is invalidated" only."""
    clock = VirtualClock()
    station = kept_open(tmp_path, clock, MaxEnergyOnInvalidId="500")
    try:
        await station.transactions.start(1, "TAG-A")
        await clock.run_for(3600)
        assert session_wh(station, 1) > 1000
    finally:
        await shutdown(station)


@pytest.mark.timeout(30)
async def test_a_transaction_refused_late_draws_up_to_max_energy_on_invalid_id_from_the_refusal(
    tmp_path: Path,
) -> None:
    """Sections 3.5.4, 3.7, 9.1.14: a transaction started offline charges normally; when its
    queued StartTransaction.conf refuses the idTag, the transaction is kept open SuspendedEVSE
    and draws at most MaxEnergyOnInvalidId Wh more, counted from the refusal."""
    clock = VirtualClock()
    station = kept_open(tmp_path, clock, MaxEnergyOnInvalidId="500")
    try:
        station.online = False
        assert await station.transactions.start(1, REFUSED) is None
        await clock.run_for(610)  # between two meter samples
        assert station.connectors[1].status == "Charging"
        station.online = True
        station.transactions.queue.resume()
        await clock.run_for(0)  # delivered and answered at once: the refusal is at t=610
        assert station.csms.of("StartTransaction")[0]["idTag"] == REFUSED
        assert station.connectors[1].status == "SuspendedEVSE"
        before_refusal = session_wh(station, 1)
        assert before_refusal > 1000  # 11 kW for 10 minutes: more than the allowance
        await clock.run_for(7200)
        assert session_wh(station, 1) == pytest.approx(before_refusal + 500)
    finally:
        await shutdown(station)
