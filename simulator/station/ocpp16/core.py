"""Core profile handlers (OCPP 1.6 section 5): configuration, cache, data transfer,
availability, remote start and stop, reset and unlock.

Decisions are the pure functions at the top; the handlers answer at once and let the station
act afterwards (`station.spawn`), so the answer reaches the CSMS before the messages it causes.
"""

from __future__ import annotations

from typing import Any

from simulator.station.connector_status import report_error
from simulator.station.core.errors import NotAuthorized, TransactionError
from simulator.station.core.model import ConnectorState
from simulator.station.core.tokens import IdToken, TokenStatus, Verdict
from simulator.station.frames import ErrorCode, OcppError
from simulator.station.ocpp16.answers import start_refusal
from simulator.station.ocpp16.ports import CoreStation
from simulator.station.rpc import CallFailed, ConnectionLost

TX_PROFILE = "TxProfile"
# A vendor configuration key (evsim's rule for UnlockConnector, section 5.18): "false" for a
# station whose connectors have no lock (fixed cables): NotSupported.
CONNECTOR_LOCK_KEY = "ConnectorLockSupported"
DEFAULT_GET_CONFIGURATION_MAX_KEYS = 100


# What a start or stop the station attempts may raise: the connector's state refusing it, the
# CSMS not answering or refusing the call.
FAILURES: tuple[type[Exception], ...] = (TransactionError, TimeoutError, CallFailed, ConnectionLost)


# -- decisions ---------------------------------------------------------------------------------


def remote_start_authorizes(authorize_remote_tx_requests: bool, must_authorize: bool) -> bool:
    """Does an Authorize.req precede a remote start (section 5.11)? The CSMS asks for it with
    AuthorizeRemoteTxRequests; a template with mustAuthorizeAtRemoteStart false models a
    station that never authorizes remote starts, whatever the key says."""
    return authorize_remote_tx_requests and must_authorize


def is_free(connector: ConnectorState) -> bool:
    """A connector a transaction may start on now (when Reserved: for the reservation's
    idTag only, which the station's reservations decide)."""
    return (
        connector.availability == "Operative"
        and not connector.transaction_started
        and connector.status in ("Available", "Preparing", "Reserved")
    )


def remote_start_candidates(
    connectors: dict[int, ConnectorState], requested: int | None
) -> list[int]:
    """The connectors a RemoteStartTransaction.req may start on, in order of preference: the
    requested one when free, else (connectorId absent) every free one; none (Rejected) while
    the station (connector 0) is Inoperative."""
    station = connectors.get(0)
    if station is not None and station.availability != "Operative":
        return []
    if requested is not None:
        connector = connectors.get(requested)
        free = requested > 0 and connector is not None and is_free(connector)
        return [requested] if free else []
    return [cid for cid in sorted(connectors) if cid > 0 and is_free(connectors[cid])]


def availability_targets(connectors: dict[int, ConnectorState], connector_id: int) -> list[int]:
    """Connector 0 means the station and all its connectors (section 5.2)."""
    return sorted(connectors) if connector_id == 0 else [connector_id]


def availability_answer(
    connectors: dict[int, ConnectorState], targets: list[int], wanted: str
) -> str:
    """ChangeAvailability.conf's status: Scheduled when a target runs a transaction that a
    change to Inoperative must wait for; Accepted otherwise (already so included)."""
    if wanted == "Inoperative" and any(connectors[cid].transaction_started for cid in targets):
        return "Scheduled"
    return "Accepted"


def unlock_answer(connector: ConnectorState | None, lock_supported: bool) -> str:
    """UnlockConnector.conf's status (section 5.18): NotSupported without locks (or for a
    connector the station does not have), UnlockFailed while the connector reports a lock
    failure (errorCode ConnectorLockFailure), else Unlocked."""
    if connector is None or connector.connector_id == 0 or not lock_supported:
        return "NotSupported"
    if connector.error_code == "ConnectorLockFailure":
        return "UnlockFailed"
    return "Unlocked"


# -- configuration, cache, data transfer --------------------------------------------------------


async def get_configuration(station: CoreStation, payload: dict[str, Any]) -> dict[str, Any]:
    """Section 5.8: all visible keys, or the listed ones plus the unknown ones. A request for
    more keys than GetConfigurationMaxKeys is refused whole (OccurenceConstraintViolation):
    answering a part would look like a complete answer."""
    keys = payload.get("key")
    limit = station.configuration.get_int(
        "GetConfigurationMaxKeys", DEFAULT_GET_CONFIGURATION_MAX_KEYS
    )
    if keys and len(keys) > limit:
        raise OcppError(
            ErrorCode.OCCURENCE_CONSTRAINT_VIOLATION,
            f"{len(keys)} keys requested, GetConfigurationMaxKeys is {limit}",
        )
    known, unknown = station.configuration.visible(keys if keys else None)
    response: dict[str, Any] = {"configurationKey": known}
    if unknown:
        response["unknownKey"] = unknown
    return response


