"""Remote control, OCPP 2.0.1 functional block F: RequestStartTransaction (F01, F02),
RequestStopTransaction (F03), UnlockConnector (F05) and the start the UI asks for at the
station. TriggerMessage (F06) is remote_trigger.py's; its `send_triggered`, which the adapter
calls, is named here too.

Decisions are the pure functions at the top; the handlers answer at once and let the station
act afterwards (`station.spawn`), so the answer reaches the CSMS before the messages it causes.
The core keeps flat connector ids; 2.0.1 addresses an EVSE and a connector within it
(evses.EvseMap translates)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any, Final, Protocol

from simulator.station.core.errors import NotAuthorized, TransactionError
from simulator.station.core.model import ConnectorState
from simulator.station.core.remote_starts import RemoteStart, RemoteStarts
from simulator.station.core.tokens import IdToken, TokenStatus, Verdict
from simulator.station.core.tx_ports import StopReason
from simulator.station.ocpp201.dialogue import registration_status
from simulator.station.ocpp201.evses import EvseMap
from simulator.station.ocpp201.ports import WithVariables
from simulator.station.ocpp201.remote_trigger import send_triggered
from simulator.station.ports import (
    PlugsView,
    ReservationsView,
    Services,
    SmartChargingView,
    StatusChanger,
    WithConnectors,
    WithSpec,
    WithTemplate,
)
from simulator.station.rpc import CallFailed, ConnectionLost

ACCEPTED: Final = "Accepted"
REJECTED: Final = "Rejected"
OPERATIVE: Final = "Operative"
TX_PROFILE: Final = "TxProfile"
NO_AUTHORIZATION: Final = "NoAuthorization"  # IdTokenEnumType: nothing to authorize (C02)
# Appendix 5 reason codes of the refusals.
CS_NOT_ACCEPTED: Final = "CSNotAccepted"
UNKNOWN_EVSE: Final = "UnknownEvse"
TX_IN_PROGRESS: Final = "TxInProgress"
INVALID_PROFILE: Final = "InvalidProfile"
UNKNOWN_TX_ID: Final = "UnknownTxId"
# A lock that does not open: the core's connector error a user sets from the UI.
LOCK_FAILURE: Final = "ConnectorLockFailure"

# What a start or stop the station attempts may raise: the connector's state refusing it, the
# CSMS not answering or refusing the call.
FAILURES: tuple[type[Exception], ...] = (TransactionError, TimeoutError, CallFailed, ConnectionLost)


class RemoteTransactions(Protocol):
    """The core's transactions as remote control uses them. 2.0.1 transaction ids are the
    station's own strings (E01.FR.08): `transaction_connector` takes one."""

    async def authorize(self, id_tag: str) -> bool: ...

    async def begin(
        self,
        connector_id: int,
        id_tag: str,
        *,
        remote_start_id: int | None = None,
        token_type: str | None = None,
    ) -> Verdict: ...

    async def stop(self, connector_id: int, reason: str = "Local") -> dict[str, Any] | None: ...

    def transaction_connector(self, transaction_id: str) -> int | None: ...


class RemoteControlStation(
    Services, WithVariables, WithTemplate, WithSpec, WithConnectors, StatusChanger, Protocol
):
    """What RequestStart/StopTransaction, UnlockConnector and the local start use."""

    @property
    def pending(self) -> bool:
        """The CSMS's last answer to the boot was Pending (B02)."""

    @property
    def boot_response(self) -> dict[str, Any] | None: ...

    @property
    def reservations(self) -> ReservationsView: ...

    @property
    def plugs(self) -> PlugsView: ...

    @property
    def smart_charging(self) -> SmartChargingView: ...

    @property
    def transactions(self) -> RemoteTransactions: ...

    @property
    def remote_starts(self) -> RemoteStarts:
        """The remote starts whose transaction is on its way (core/remote_starts.py): a
        second request for the same connector is refused meanwhile."""

    def connectors_changed(self) -> None: ...


