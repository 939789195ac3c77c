"""Remote control of an OCPP 2.0.1 station (functional block F): RequestStartTransaction (F01,
F02), RequestStopTransaction (F03), UnlockConnector (F05) and the start the UI asks for, on the
core's real transactions, plugs and reservations (tests/ocpp201_station_fake.py). Every
request and answer is checked against the v201 schemas."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest

from simulator.station.core.errors import NotAuthorized, TransactionError
from simulator.station.core.model import ConnectorState
from simulator.station.core.reservations import Reservation
from simulator.station.core.tokens import IdToken, TokenStatus
from simulator.station.core.tx_ports import StopReason, TxKind
from tests.ocpp201_station_fake import Station201Fake, handle

# isort: split
# After the fake, which stands in for ocpp201/evses.py until it is merged.
from simulator.station.ocpp201.remote_control import (
    remote_start_authorizes,
    request_start_transaction,
    request_stop_transaction,
    start_candidates,
    start_local,
    unlock_answer,
    unlock_connector,
)


@pytest.fixture
async def station() -> AsyncIterator[Station201Fake]:
    fake = Station201Fake()
    yield fake
    await fake.close()
    assert fake.failures == []


def token(value: str = "TAG", kind: str = "ISO14443") -> dict[str, str]:
    return {"idToken": value, "type": kind}


async def remote_start(station: Station201Fake, **request: Any) -> dict[str, Any]:
    """A RequestStartTransaction (idToken TAG, remoteStartId 7 unless given), then the time
    for what it started."""
    request = {"idToken": token(), "remoteStartId": 7, **request}
    answer = await handle(request_start_transaction, station, "RequestStartTransaction", **request)
    await station.settled()
    assert isinstance(answer, dict)
    return answer


# -- RequestStartTransaction: which connector (F01, F02) ---------------------------------------


async def test_a_remote_start_on_an_evse_starts_its_transaction_for_the_token(
    station: Station201Fake,
) -> None:
    """F01.FR.04, F02.FR.12: the transaction is the request's token's, on the EVSE asked for."""
    answer = await remote_start(station, evseId=2)

    assert answer == {"status": "Accepted"}
    assert station.connectors[2].transaction_started
    assert station.connectors[2].transaction_id_tag == "TAG"
    assert station.outbox.kinds() == [TxKind.STARTED]


async def test_the_started_event_carries_the_remote_start_id_and_the_token_type(
    station: Station201Fake,
) -> None:
    """F02.FR.01/21: the first TransactionEvent of the transaction gets the remoteStartId (and
    triggerReason RemoteStart), handed to the outbox with the token as the CSMS typed it."""
    await remote_start(station, evseId=1, remoteStartId=99, idToken=token("APP-1", "Central"))

    (start,) = station.outbox.answering
    assert start is not None
    assert (start.remote_start_id, start.token) == (99, IdToken("APP-1", "Central"))


async def test_only_the_first_event_of_the_transaction_answers_the_remote_start(
    station: Station201Fake,
) -> None:
    await remote_start(station, evseId=1)
    await station.transactions.stop(1, StopReason.LOCAL)

    assert station.outbox.kinds() == [TxKind.STARTED, TxKind.ENDED]
    assert station.outbox.answering[1] is None


async def test_without_evse_the_station_selects_a_free_one(station: Station201Fake) -> None:
    """F01.FR.20: no evseId, the station picks the EVSE."""
    await station.run_transaction(1)

    assert (await remote_start(station))["status"] == "Accepted"
    assert station.connectors[2].transaction_id_tag == "TAG"


def test_a_connector_with_the_cable_in_is_preferred() -> None:
    """F01 (cable plugged in first): the EV waits at that connector."""
    connectors = {cid: ConnectorState(cid) for cid in (0, 1, 2, 3)}
    connectors[3].plugged = True

    assert start_candidates(connectors, None) == [3, 1, 2]
    assert start_candidates(connectors, (1, 2)) == [1, 2]


def test_no_connector_is_a_candidate_while_the_station_is_inoperative() -> None:
    connectors = {cid: ConnectorState(cid) for cid in (0, 1)}
    connectors[0].availability = "Inoperative"

    assert start_candidates(connectors, None) == []


async def test_a_remote_start_on_an_evse_the_station_lacks_is_rejected(
    station: Station201Fake,
) -> None:
    answer = await remote_start(station, evseId=9)

    assert answer == {"status": "Rejected", "statusInfo": {"reasonCode": "UnknownEvse"}}


async def test_a_remote_start_on_an_evse_with_an_authorized_transaction_is_rejected(
    station: Station201Fake,
) -> None:
    """F01.FR.24, F02.FR.26: Occupied by an authorized transaction."""
    await station.run_transaction(1, "OTHER")

    answer = await remote_start(station, evseId=1)

    assert answer == {"status": "Rejected", "statusInfo": {"reasonCode": "TxInProgress"}}
    assert station.outbox.kinds() == [TxKind.STARTED]


async def test_a_remote_start_on_an_unavailable_evse_is_rejected(station: Station201Fake) -> None:
    """F01.FR.23, F02.FR.25."""
    station.connectors[1].availability = "Inoperative"
    station.connectors[1].status = "Unavailable"

    assert (await remote_start(station, evseId=1))["status"] == "Rejected"


async def test_a_remote_start_on_a_faulted_evse_is_rejected(station: Station201Fake) -> None:
    """F01.FR.23, F02.FR.25."""
    station.connectors[1].status = "Faulted"

    assert (await remote_start(station, evseId=1))["status"] == "Rejected"


async def test_while_the_boot_is_pending_a_remote_start_is_rejected(
    station: Station201Fake,
) -> None:
    """B02.FR.05."""
    station.boot_response = {"status": "Pending"}

    answer = await remote_start(station, evseId=1)

    assert answer == {"status": "Rejected", "statusInfo": {"reasonCode": "CSNotAccepted"}}
    assert station.outbox.events == []


async def test_a_second_remote_start_for_a_connector_being_started_is_rejected(
    station: Station201Fake,
) -> None:
    """One connector, one remoteStartId for its next TransactionEvent."""
    request = {"idToken": token(), "remoteStartId": 1, "evseId": 1}
    first = await handle(request_start_transaction, station, "RequestStartTransaction", **request)
    second = await handle(
        request_start_transaction,
        station,
        "RequestStartTransaction",
        **{**request, "remoteStartId": 2},
    )
    await station.settled()

    assert (first["status"], second["status"]) == ("Accepted", "Rejected")
    assert [s.remote_start_id for s in station.outbox.answering if s] == [1]


# -- RequestStartTransaction: reservations (F01.FR.21/22) ---------------------------------------


async def reserve(station: Station201Fake, connector_id: int, id_tag: str) -> None:
    expiry = station.clock.now() + timedelta(hours=1)
    await station.reservations.reserve(Reservation(1, connector_id, id_tag, expiry))
    await station.settled()


async def test_a_reserved_evse_starts_for_the_reservations_token(station: Station201Fake) -> None:
    """H03.FR.09: the reservation is used by the remote start of its token."""
    await reserve(station, 1, "TAG")

    assert (await remote_start(station, evseId=1))["status"] == "Accepted"
    assert station.connectors[1].transaction_started
    assert station.outbox.events[0].reservation_id == 1


async def test_a_reserved_evse_rejects_another_token(station: Station201Fake) -> None:
    """F01.FR.21, F02.FR.23."""
    await reserve(station, 1, "OWNER")

    assert (await remote_start(station, evseId=1))["status"] == "Rejected"
    assert station.connectors[1].status == "Reserved"


# -- RequestStartTransaction: authorization (F01.FR.01/02) --------------------------------------


async def test_with_authorize_remote_start_the_token_is_authorized_first(
    station: Station201Fake,
) -> None:
    """F01.FR.01, F02.FR.09 (AuthCtrlr.AuthorizeRemoteStart true, its default)."""
    await remote_start(station, evseId=1)

    assert station.authorization.asked == ["TAG"]
    assert station.connectors[1].transaction_started


async def test_without_authorize_remote_start_the_token_is_not_authorized(
    station: Station201Fake,
) -> None:
    """F01.FR.02, F02.FR.10: the CSMS checks the token in the TransactionEvent."""
    station.variables.values["AuthCtrlr.AuthorizeRemoteStart"] = "false"

    await remote_start(station, evseId=1)

    assert station.authorization.asked == []
    assert station.connectors[1].transaction_started


def test_nothing_authorizes_a_no_authorization_token_or_a_template_that_never_does() -> None:
    """C02: a NoAuthorization token has nothing to authorize; mustAuthorizeAtRemoteStart false
    models a station that never authorizes a remote start."""
    assert remote_start_authorizes(True, True, "ISO14443")
    assert not remote_start_authorizes(False, True, "ISO14443")
    assert not remote_start_authorizes(True, False, "ISO14443")
    assert not remote_start_authorizes(True, True, "NoAuthorization")


async def test_a_refused_token_starts_nothing_and_frees_the_connector(
    station: Station201Fake,
) -> None:
    """F02.FR.09: a transaction only after successful authorization."""
    station.authorization.refused.add("TAG")

    assert (await remote_start(station, evseId=1))["status"] == "Accepted"

    assert station.outbox.events == []
    assert station.connectors[1].status == "Available"
    assert not station.remote_starts.waiting(1)
    assert [s[2] for s in station.statuses()] == ["Occupied", "Available"]


# -- RequestStartTransaction: chargingProfile (F01.FR.08-12/26) ---------------------------------


def tx_profile(**changes: Any) -> dict[str, Any]:
    profile = {
        "id": 5,
        "stackLevel": 0,
        "chargingProfilePurpose": "TxProfile",
        "chargingProfileKind": "Relative",
        "chargingSchedule": [
            {
                "id": 1,
                "chargingRateUnit": "A",
                "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 16.0}],
            }
        ],
    }
    return {**profile, **changes}


async def test_the_tx_profile_of_a_remote_start_is_installed_for_its_connector(
    station: Station201Fake,
) -> None:
    """F01.FR.10, F02.FR.18."""
    await remote_start(station, evseId=2, chargingProfile=tx_profile())

    assert station.smart_charging.installed == [(2, tx_profile())]
    assert station.connectors[2].transaction_started


@pytest.mark.parametrize(
    "profile",
    [tx_profile(chargingProfilePurpose="TxDefaultProfile"), tx_profile(transactionId="tx-0")],
    ids=["not-a-tx-profile", "with-a-transaction-id"],
)
async def test_a_profile_that_cannot_be_the_transactions_is_rejected(
    station: Station201Fake, profile: dict[str, Any]
) -> None:
    """F01.FR.09/11/26: Rejected, reasonCode InvalidProfile."""
    answer = await remote_start(station, evseId=1, chargingProfile=profile)

    assert answer == {"status": "Rejected", "statusInfo": {"reasonCode": "InvalidProfile"}}
    assert station.smart_charging.installed == []
    assert station.outbox.events == []


async def test_a_profile_smart_charging_refuses_is_rejected(station: Station201Fake) -> None:
    """F01.FR.26."""
    station.smart_charging.answer = "Rejected"

    answer = await remote_start(station, evseId=1, chargingProfile=tx_profile())

    assert answer == {"status": "Rejected", "statusInfo": {"reasonCode": "InvalidProfile"}}


async def test_without_smart_charging_the_profile_is_ignored(station: Station201Fake) -> None:
    """F01.FR.12, F02.FR.20."""
    station.smart_charging.enabled = False

    answer = await remote_start(station, evseId=1, chargingProfile=tx_profile())

    assert answer == {"status": "Accepted"}
    assert station.smart_charging.installed == []


# -- RequestStopTransaction (F03) --------------------------------------------------------------


async def remote_stop(station: Station201Fake, transaction_id: str) -> dict[str, Any]:
    answer = await handle(
        request_stop_transaction, station, "RequestStopTransaction", transactionId=transaction_id
    )
    await station.settled()
    assert isinstance(answer, dict)
    return answer


async def test_a_remote_stop_ends_the_transaction_with_reason_remote(
    station: Station201Fake,
) -> None:
    """F03.FR.07 Accepted; F03.FR.03 stoppedReason Remote."""
    transaction_id = await station.run_transaction(2)

    assert await remote_stop(station, transaction_id) == {"status": "Accepted"}
    ended = station.outbox.events[-1]
    assert (ended.kind, ended.connector, ended.reason) == (TxKind.ENDED, 2, StopReason.REMOTE)
    assert not station.connectors[2].transaction_started


async def test_a_remote_stop_of_an_unknown_transaction_is_rejected(
    station: Station201Fake,
) -> None:
    """F03.FR.08."""
    await station.run_transaction(1)

    answer = await remote_stop(station, "no-such-transaction")

    assert answer == {"status": "Rejected", "statusInfo": {"reasonCode": "UnknownTxId"}}
    assert station.connectors[1].transaction_started


async def test_while_the_boot_is_pending_a_remote_stop_is_rejected(
    station: Station201Fake,
) -> None:
    """B02.FR.05."""
    transaction_id = await station.run_transaction(1)
    station.boot_response = {"status": "Pending"}

    assert (await remote_stop(station, transaction_id))["status"] == "Rejected"
    assert station.connectors[1].transaction_started


# -- UnlockConnector (F05) ---------------------------------------------------------------------


async def unlock(station: Station201Fake, evse_id: int, connector_id: int) -> str:
    answer = await handle(
        unlock_connector, station, "UnlockConnector", evseId=evse_id, connectorId=connector_id
    )
    return str(answer["status"])


async def test_unlock_opens_the_lock_of_the_connector_of_the_evse() -> None:
    """F05.FR.04, on the second connector of EVSE 1 (2.0.1 numbers connectors per EVSE)."""
    station = Station201Fake({1: (1, 2)})
    station.connectors[2].locked = True

    assert await unlock(station, 1, 2) == "Unlocked"
    assert not station.connectors[2].locked
    assert station.persisted == 1


async def test_unlock_of_a_connector_the_station_lacks_is_unknown_connector(
    station: Station201Fake,
) -> None:
    """F05.FR.03."""
    assert await unlock(station, 1, 2) == "UnknownConnector"
    assert await unlock(station, 3, 1) == "UnknownConnector"


async def test_unlock_during_an_authorized_transaction_neither_unlocks_nor_stops(
    station: Station201Fake,
) -> None:
    """F05.FR.02."""
    await station.run_transaction(1)
    station.connectors[1].locked = True

    assert await unlock(station, 1, 1) == "OngoingAuthorizedTransaction"
    assert station.connectors[1].locked
    assert station.connectors[1].transaction_started


def test_unlock_fails_while_the_connector_reports_a_lock_failure() -> None:
    """F05.FR.05; F05.FR.06: without a cable the station tries all the same."""
    connector = ConnectorState(1)

    assert unlock_answer(connector) == "Unlocked"
    connector.error_code = "ConnectorLockFailure"
    assert unlock_answer(connector) == "UnlockFailed"


# -- the UI's local start --------------------------------------------------------------------


async def test_a_local_start_authorizes_and_starts(station: Station201Fake) -> None:
    verdict = await start_local(station, 1, IdToken("LOCAL"))

    assert verdict.status is TokenStatus.ACCEPTED
    assert station.authorization.asked == ["LOCAL"]
    assert station.connectors[1].transaction_id_tag == "LOCAL"
    assert station.outbox.answering == [None]  # no remote start to answer


async def test_a_local_start_of_a_refused_token_raises_not_authorized(
    station: Station201Fake,
) -> None:
    station.authorization.refused.add("LOCAL")

    with pytest.raises(NotAuthorized):
        await start_local(station, 1, IdToken("LOCAL"))
    assert station.connectors[1].status == "Available"


async def test_a_local_start_the_csms_refuses_raises_not_authorized(
    station: Station201Fake,
) -> None:
    """The TransactionEvent's idTokenInfo refused the token (the core then ends it)."""
    station.outbox.start_status = TokenStatus.INVALID

    with pytest.raises(NotAuthorized, match="Invalid"):
        await start_local(station, 1, IdToken("LOCAL"))


async def test_a_local_start_before_the_boot_is_accepted_is_refused_b02_fr_03(
    station: Station201Fake,
) -> None:
    """TxCtrlr.TxBeforeAcceptedEnabled false (the default): no transaction before acceptance."""
    station.boot_response = {"status": "Pending"}

    with pytest.raises(TransactionError, match="TxBeforeAcceptedEnabled"):
        await start_local(station, 1, IdToken("LOCAL"))
    assert station.outbox.events == []


async def test_with_tx_before_accepted_enabled_a_pending_station_starts_locally_b02_fr_03(
    station: Station201Fake,
) -> None:
    station.boot_response = {"status": "Pending"}
    station.variables.values["TxCtrlr.TxBeforeAcceptedEnabled"] = "true"

    verdict = await start_local(station, 1, IdToken("LOCAL"))

    assert verdict.status is TokenStatus.ACCEPTED