async def change_configuration(station: CoreStation, payload: dict[str, Any]) -> dict[str, Any]:
    """Section 5.3: Accepted, Rejected (readonly or invalid), RebootRequired or NotSupported."""
    status = station.configuration.change(payload["key"], payload["value"])
    station.configuration_changed(payload["key"])
    return {"status": status.value}


async def clear_cache(station: CoreStation, payload: dict[str, Any]) -> dict[str, Any]:
    """Section 5.4: the Authorization Cache is emptied (the local list stays)."""
    station.authorization.state.clear_cache()
    station.persist()
    return {"status": "Accepted"}


async def data_transfer(station: CoreStation, payload: dict[str, Any]) -> dict[str, Any]:
    """Section 5.6: a vendorId other than the station's chargePointVendor is unknown; evsim
    handles no vendor message, so a messageId is unknown too."""
    if payload["vendorId"] != station.template.charge_point_vendor:
        return {"status": "UnknownVendorId"}
    if payload.get("messageId") is not None:
        return {"status": "UnknownMessageId"}
    return {"status": "Accepted"}


# -- availability -------------------------------------------------------------------------------


async def change_availability(station: CoreStation, payload: dict[str, Any]) -> dict[str, Any]:
    """Section 5.2: Rejected for a connector the station does not have; Scheduled while a
    transaction runs on a target (applied when it ends); else Accepted, each changed connector
    reporting Unavailable / Available (section 4.9)."""
    connector_id = payload["connectorId"]
    wanted = payload["type"]
    if connector_id not in station.connectors:
        return {"status": "Rejected"}
    targets = availability_targets(station.connectors, connector_id)
    answer = availability_answer(station.connectors, targets, wanted)
    changed: list[int] = []
    for cid in targets:
        connector = station.connectors[cid]
        if wanted == "Inoperative" and connector.transaction_started:
            connector.scheduled_availability = wanted
            continue
        connector.scheduled_availability = None
        if connector.availability != wanted:
            connector.availability = wanted
            changed.append(cid)
    station.connectors_changed()
    station.persist()  # section 5.2: availability survives a reboot
    if changed:
        station.spawn(_report_availability(station, changed, wanted))
    return {"status": answer}


async def _report_availability(station: CoreStation, changed: list[int], wanted: str) -> None:
    status = "Unavailable" if wanted == "Inoperative" else "Available"
    for cid in changed:
        await station.change_status(cid, status)


# -- remote start and stop ----------------------------------------------------------------------


async def remote_start_transaction(station: CoreStation, payload: dict[str, Any]) -> dict[str, Any]:
    """Section 5.11 (errata 3.32: Accepted means the request is accepted, not the start):
    Rejected when no connector is free (or reserved for this idTag) or a chargingProfile is
    not a TxProfile the station can install; else the connector goes Preparing, Authorize
    precedes the start when `remote_start_authorizes`, and the transaction starts."""
    id_tag = payload["idTag"]
    candidates = remote_start_candidates(station.connectors, payload.get("connectorId"))
    connector_id = next((c for c in candidates if _reservation_admits(station, c, id_tag)), None)
    if connector_id is None:
        return {"status": "Rejected"}
    profile = payload.get("chargingProfile")
    if profile is not None:
        if profile.get("chargingProfilePurpose") != TX_PROFILE:
            return {"status": "Rejected"}
        if station.smart_charging.install_tx_profile(connector_id, profile).value != "Accepted":
            return {"status": "Rejected"}
    station.spawn(_remote_start(station, connector_id, id_tag))
    return {"status": "Accepted"}


def _reservation_admits(station: CoreStation, connector_id: int, id_tag: str) -> bool:
    """Section 5.13: a reserved connector (or the last ones a station-wide reservation
    holds) starts only for the reservation's idTag or parentIdTag."""
    try:
        station.reservations.for_start(connector_id, id_tag)
    except FAILURES:
        return False
    return True


async def _remote_start(station: CoreStation, connector_id: int, id_tag: str) -> None:
    authorize = remote_start_authorizes(
        (station.configuration.get("AuthorizeRemoteTxRequests") or "").lower() == "true",
        station.template.must_authorize_at_remote_start,
    )
    started = False
    try:
        await start_on_connector(station, connector_id, id_tag, authorize=authorize)
        started = True
    except FAILURES as exc:
        station.log.info("Remote start on connector {} failed: {}", connector_id, exc)
    finally:
        if not started:
            # The installed TxProfile belonged to the transaction that did not start.
            station.smart_charging.transaction_ended(connector_id)