# -- decisions ---------------------------------------------------------------------------------


def refused(status: str, reason: str | None = None) -> dict[str, Any]:
    """A response of `status` with, when known, the Appendix 5 reason code in statusInfo."""
    response: dict[str, Any] = {"status": status}
    if reason is not None:
        response["statusInfo"] = {"reasonCode": reason}
    return response


def remote_start_authorizes(authorize_remote_start: bool, must_authorize: bool, kind: str) -> bool:
    """Does an Authorize precede a remote start? AuthCtrlr.AuthorizeRemoteStart says so
    (F01.FR.01/02, F02.FR.09/10); a template with mustAuthorizeAtRemoteStart false models a
    station that never authorizes remote starts, whatever the variable says; a NoAuthorization
    token has nothing to authorize (C02)."""
    return authorize_remote_start and must_authorize and kind != NO_AUTHORIZATION


def is_free(connector: ConnectorState) -> bool:
    """A connector a transaction may start on now: Operative, no transaction, neither
    Unavailable nor Faulted (F01.FR.23/24); when Reserved, for the reservation's token only,
    which the station's reservations decide (F01.FR.21/22)."""
    return (
        connector.availability == OPERATIVE
        and not connector.transaction_started
        and connector.status in ("Available", "Preparing", "Reserved")
    )


def start_candidates(
    connectors: dict[int, ConnectorState], requested: Sequence[int] | None
) -> list[int]:
    """The flat connectors a RequestStartTransaction may start on, in order of preference:
    those of the requested EVSE (`requested`: its connectors), else of any EVSE (F01.FR.20),
    that are free; one with the EV's cable already in first (F01: cable plugged in first). None
    while the station (connector 0) is Inoperative."""
    station = connectors.get(0)
    if station is not None and station.availability != OPERATIVE:
        return []
    ids = sorted(cid for cid in connectors if cid > 0) if requested is None else requested
    free = [cid for cid in ids if cid in connectors and cid > 0 and is_free(connectors[cid])]
    return sorted(free, key=lambda cid: not connectors[cid].plugged)


def no_connector_reason(
    connectors: dict[int, ConnectorState], requested: Iterable[int]
) -> str | None:
    """The reason code of a refused start on these connectors: TxInProgress when one runs a
    transaction (F01.FR.24), else none given."""
    busy = any(connectors[cid].transaction_started for cid in requested if cid in connectors)
    return TX_IN_PROGRESS if busy else None


def profile_refusal(profile: dict[str, Any]) -> str | None:
    """Why a RequestStartTransaction's chargingProfile cannot be the transaction's: it must be
    a TxProfile (F01.FR.09) without a transactionId (F01.FR.11), else InvalidProfile
    (F01.FR.26)."""
    if profile.get("chargingProfilePurpose") != TX_PROFILE or "transactionId" in profile:
        return INVALID_PROFILE
    return None


def unlock_answer(connector: ConnectorState | None) -> str:
    """UnlockConnectorResponse's status: UnknownConnector for a connector the station does not
    have (F05.FR.03); OngoingAuthorizedTransaction while an authorized transaction runs on it,
    which the station neither stops nor unlocks (F05.FR.02); UnlockFailed while the connector
    reports a lock failure (F05.FR.05); else Unlocked, cable or not (F05.FR.04/06)."""
    if connector is None:
        return "UnknownConnector"
    if connector.transaction_started and connector.transaction_id_tag is not None:
        return "OngoingAuthorizedTransaction"
    if connector.error_code == LOCK_FAILURE:
        return "UnlockFailed"
    return "Unlocked"


# -- RequestStartTransaction (F01, F02) --------------------------------------------------------


