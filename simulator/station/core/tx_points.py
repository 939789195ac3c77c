"""Which of the core's events start or end a transaction whose version configures its points
(2.0.1 TxStartPoint / TxStopPoint, Part 2 E01, E06): pure decisions over the point sets.

The core knows four moments: an EV plugged in, an EV gone, an authorization given and one
ended (a stop asked at the station, by the CSMS, or a token the CSMS refused). Charging begins
when the EV is connected and authorized, so PowerPathClosed, Authorized and EnergyTransfer all
start a transaction at the authorization (a start without plug models a driver who plugged
in without telling the model); EVConnected starts it at the plug. A parking-bay detector and a
signing meter the core does not have: ParkingBayOccupancy and DataSigned never happen.

`TransactionPoints` is the 2.0.1 half of `Transactions` (a mixin, transactions.py): the
transaction opened at the plug, its later authorization, an authorization that ends before the
transaction, and the events of each change of charging state (E02.FR.13).
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from simulator.station.clock import iso_timestamp
from simulator.station.core.model import ConnectorState
from simulator.station.core.tokens import IdToken, TokenStatus, Verdict
from simulator.station.core.tx_ports import (
    ChargeState,
    Outbox,
    Samples,
    StopReason,
    TxCause,
    TxEvent,
    TxKind,
    TxPoint,
    TxRules,
)
from simulator.station.ports import TransactionsHost

# The points the core's events reach (the rest never happen here).
SUPPORTED_POINTS = frozenset(
    {
        TxPoint.EV_CONNECTED,
        TxPoint.AUTHORIZED,
        TxPoint.POWER_PATH_CLOSED,
        TxPoint.ENERGY_TRANSFER,
    }
)
# Where the end of the authorization ends the energy, and so the transaction (E06.FR.03/04,
# FR.06, FR.07; E05.FR.09/10 and F03.FR.02/03 name the same three).
_AUTHORIZATION_POINTS = frozenset(
    {TxPoint.AUTHORIZED, TxPoint.POWER_PATH_CLOSED, TxPoint.ENERGY_TRANSFER}
)
# Where a lost EV ends the transaction (E06.FR.02, FR.06, FR.07: no EV, no energy).
_CONNECTION_POINTS = frozenset(
    {TxPoint.EV_CONNECTED, TxPoint.POWER_PATH_CLOSED, TxPoint.ENERGY_TRANSFER}
)
# What ends an authorization rather than the transaction itself: a driver's stop, the CSMS's
# RequestStopTransaction, a refused token. A reset, a power loss or a fault ends it anyway.
AUTHORIZATION_ENDS = frozenset({StopReason.LOCAL, StopReason.REMOTE, StopReason.DE_AUTHORIZED})


def starts_on_plug(start_points: Collection[TxPoint]) -> bool:
    """E01.FR.02: a transaction starts when the EV connects."""
    return TxPoint.EV_CONNECTED in start_points


def ends_on_deauthorization(stop_points: Collection[TxPoint]) -> bool:
    """The end of the authorization ends the transaction (Ended), else only the energy
    (Updated, the transaction waits for its other stop points)."""
    return not _AUTHORIZATION_POINTS.isdisjoint(stop_points)


def ends_on_unplug(stop_points: Collection[TxPoint], *, stop_on_ev_side: bool) -> bool:
    """The EV's cable leaving ends the transaction: a connection stop point says so
    (E06.FR.02/06/07), or StopTxOnEVSideDisconnect deauthorizes it (E09.FR.01) where the
    end of the authorization ends it; else it stays open, suspended (E10)."""
    if not _CONNECTION_POINTS.isdisjoint(stop_points):
        return True
    return stop_on_ev_side and ends_on_deauthorization(stop_points)


def stop_ends_transaction(reason: StopReason, stop_points: Collection[TxPoint]) -> bool:
    """A stop for `reason` ends the transaction, or only its authorization."""
    return reason not in AUTHORIZATION_ENDS or ends_on_deauthorization(stop_points)


class TransactionPoints:
    """The 2.0.1 half of `Transactions`: what it reads of its host, declared here."""

    station: TransactionsHost
    outbox: Outbox
    rules: TxRules | None
    _stopping: set[int]
    _suspended: set[int]
    _unauthorized: set[int]
    _token_types: dict[int, str]

    # Transactions' own, which these steps share with its 1.6 ones.
    def _connector(self, connector_id: int) -> ConnectorState:
        raise NotImplementedError

    def _open(
        self, connector: ConnectorState, id_tag: str | None, token_type: str | None
    ) -> tuple[int, str, dict[str, Any]]:
        raise NotImplementedError

    def _started_samples(self, connector: ConnectorState, timestamp: str) -> Samples | None:
        raise NotImplementedError

    def _undo_start(self, connector: ConnectorState, ref: int) -> None:
        raise NotImplementedError

    def _start_sampling(self, connector_id: int, ref: int) -> None:
        raise NotImplementedError

    def _token(self, connector: ConnectorState) -> IdToken | None:
        raise NotImplementedError

    def _answered(self, connector: ConnectorState, verdict: Verdict) -> None:
        raise NotImplementedError

    async def _not_accepted(self, connector_id: int) -> None:
        raise NotImplementedError

    async def _end(
        self, connector: ConnectorState, reason: StopReason, cause: TxCause
    ) -> dict[str, Any] | None:
        raise NotImplementedError

    def _bring_meter_to_now(self, connector_id: int) -> None:
        raise NotImplementedError

    async def ev_changed(self, connector_id: int, plugged: bool) -> None:
        """The EV connected (`plugged`) or left, as the EV plugs saw it: with TxRules, a
        transaction starts at EVConnected (E01.FR.02) or hears of its EV (CablePluggedIn,
        EVCommunicationLost: E02.FR.13, E10). Without, nothing to say: 1.6 has no such event."""
        rules = self.rules
        if rules is None:
            return
        connector = self._connector(connector_id)
        if not connector.transaction_started:
            if (
                plugged
                and starts_on_plug(rules.start_points())
                and connector.availability == "Operative"
                and self.outbox.can_start()
            ):
                await self._open_on_plug(connector)
            return
        if connector_id in self._stopping:
            return
        if not plugged:
            state = ChargeState.IDLE
        elif connector_id in self._unauthorized:
            state = ChargeState.EV_CONNECTED
        elif connector.status == "SuspendedEVSE":
            state = ChargeState.SUSPENDED_EVSE
        else:
            state = ChargeState.CHARGING
        cause = TxCause.EV_PLUGGED if plugged else TxCause.EV_UNPLUGGED
        await self._state_event(connector, cause, state)

    async def _open_on_plug(self, connector: ConnectorState) -> None:
        """E01.FR.02: the transaction of an EV that connected, no driver known yet; no energy
        until an authorization (`begin`) comes."""
        connector_id = connector.connector_id
        outbox = self.outbox
        ref, timestamp, _ = self._open(connector, None, None)
        self._unauthorized.add(connector_id)
        self.station.smart_charging.transaction_started(connector_id)
        self.station.connectors_changed()
        try:
            await outbox.transaction(
                TxEvent(
                    TxKind.STARTED,
                    ref,
                    connector_id,
                    timestamp,
                    TxCause.EV_PLUGGED,
                    not outbox.online(),
                    meter_wh=connector.meter_start,
                    samples=self._started_samples(connector, timestamp),
                    state=ChargeState.EV_CONNECTED,
                )
            )
        except BaseException:
            self._undo_start(connector, ref)
            raise
        if connector.transaction_ref == ref:
            self._start_sampling(connector_id, ref)

    async def _authorize_open(
        self,
        connector_id: int,
        id_tag: str,
        remote_start_id: int | None,
        token_type: str | None,
    ) -> Verdict:
        """An authorization for a transaction open without one (E02: Updated, Authorized or
        RemoteStart, with the idToken): charging begins; its answer is a start's."""
        station = self.station
        connector = station.connectors[connector_id]
        ref = connector.transaction_ref
        assert ref is not None
        reservation = station.reservations.for_start(connector_id, id_tag)
        self._bring_meter_to_now(connector_id)  # so far drawn without energy
        self._unauthorized.discard(connector_id)
        self._suspended.discard(connector_id)
        connector.transaction_id_tag = id_tag
        self._token_types.pop(connector_id, None)
        if token_type is not None:
            self._token_types[connector_id] = token_type
        if reservation is not None:
            station.reservations.used(reservation)
        verdict = await self._state_event(
            connector,
            TxCause.AUTHORIZED if remote_start_id is None else TxCause.REMOTE_START,
            ChargeState.CHARGING,
            token=self._token(connector),
            reservation_id=reservation.id if reservation is not None else None,
            remote_start_id=remote_start_id,
        )
        if connector.transaction_ref != ref:
            return verdict  # ended meanwhile
        if verdict.status is not None:
            self._answered(connector, verdict)
            if verdict.status is not TokenStatus.ACCEPTED:
                await self._not_accepted(connector_id)
                return verdict
        connector.status = "Charging"
        station.connectors_changed()
        await self.outbox.connector_changed(connector_id)
        return verdict

    async def _end_authorization(
        self, connector: ConnectorState, reason: StopReason
    ) -> dict[str, Any] | None:
        """The authorization ends, the transaction not (E07 alternative, E05.FR.09,
        F03.FR.02): the energy stops, the EV stays connected until it leaves. A driver's stop
        carries the token (E07.FR.02). An EV that was never plugged in (the ATG, a start
        without plugConnector) leaves with its driver: the transaction ends there."""
        connector_id = connector.connector_id
        ref = connector.transaction_ref
        self._bring_meter_to_now(connector_id)
        self._unauthorized.add(connector_id)
        connector.status = "SuspendedEVSE"
        self.station.connectors_changed()
        verdict = await self._state_event(
            connector,
            TxCause.AUTHORIZATION_ENDED,
            ChargeState.EV_CONNECTED,
            token=self._token(connector) if reason is StopReason.LOCAL else None,
            reason=reason,
        )
        await self.outbox.connector_changed(connector_id)
        if (
            not connector.plugged
            and connector.transaction_ref == ref
            and connector_id not in self._stopping
        ):
            return await self._end(connector, reason, TxCause.EV_UNPLUGGED)
        reply = verdict.reply
        return reply if reply is None or isinstance(reply, dict) else dict(reply)

    async def _state_event(
        self,
        connector: ConnectorState,
        cause: TxCause,
        state: ChargeState,
        *,
        token: IdToken | None = None,
        reason: StopReason | None = None,
        reservation_id: int | None = None,
        remote_start_id: int | None = None,
    ) -> Verdict:
        """An Updated event of the connector's transaction for a change that is no meter
        value; answered when it carries a token."""
        ref = connector.transaction_ref
        assert ref is not None
        outbox = self.outbox
        return await outbox.transaction(
            TxEvent(
                TxKind.UPDATED,
                ref,
                connector.connector_id,
                iso_timestamp(self.station.clock.now()),
                cause,
                not outbox.online(),
                token,
                reason=reason,
                reservation_id=reservation_id,
                state=state,
                remote_start_id=remote_start_id,
            )
        )


__all__ = [
    "AUTHORIZATION_ENDS",
    "SUPPORTED_POINTS",
    "TransactionPoints",
    "ends_on_deauthorization",
    "ends_on_unplug",
    "starts_on_plug",
    "stop_ends_transaction",
]