async def start_on_connector(
    station: CoreStation, connector_id: int, id_tag: str, *, authorize: bool
) -> dict[str, Any] | None:
    """A start on the station (a remote start, the UI's startTransaction): the connector goes
    Preparing (section 4.9: Available or Reserved -> Preparing -> Charging, never Reserved ->
    Charging), Authorize.req when `authorize`, then StartTransaction.req; its response (None:
    started offline, see Transactions.start). Raises NotAuthorized for an idTag that may not
    start, and FAILURES; a start that did not happen leaves the connector to
    `EvPlugs.start_abandoned`."""
    connector = station.connectors.get(connector_id)
    if connector is None or connector_id == 0:
        raise TransactionError(f"no connector {connector_id}")
    if connector.transaction_started:
        raise TransactionError(f"connector {connector_id} already has a transaction")
    # Before Preparing: a connector held for another idTag stays Reserved (Preparing ->
    # Reserved is no section 4.9 transition).
    station.reservations.for_start(connector_id, id_tag)
    station.plugs.disarm_preparing_timeout(connector_id)  # a start is under way
    started = False
    try:
        await station.change_status(connector_id, "Preparing")
        if authorize and not await station.transactions.authorize(id_tag):
            raise NotAuthorized(f"idTag {id_tag} not authorized")
        response = await station.transactions.start(connector_id, id_tag)
        started = True
        return response
    finally:
        if not started:
            await station.plugs.start_abandoned(connector_id)


async def start_local(station: CoreStation, connector_id: int, token: IdToken) -> Verdict:
    """The UI's startTransaction (sections 4.1, 4.8, 4.9): Preparing, Authorize, then
    StartTransaction, by the path remote starts take. Its Verdict (status None: started
    offline, its StartTransaction waits in the queue); raises NotAuthorized when Authorize
    or the StartTransaction.conf refused the idTag ("StartTransaction: Invalid")."""
    response = await start_on_connector(station, connector_id, token.value, authorize=True)
    if response is None:
        return Verdict(None)
    refusal = start_refusal(response)
    if refusal is not None:
        raise NotAuthorized(refusal)
    return Verdict(TokenStatus.ACCEPTED, response)


async def remote_stop_transaction(station: CoreStation, payload: dict[str, Any]) -> dict[str, Any]:
    """Section 5.12: Rejected for a transaction the station does not run; else the transaction
    stops with reason Remote."""
    connector_id = station.transactions.transaction_connector(payload["transactionId"])
    if connector_id is None:
        return {"status": "Rejected"}
    station.spawn(_remote_stop(station, connector_id))
    return {"status": "Accepted"}


async def _remote_stop(station: CoreStation, connector_id: int) -> None:
    try:
        await station.transactions.stop(connector_id, "Remote")
    except FAILURES as exc:  # stopped meanwhile by something else
        station.log.debug("Remote stop on connector {}: {}", connector_id, exc)


# -- reset and unlock ---------------------------------------------------------------------------


async def reset(station: CoreStation, payload: dict[str, Any]) -> dict[str, Any]:
    """Section 5.14: Accepted (the station will attempt the reset); `reset_with_retries`
    follows the answer."""
    station.spawn(reset_with_retries(station, payload["type"]))
    return {"status": "Accepted"}


async def reset_with_retries(station: CoreStation, kind: str) -> None:
    """Section 5.14: the transactions stop first (reason SoftReset / HardReset); then the
    reset, retried up to ResetRetries times when it fails (section 9.1.22). The template's
    resetFailedAttempts makes its first attempts fail (failure injection: a simulated reset
    cannot fail otherwise). A reset that never succeeds is reported as errorCode ResetFailure
    on connector 0, and the station goes on online."""
    station.atg.stop()
    await station.transactions.stop_all(f"{kind}Reset")
    attempts = 1 + max(station.configuration.get_int("ResetRetries", 0), 0)
    failing = station.template.reset_failed_attempts
    for attempt in range(1, attempts + 1):
        if attempt > failing:
            await station.reset(kind)
            return
        station.log.warning("{} reset attempt {} of {} failed", kind, attempt, attempts)
    try:
        await report_error(station, "ResetFailure", f"{kind} reset failed {attempts} times")
    except FAILURES as exc:
        station.log.debug("ResetFailure not reported: {}", exc)


async def unlock_connector(station: CoreStation, payload: dict[str, Any]) -> dict[str, Any]:
    """Section 5.18: a transaction running on the connector ends first, reason UnlockCommand;
    the answer per `unlock_answer`."""
    connector_id = payload["connectorId"]
    connector = station.connectors.get(connector_id)
    lock_supported = (station.configuration.get(CONNECTOR_LOCK_KEY) or "true").lower() != "false"
    answer = unlock_answer(connector, lock_supported)
    if answer == "NotSupported" or connector is None:
        return {"status": answer}
    if connector.transaction_id is not None:
        try:
            await station.transactions.stop(connector_id, "UnlockCommand")
        except FAILURES as exc:
            station.log.debug("Unlock of connector {}: {}", connector_id, exc)
    if answer == "Unlocked":
        connector.locked = False
        station.persist()
        station.connectors_changed()
    return {"status": answer}