async def request_start_transaction(
    station: RemoteControlStation, payload: dict[str, Any]
) -> dict[str, Any]:
    """Rejected while the boot is Pending (B02.FR.05), for an EVSE the station does not have,
    when no connector of the EVSE (or of the station, without evseId: F01.FR.20) is free or
    reserved for this token (F01.FR.21-24), or for a chargingProfile that cannot be the
    transaction's (F01.FR.09/11/26; ignored without smart charging, F01.FR.12). Else Accepted:
    the remoteStartId waits for the connector's next TransactionEvent (F02.FR.01/21), and the
    transaction starts for the token (F01.FR.04), authorized first when
    `remote_start_authorizes` (F01.FR.01/02)."""
    if station.pending:
        return refused(REJECTED, CS_NOT_ACCEPTED)
    evse_id = payload.get("evseId")
    requested = None if evse_id is None else EvseMap(station.spec.evses).connectors_of(evse_id)
    if requested is not None and not requested:
        return refused(REJECTED, UNKNOWN_EVSE)
    token = IdToken(payload["idToken"]["idToken"], payload["idToken"]["type"])
    admits = _admits(station, token.value)
    candidates = start_candidates(station.connectors, requested)
    connector_id = next((c for c in candidates if admits(c)), None)
    if connector_id is None:
        ids = requested if requested is not None else sorted(station.connectors)
        return refused(REJECTED, no_connector_reason(station.connectors, ids))
    profile = payload.get("chargingProfile")
    if profile is not None and station.smart_charging.supported():
        reason = profile_refusal(profile)
        if reason is None:
            status = station.smart_charging.install_tx_profile(connector_id, profile)
            reason = None if status.value == ACCEPTED else INVALID_PROFILE
        if reason is not None:
            return refused(REJECTED, reason)
    start = RemoteStart(payload["remoteStartId"], token)
    station.remote_starts.expect(connector_id, start)
    station.spawn(_remote_start(station, connector_id, start))
    return {"status": ACCEPTED}


def _admits(station: RemoteControlStation, id_tag: str) -> Callable[[int], bool]:
    """May `id_tag` start on the connector: no remote start holds it, and no reservation for
    another token (F01.FR.21/22; a reservation for the token ends with the start, H03.FR.09)."""

    def admits(connector_id: int) -> bool:
        if station.remote_starts.waiting(connector_id):
            return False
        try:
            station.reservations.for_start(connector_id, id_tag)
        except FAILURES:
            return False
        return True

    return admits


async def _remote_start(
    station: RemoteControlStation, connector_id: int, start: RemoteStart
) -> None:
    authorize = remote_start_authorizes(
        station.variables.boolean("AuthCtrlr", "AuthorizeRemoteStart", True),
        station.template.must_authorize_at_remote_start,
        start.token.type,
    )
    started = False
    try:
        await start_on_connector(
            station, connector_id, start.token, authorize=authorize, remote=start
        )
        started = True
    except FAILURES as exc:
        station.log.info("Remote start on connector {} failed: {}", connector_id, exc)
    finally:
        if not started:
            station.remote_starts.forget(connector_id, start)
            # The installed TxProfile belonged to the transaction that did not start.
            station.smart_charging.transaction_ended(connector_id)


async def start_on_connector(
    station: RemoteControlStation,
    connector_id: int,
    token: IdToken,
    *,
    authorize: bool,
    remote: RemoteStart | None = None,
) -> Verdict:
    """A start on the station (a remote start, the UI's startTransaction): the connector goes
    Preparing (Occupied on the wire), the token is authorized when `authorize`, then the
    transaction begins; the CSMS's verdict on its Started event (status None: started offline).
    Raises NotAuthorized for a token that may not start, and FAILURES; a start that did not
    happen leaves the connector to `EvPlugs.start_abandoned`."""
    connector = station.connectors.get(connector_id)
    if connector is None or connector_id == 0:
        raise TransactionError(f"no connector {connector_id}")
    if connector.transaction_started:
        raise TransactionError(f"connector {connector_id} already has a transaction")
    # Before Preparing: a connector held for another token stays Reserved.
    station.reservations.for_start(connector_id, token.value)
    station.plugs.disarm_preparing_timeout(connector_id)  # a start is under way
    started = False
    try:
        await station.change_status(connector_id, "Preparing")
        if authorize and not await station.transactions.authorize(token.value):
            raise NotAuthorized(f"idToken {token.value} not authorized")
        if remote is not None:
            # The Started event (or the next event of a running transaction) carries it.
            station.remote_starts.take(connector_id)
        verdict = await station.transactions.begin(
            connector_id,
            token.value,
            remote_start_id=remote.remote_start_id if remote is not None else None,
            token_type=token.type,
        )
        started = True
        return verdict
    finally:
        if not started:
            await station.plugs.start_abandoned(connector_id)


