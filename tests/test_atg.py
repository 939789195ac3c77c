"""The automatic transaction generator on a virtual clock, against an in-memory CSMS."""

from __future__ import annotations

import itertools
import random
from pathlib import Path
from typing import Any

import pytest

from simulator.station.id_tags import IdTagDistribution, affinity_index
from tests.offline_station import ID_TAGS, OfflineStation, make_station, shutdown
from tests.virtual_clock import VirtualClock

HOUR = 3600.0


def atg(**overrides: Any) -> dict[str, Any]:
    section: dict[str, Any] = {
        "enable": True,
        "minDuration": 60,
        "maxDuration": 120,
        "minDelayBetweenTwoTransactions": 15,
        "maxDelayBetweenTwoTransactions": 30,
        "probabilityOfStart": 1,
        "stopAfterHours": 2,
        "stopOnConnectionFailure": True,
        "requireAuthorize": True,
        "idTagDistribution": "random",
    }
    section.update(overrides)
    return section


async def run_generator(
    tmp_path: Path, hours: float, *, seed: int = 0, index: int = 1, **template: Any
) -> OfflineStation:
    clock = VirtualClock()
    template.setdefault("AutomaticTransactionGenerator", atg())
    station = make_station(tmp_path, clock=clock, seed=seed, index=index, **template)
    station.registration_accepted()
    await clock.run_for(hours * HOUR)
    return station


def sessions(station: OfflineStation) -> list[dict[str, Any]]:
    """Per transaction: connector, idTag, start and stop (virtual seconds), meterStart/Stop."""
    starts = {}
    out = []
    transaction_ids = iter(range(1, 10_000))
    for sent in station.csms.sent:
        if sent.action == "StartTransaction":
            starts[next(transaction_ids)] = sent
        elif sent.action == "StopTransaction":
            start = starts[sent.payload["transactionId"]]
            out.append(
                {
                    "connector": start.payload["connectorId"],
                    "idTag": start.payload["idTag"],
                    "start": start.at,
                    "stop": sent.at,
                    "meterStart": start.payload["meterStart"],
                    "meterStop": sent.payload["meterStop"],
                }
            )
    return out


@pytest.mark.key("AutomaticTransactionGenerator.minDelayBetweenTwoTransactions")
@pytest.mark.key("AutomaticTransactionGenerator.maxDelayBetweenTwoTransactions")
@pytest.mark.key("AutomaticTransactionGenerator.minDuration")
@pytest.mark.key("AutomaticTransactionGenerator.maxDuration")
async def test_sessions_last_between_min_and_max_duration(tmp_path: Path) -> None:
    """The seed's AutomaticTransactionGenerator: minDuration..maxDuration of charging,
    minDelay..maxDelayBetweenTwoTransactions between two, on every connector."""
    station = await run_generator(tmp_path, 1)
    try:
        done = sessions(station)
        assert {s["connector"] for s in done} == {1, 2}
        assert all(60 <= s["stop"] - s["start"] <= 120 for s in done)
        for connector in (1, 2):
            mine = [s for s in done if s["connector"] == connector]
            gaps = [b["start"] - a["stop"] for a, b in itertools.pairwise(mine)]
            assert gaps and all(15 <= gap <= 30 for gap in gaps)
            assert all(s["meterStop"] > s["meterStart"] for s in mine)
    finally:
        await shutdown(station)


@pytest.mark.key("AutomaticTransactionGenerator.requireAuthorize")
async def test_every_start_is_authorized_first(tmp_path: Path) -> None:
    """requireAuthorize: Authorize.req (OCPP 1.6 section 4.1) before each StartTransaction."""
    station = await run_generator(tmp_path, 0.5)
    try:
        actions = [s.action for s in station.csms.sent if s.action != "StatusNotification"]
        starts = [i for i, a in enumerate(actions) if a == "StartTransaction"]
        assert starts and all(actions[i - 1] == "Authorize" for i in starts)
    finally:
        await shutdown(station)


@pytest.mark.key("seed")
async def test_the_same_seed_replays_the_same_sessions(tmp_path: Path) -> None:
    """Reproducibility: durations, idTags and energies are the same on every run of a seed,
    and another seed gives other sessions."""
    first = await run_generator(tmp_path / "a", 1, seed=7)
    second = await run_generator(tmp_path / "b", 1, seed=7)
    other = await run_generator(tmp_path / "c", 1, seed=8)
    try:
        assert sessions(first) == sessions(second)
        assert len(sessions(first)) > 10
        # Down to every MeterValue: same values, same (virtual) times.
        assert first.csms.sent == second.csms.sent
        assert sessions(first) != sessions(other)
    finally:
        await shutdown(first)


@pytest.mark.key("AutomaticTransactionGenerator.probabilityOfStart")
async def test_probability_of_start_zero_skips_every_transaction(tmp_path: Path) -> None:
    station = await run_generator(
        tmp_path, 0.5, AutomaticTransactionGenerator=atg(probabilityOfStart=0)
    )
    try:
        assert station.csms.of("StartTransaction") == []
        status = station.atg.data()["automaticTransactionGeneratorStatuses"][0]
        assert status["skippedTransactions"] > 0
        assert status["skippedConsecutiveTransactions"] == status["skippedTransactions"]
    finally:
        await shutdown(station)


