"""Availability of an OCPP 2.0.1 station: ChangeAvailability of the station (G04), an EVSE or a
connector (G03), Scheduled while a transaction runs, the separate states of each level (Note 1);
Reset Immediate / OnIdle of the station or an EVSE (B11, B12). On the core's real transactions
(tests/ocpp201_station_fake.py); every request and answer checked against the v201 schemas."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from simulator.station.core.tx_ports import StopReason, TxKind
from tests.ocpp201_station_fake import Station201Fake, handle

# isort: split
# After the fake, which stands in for ocpp201/evses.py until it is merged.
from simulator.station.ocpp201.availability import (
    AvailabilityLevels,
    change_availability,
)
from simulator.station.ocpp201.reset import IDLE_POLL_SECONDS, reset


@pytest.fixture
async def station() -> AsyncIterator[Station201Fake]:
    fake = Station201Fake({1: (1,), 2: (2, 3)}, resetTime=30)
    yield fake
    await fake.close()
    assert fake.failures == []


async def change(station: Station201Fake, status: str, **evse: int) -> dict[str, Any]:
    """A ChangeAvailability (evse: id=..., connectorId=...; none: the station); its answer,
    once the statuses it changed were reported."""
    request: dict[str, Any] = {"operationalStatus": status}
    if evse:
        request["evse"] = evse
    answer = await handle(change_availability, station, "ChangeAvailability", **request)
    await station.settled()
    assert isinstance(answer, dict)
    return answer


def availability(station: Station201Fake) -> dict[int, str]:
    return {cid: c.availability for cid, c in station.connectors.items()}


# -- ChangeAvailability (G03, G04) -------------------------------------------------------------


async def test_an_evse_made_inoperative_reports_each_connector_unavailable(
    station: Station201Fake,
) -> None:
    """G03.FR.04/06."""
    assert await change(station, "Inoperative", id=2) == {"status": "Accepted"}

    assert station.statuses() == [(2, 1, "Unavailable"), (2, 2, "Unavailable")]
    assert availability(station) == {
        0: "Operative",
        1: "Operative",
        2: "Inoperative",
        3: "Inoperative",
    }


async def test_a_connector_made_inoperative_leaves_the_rest_of_its_evse(
    station: Station201Fake,
) -> None:
    assert await change(station, "Inoperative", id=2, connectorId=2) == {"status": "Accepted"}

    assert station.statuses() == [(2, 2, "Unavailable")]


async def test_the_station_made_inoperative_takes_every_connector(station: Station201Fake) -> None:
    """G04.FR.01/05/07: no evse is the whole station."""
    assert await change(station, "Inoperative") == {"status": "Accepted"}

    assert set(availability(station).values()) == {"Inoperative"}
    assert station.statuses() == [
        (1, 1, "Unavailable"),
        (2, 1, "Unavailable"),
        (2, 2, "Unavailable"),
    ]


async def test_operative_again_reports_available(station: Station201Fake) -> None:
    """G03.FR.07, G04.FR.08."""
    await change(station, "Inoperative")

    assert await change(station, "Operative") == {"status": "Accepted"}

    assert set(availability(station).values()) == {"Operative"}
    assert station.statuses()[-3:] == [
        (1, 1, "Available"),
        (2, 1, "Available"),
        (2, 2, "Available"),
    ]


async def test_a_change_to_the_state_it_is_in_is_accepted_and_reports_nothing(
    station: Station201Fake,
) -> None:
    """G03.FR.03, G04.FR.04."""
    assert await change(station, "Operative", id=1) == {"status": "Accepted"}
    assert await change(station, "Operative") == {"status": "Accepted"}

    assert station.calls == []


async def test_the_levels_keep_their_own_states(station: Station201Fake) -> None:
    """G03 Note 1: a connector set Inoperative, then its EVSE Inoperative and back Operative:
    the connector stays Inoperative."""
    await change(station, "Inoperative", id=2, connectorId=1)
    await change(station, "Inoperative", id=2)
    await change(station, "Operative", id=2)

    assert availability(station) == {
        0: "Operative",
        1: "Operative",
        2: "Inoperative",
        3: "Operative",
    }


async def test_the_station_back_operative_keeps_an_evse_set_inoperative(
    station: Station201Fake,
) -> None:
    """G04 Note 1."""
    await change(station, "Inoperative", id=1)
    await change(station, "Inoperative")
    await change(station, "Operative")

    assert availability(station) == {
        0: "Operative",
        1: "Inoperative",
        2: "Operative",
        3: "Operative",
    }


@pytest.mark.parametrize(
    ("evse", "reason"),
    [({"id": 3}, "UnknownEvse"), ({"id": 1, "connectorId": 2}, "UnknownConnectorId")],
)
async def test_a_change_of_what_the_station_lacks_is_rejected(
    station: Station201Fake, evse: dict[str, int], reason: str
) -> None:
    answer = await change(station, "Inoperative", **evse)

    assert answer == {"status": "Rejected", "statusInfo": {"reasonCode": reason}}
    assert set(availability(station).values()) == {"Operative"}


async def test_during_a_transaction_the_change_is_scheduled_until_it_ends(
    station: Station201Fake,
) -> None:
    """G03.FR.05: Scheduled; G01.FR.05: the connector reports Unavailable when the transaction
    has ended."""
    await station.run_transaction(1)

    assert await change(station, "Inoperative", id=1) == {"status": "Scheduled"}
    assert station.connectors[1].availability == "Operative"
    assert station.statuses() == []

    await station.transactions.stop(1, StopReason.LOCAL)
    assert station.connectors[1].availability == "Inoperative"
    assert station.connectors[1].status == "Unavailable"


async def test_the_station_during_a_transaction_takes_the_idle_connectors_now(
    station: Station201Fake,
) -> None:
    """G04.FR.06: Scheduled for the busy connector, the others Unavailable at once."""
    await station.run_transaction(3)

    assert await change(station, "Inoperative") == {"status": "Scheduled"}

    assert availability(station) == {
        0: "Inoperative",
        1: "Inoperative",
        2: "Inoperative",
        3: "Operative",
    }
    assert station.connectors[3].scheduled_availability == "Inoperative"


async def test_operative_before_the_transaction_ended_cancels_the_scheduled_change(
    station: Station201Fake,
) -> None:
    await station.run_transaction(1)
    await change(station, "Inoperative", id=1)

    assert await change(station, "Operative", id=1) == {"status": "Accepted"}
    await station.transactions.stop(1, StopReason.LOCAL)

    assert station.connectors[1].availability == "Operative"


async def test_a_faulted_connector_keeps_its_status(station: Station201Fake) -> None:
    """G03.FR.06: the operative connectors (not Faulted) become Unavailable."""
    station.connectors[1].status = "Faulted"

    await change(station, "Inoperative", id=1)

    assert station.connectors[1].status == "Faulted"
    assert station.connectors[1].availability == "Inoperative"


async def test_the_change_is_persisted(station: Station201Fake) -> None:
    """B01.FR.07, G03.FR.08, G04.FR.09: the connectors' availability (persisted by the core)
    and the levels (`AvailabilityLevels.as_data`) are written."""
    await change(station, "Inoperative", id=2, connectorId=2)

    assert station.persisted >= 1
    assert station.connectors[3].as_state()["availability"] == "Inoperative"
    restored = AvailabilityLevels()
    restored.restore(station.availability_levels.as_data())
    assert restored.status((2, 2)) == "Inoperative"
    assert restored.effective(2, 1) == "Operative"


async def test_a_remote_start_finds_no_connector_on_an_inoperative_evse(
    station: Station201Fake,
) -> None:
    """The core refuses a start where the levels say Inoperative (F01.FR.23)."""
    await change(station, "Inoperative", id=1)

    with pytest.raises(Exception, match="Inoperative"):
        await station.transactions.begin(1, "TAG")


# -- Reset of the station (B11, B12) -----------------------------------------------------------


async def reset_request(station: Station201Fake, kind: str, **fields: int) -> str:
    answer = await handle(reset, station, "Reset", type=kind, **fields)
    await station.settled()
    return str(answer["status"])


async def test_an_immediate_reset_reboots_with_reason_remote_reset(station: Station201Fake) -> None:
    """B11.FR.03/04, B01.FR.09."""
    assert await reset_request(station, "Immediate") == "Accepted"

    assert station.resets == [("RemoteReset", "Hard")]


async def test_an_immediate_reset_ends_the_transactions_first(station: Station201Fake) -> None:
    """B12.FR.02 Accepted; B12.FR.04: an Ended event (reason ImmediateReset) before the
    reboot."""
    await station.run_transaction(1)

    assert await reset_request(station, "Immediate") == "Accepted"

    ended = station.outbox.events[-1]
    assert (ended.kind, ended.reason) == (TxKind.ENDED, StopReason.HARD_RESET)
    assert station.resets == [("RemoteReset", "Hard")]


async def test_an_on_idle_reset_without_transaction_reboots_now(station: Station201Fake) -> None:
    assert await reset_request(station, "OnIdle") == "Accepted"

    assert station.resets == [("RemoteReset", "Soft")]


async def test_an_on_idle_reset_waits_for_the_transaction_to_end(station: Station201Fake) -> None:
    """B12.FR.01 Scheduled; B12.FR.03: the transaction ends normally, then the reboot; no
    connector starts meanwhile (B12 3a: the idle EVSEs Unavailable)."""
    await station.run_transaction(1)

    assert await reset_request(station, "OnIdle") == "Scheduled"
    await station.settled(3600)
    assert station.resets == []
    assert station.connectors[1].transaction_started
    assert [s for s in station.statuses() if s[2] == "Unavailable"] == [
        (2, 1, "Unavailable"),
        (2, 2, "Unavailable"),
    ]

    await station.transactions.stop(1, StopReason.LOCAL)
    await station.settled(IDLE_POLL_SECONDS)
    assert station.resets == [("RemoteReset", "Soft")]
    assert station.outbox.events[-1].reason == StopReason.LOCAL


async def test_the_reboot_comes_back_as_change_availability_left_it(
    station: Station201Fake,
) -> None:
    """B11.FR.02, B12.FR.06: an EVSE set Inoperative stays so; the reset's hold does not."""
    await change(station, "Inoperative", id=1)
    await station.run_transaction(2)
    await reset_request(station, "OnIdle")

    await station.transactions.stop(2, StopReason.LOCAL)
    await station.settled(IDLE_POLL_SECONDS)

    assert station.resets == [("RemoteReset", "Soft")]
    assert availability(station) == {
        0: "Operative",
        1: "Inoperative",
        2: "Operative",
        3: "Operative",
    }
    assert [station.connectors[c].status for c in (1, 2, 3)] == [
        "Unavailable",
        "Available",
        "Available",
    ]