async def start_local(station: RemoteControlStation, connector_id: int, token: IdToken) -> Verdict:
    """The UI's startTransaction: Preparing, Authorize (C01), then the transaction, by the path
    remote starts take. Its Verdict (status None: started offline, its Started event waits in
    the queue); raises NotAuthorized when the authorization or the CSMS's answer to the Started
    event refused the token."""
    if registration_status(station.boot_response) != ACCEPTED and not station.variables.boolean(
        "TxCtrlr", "TxBeforeAcceptedEnabled", False
    ):
        # B02.FR.03: only a station configured for it starts transactions before its boot is
        # accepted (their events would wait for an acceptance that may never come).
        raise TransactionError("the CSMS has not accepted the station (TxBeforeAcceptedEnabled)")
    verdict = await start_on_connector(station, connector_id, token, authorize=True)
    if verdict.status not in (None, TokenStatus.ACCEPTED):
        raise NotAuthorized(f"TransactionEvent: {verdict.status}")
    return verdict


# -- RequestStopTransaction (F03) --------------------------------------------------------------


async def request_stop_transaction(
    station: RemoteControlStation, payload: dict[str, Any]
) -> dict[str, Any]:
    """Rejected while the boot is Pending (B02.FR.05) or for a transaction the station does
    not run (F03.FR.08); else Accepted (F03.FR.07) and the transaction stops with reason Remote
    (triggerReason RemoteStop, stoppedReason Remote: F03.FR.03)."""
    if station.pending:
        return refused(REJECTED, CS_NOT_ACCEPTED)
    connector_id = station.transactions.transaction_connector(payload["transactionId"])
    if connector_id is None:
        return refused(REJECTED, UNKNOWN_TX_ID)
    station.spawn(_remote_stop(station, connector_id))
    return {"status": ACCEPTED}


async def _remote_stop(station: RemoteControlStation, connector_id: int) -> None:
    try:
        await station.transactions.stop(connector_id, StopReason.REMOTE)
    except FAILURES as exc:  # stopped meanwhile by something else
        station.log.debug("Remote stop on connector {}: {}", connector_id, exc)


# -- UnlockConnector (F05) ---------------------------------------------------------------------


async def unlock_connector(
    station: RemoteControlStation, payload: dict[str, Any]
) -> dict[str, Any]:
    """F05.FR.01: the answer per `unlock_answer`; Unlocked opens the connector's lock."""
    flat_id = EvseMap(station.spec.evses).flat_id(payload["evseId"], payload["connectorId"])
    connector = None if flat_id is None else station.connectors.get(flat_id)
    answer = unlock_answer(connector)
    if answer == "Unlocked" and connector is not None:
        connector.locked = False
        station.persist()
        station.connectors_changed()
    return {"status": answer}


__all__ = [
    "FAILURES",
    "RemoteControlStation",
    "RemoteTransactions",
    "is_free",
    "no_connector_reason",
    "profile_refusal",
    "refused",
    "remote_start_authorizes",
    "request_start_transaction",
    "request_stop_transaction",
    "send_triggered",
    "start_candidates",
    "start_local",
    "start_on_connector",
    "unlock_answer",
    "unlock_connector",
]