@pytest.mark.key("AutomaticTransactionGenerator.stopAfterHours")
async def test_the_generator_ends_after_stop_after_hours(tmp_path: Path) -> None:
    station = await run_generator(tmp_path, 3, AutomaticTransactionGenerator=atg(stopAfterHours=1))
    try:
        done = sessions(station)
        assert max(s["start"] for s in done) < HOUR
        assert not station.atg.running
        assert len(station.csms.of("StartTransaction")) == len(done)
        status = station.atg.data()["automaticTransactionGeneratorStatuses"][0]
        assert status["start"] is False and status["stoppedDate"] is not None
    finally:
        await shutdown(station)


async def test_statuses_count_started_stopped_and_rejected(tmp_path: Path) -> None:
    """A rejected Authorize starts nothing and is counted."""
    clock = VirtualClock()
    station = make_station(
        tmp_path,
        clock=clock,
        reject_id_tags=("TAG-A", "TAG-B"),
        AutomaticTransactionGenerator=atg(),
    )
    station.registration_accepted()
    await clock.run_for(HOUR)
    try:
        data = station.data()["automaticTransactionGenerator"]
        assert data["automaticTransactionGenerator"]["minDuration"] == 60
        totals: dict[str, int] = {}
        for status in data["automaticTransactionGeneratorStatuses"]:
            for key, value in status.items():
                if isinstance(value, int) and not isinstance(value, bool):
                    totals[key] = totals.get(key, 0) + value
        assert totals["rejectedAuthorizeRequests"] > 0
        assert totals["authorizeRequests"] == (
            totals["acceptedAuthorizeRequests"] + totals["rejectedAuthorizeRequests"]
        )
        assert totals["acceptedStartTransactionRequests"] == len(
            station.csms.of("StartTransaction")
        )
        assert totals["acceptedStopTransactionRequests"] == len(station.csms.of("StopTransaction"))
        assert {p["idTag"] for p in station.csms.of("StartTransaction")} <= {
            "TAG-C",
            "TAG-D",
            "TAG-E",
        }
    finally:
        await shutdown(station)


async def test_stopping_the_generator_lets_the_running_session_end(tmp_path: Path) -> None:
    clock = VirtualClock()
    station = make_station(tmp_path, clock=clock, AutomaticTransactionGenerator=atg())
    station.registration_accepted()
    await clock.run_for(40)  # past the longest first delay: both connectors charge
    station.atg.stop([1])
    await clock.run_for(HOUR)
    try:
        on_one = [s for s in sessions(station) if s["connector"] == 1]
        assert len(on_one) == 1
        assert not station.connectors[1].transaction_started
        assert station.atg.statuses[2].start
    finally:
        await shutdown(station)


@pytest.mark.key("AutomaticTransactionGenerator.idTagDistribution")
async def test_round_robin_walks_the_tags_whichever_connector_asks(tmp_path: Path) -> None:
    station = await run_generator(
        tmp_path, 1, AutomaticTransactionGenerator=atg(idTagDistribution="round-robin")
    )
    try:
        tags = [p["idTag"] for p in station.csms.of("Authorize")]
        assert len(tags) > len(ID_TAGS)
        assert tags == [ID_TAGS[i % len(ID_TAGS)] for i in range(len(tags))]
    finally:
        await shutdown(station)


@pytest.mark.key("AutomaticTransactionGenerator.idTagDistribution")
async def test_connector_affinity_gives_each_connector_its_tag(tmp_path: Path) -> None:
    """connector-affinity: tag (stationIndex - 1 + connectorId - 1) mod n."""
    station = await run_generator(
        tmp_path,
        1,
        index=4,
        AutomaticTransactionGenerator=atg(idTagDistribution="connector-affinity"),
    )
    try:
        for start in station.csms.of("StartTransaction"):
            expected = ID_TAGS[affinity_index(4, start["connectorId"], len(ID_TAGS))]
            assert start["idTag"] == expected
        assert {p["idTag"] for p in station.csms.of("StartTransaction")} == {"TAG-D", "TAG-E"}
    finally:
        await shutdown(station)


@pytest.mark.key("AutomaticTransactionGenerator.idTagDistribution")
def test_random_distribution_draws_only_listed_tags() -> None:
    picker = IdTagDistribution("random", 1, ID_TAGS)
    rng = random.Random(0)
    drawn = {picker.pick(1, rng) for _ in range(200)}
    assert drawn == set(ID_TAGS)


def test_new_tags_replace_the_list_for_the_next_sessions() -> None:
    """setIdTags: a reloaded authorizationFile applies to the next pick."""
    picker = IdTagDistribution("round-robin", 1, ID_TAGS)
    rng = random.Random(0)
    picker.pick(1, rng)
    picker.replace_tags(["NEW-1", "NEW-2"])
    assert [picker.pick(1, rng) for _ in range(3)] == ["NEW-2", "NEW-1", "NEW-2"]


def test_without_tags_the_default_tag_is_used() -> None:
    assert IdTagDistribution("random", 1, []).pick(1, random.Random(0)) == "00000000"


async def test_restarting_during_the_last_session_keeps_one_loop(tmp_path: Path) -> None:
    """Stop then start while a session runs: the connector still has one session at a time."""
    clock = VirtualClock()
    station = make_station(tmp_path, clock=clock, AutomaticTransactionGenerator=atg())
    station.registration_accepted()
    await clock.run_for(40)
    station.atg.stop()
    station.atg.start()
    await clock.run_for(HOUR)
    try:
        for connector in (1, 2):
            mine = [s for s in sessions(station) if s["connector"] == connector]
            assert len(mine) > 5
            assert all(a["stop"] <= b["start"] for a, b in itertools.pairwise(mine))
    finally:
        await shutdown(station)