async def test_an_immediate_reset_takes_over_a_scheduled_one(station: Station201Fake) -> None:
    """One reboot, not two."""
    await station.run_transaction(1)
    await reset_request(station, "OnIdle")

    assert await reset_request(station, "Immediate") == "Accepted"
    await station.settled(3600)

    assert station.resets == [("RemoteReset", "Hard")]


async def test_a_reset_failing_more_often_than_reset_retries_allow_does_not_reboot() -> None:
    """OCPPCommCtrlr.ResetRetries; the template's resetFailedAttempts injects the failures."""
    station = Station201Fake(resetFailedAttempts=2)
    station.variables.values["OCPPCommCtrlr.ResetRetries"] = "1"

    assert await reset_request(station, "Immediate") == "Accepted"

    assert station.resets == []
    station.variables.values["OCPPCommCtrlr.ResetRetries"] = "2"
    await reset_request(station, "Immediate")
    assert station.resets == [("RemoteReset", "Hard")]


# -- Reset of an EVSE (B11.FR.08-10, B12.FR.07-09) ---------------------------------------------


async def test_an_evse_reset_is_unavailable_for_the_reset_time_then_back(
    station: Station201Fake,
) -> None:
    """B11.FR.08: the EVSE alone resets; the station does not reboot."""
    assert await reset_request(station, "Immediate", evseId=2) == "Accepted"
    assert station.statuses() == [(2, 1, "Unavailable"), (2, 2, "Unavailable")]

    await station.settled(30)

    assert station.statuses()[2:] == [(2, 1, "Available"), (2, 2, "Available")]
    assert station.resets == []


async def test_an_immediate_evse_reset_ends_its_transaction_only(station: Station201Fake) -> None:
    """B12.FR.08: ImmediateReset on that EVSE; the other EVSE's transaction goes on."""
    await station.run_transaction(1)
    await station.run_transaction(3)

    assert await reset_request(station, "Immediate", evseId=2) == "Accepted"

    ended = station.outbox.events[-1]
    assert (ended.kind, ended.connector, ended.reason) == (TxKind.ENDED, 3, StopReason.HARD_RESET)
    assert station.connectors[1].transaction_started
    assert station.connectors[3].status == "Unavailable"
    await station.settled(30)
    assert station.connectors[3].status == "Available"


async def test_an_on_idle_evse_reset_waits_for_its_transaction(station: Station201Fake) -> None:
    """B12.FR.01 Scheduled, B12.FR.07."""
    await station.run_transaction(3)

    assert await reset_request(station, "OnIdle", evseId=2) == "Scheduled"
    assert station.connectors[2].status == "Unavailable"  # no new transaction meanwhile
    await station.transactions.stop(3, StopReason.LOCAL)
    await station.settled(IDLE_POLL_SECONDS)
    assert [station.connectors[c].status for c in (2, 3)] == ["Unavailable", "Unavailable"]

    await station.settled(30)
    assert [station.connectors[c].status for c in (2, 3)] == ["Available", "Available"]
    assert station.outbox.events[-1].reason == StopReason.LOCAL


async def test_an_evse_reset_of_an_unknown_evse_is_rejected(station: Station201Fake) -> None:
    assert await reset_request(station, "Immediate", evseId=7) == "Rejected"


async def test_an_evse_that_may_not_be_reset_alone_is_rejected(station: Station201Fake) -> None:
    """B11.FR.09/10, B12.FR.09: EVSE.AllowReset false."""
    station.variables.values["EVSE[2].AllowReset"] = "false"

    assert await reset_request(station, "Immediate", evseId=2) == "Rejected"
    assert station.calls == []
