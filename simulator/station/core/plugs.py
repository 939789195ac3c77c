"""evsim's EV plug model (OCPP 1.6 sections 4.9, 4.10, 9.1): a cable plugged into a connector
or unplugged at the EV side, and the Preparing timeout of ConnectionTimeOut (section 9.1.6,
errata 3.21 and 3.77).

The decision about an unplug is a pure function; `EvPlugs` applies the decisions to one
station: its statuses, its transaction, its lock and the Preparing timers on its clock. The
keys that shape them come through `PlugSettings`, read at each use.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from enum import Enum
from typing import Any, Protocol

from simulator.station.core.model import ConnectorState
from simulator.station.core.services import Services


class PlugSettings(Protocol):
    """The station's configuration as the EV plugs read it (the 1.6 key each reads)."""

    def stop_on_ev_side_disconnect(self) -> bool: ...  # StopTransactionOnEVSideDisconnect

    def unlock_on_ev_side_disconnect(self) -> bool: ...  # UnlockConnectorOnEVSideDisconnect

    def connection_timeout(self) -> int:  # ConnectionTimeOut
        """Seconds a Preparing connector waits for a transaction; 0: no timeout."""
        ...


class PlugTransactions(Protocol):
    async def stop(self, connector_id: int, reason: str = "Local") -> object: ...

    def suspend(self, connector_id: int) -> None: ...

    def resume(self, connector_id: int) -> None: ...

    async def ev_changed(self, connector_id: int, plugged: bool) -> None:
        """The EV connected or left: the transactions' own events of it (2.0.1's)."""
        ...


class HeldConnector(Protocol):
    @property
    def connector_id(self) -> int: ...


class HeldConnectors(Protocol):
    @property
    def active(self) -> Mapping[int, HeldConnector]: ...


class PlugsHost(Services, Protocol):
    """What the EV plugs need of their station."""

    @property
    def connectors(self) -> dict[int, ConnectorState]: ...

    @property
    def transactions(self) -> PlugTransactions: ...

    @property
    def reservations(self) -> HeldConnectors: ...

    async def change_status(self, connector_id: int, status: str) -> bool: ...

    def connectors_changed(self) -> None: ...


class PlugError(Exception):
    """A plug or unplug the connector's state does not allow."""


class Unplugged(Enum):
    """What an EV-side disconnect does to the connector's transaction (section 4.10)."""

    NO_TRANSACTION = "no transaction"
    STOP = "stop"  # StopTransactionOnEVSideDisconnect true: reason EVDisconnected
    SUSPEND = "suspend"  # false: the transaction stays open, SuspendedEV, no energy


def unplug_effect(
    transaction_started: bool, *, stop_on_ev_side: bool, unlock_on_ev_side: bool
) -> tuple[Unplugged, bool]:
    """What an EV-side disconnect does, and whether the connector unlocks. Section 4.10: a
    transaction kept open keeps its cable locked whatever UnlockConnectorOnEVSideDisconnect
    says; one that stops unlocks it when that key is true. Without a transaction the lock is
    the user's business (lockConnector / unlockConnector)."""
    if not transaction_started:
        return Unplugged.NO_TRANSACTION, False
    if stop_on_ev_side:
        return Unplugged.STOP, unlock_on_ev_side
    return Unplugged.SUSPEND, False


class EvPlugs:
    """The EV plugs of one station's connectors."""

    def __init__(self, station: PlugsHost, settings: PlugSettings) -> None:
        self.station = station
        self.settings = settings
        # Connectors whose EV left a transaction kept open: its id, and whether the EVSE had
        # suspended it already (SuspendedEVSE, an invalid idTag), which the EV's return keeps.
        self._left: dict[int, tuple[int | str | None, bool]] = {}
        self._timers: dict[int, asyncio.Task[Any]] = {}

    def _connector(self, connector_id: int) -> ConnectorState:
        connector = self.station.connectors.get(connector_id)
        if connector is None or connector_id == 0:
            raise PlugError(f"no connector {connector_id}")
        return connector

    def _ev_left(self, connector: ConnectorState) -> bool:
        left = self._left.get(connector.connector_id)
        return (
            left is not None
            and connector.transaction_started
            and left[0] == connector.transaction_id
        )

    def ev_plugged(self, connector_id: int) -> bool:
        """plugConnector said so, or a transaction runs whose EV did not leave: the ATG, a
        remote or a local start model a driver who plugged in without telling the model."""
        connector = self._connector(connector_id)
        return connector.plugged or (connector.transaction_started and not self._ev_left(connector))

    # -- plug and unplug --------------------------------------------------------------------

    async def plug(self, connector_id: int) -> None:
        """An idle connector goes Preparing (section 4.9 A2) until a transaction starts or
        ConnectionTimeOut passes; a Reserved one stays Reserved until its idTag comes; a
        transaction the EV had left draws energy again (section 4.10)."""
        connector = self._connector(connector_id)
        if self.ev_plugged(connector_id):
            raise PlugError(f"an EV is plugged into connector {connector_id} already")
        connector.plugged = True
        self.station.connectors_changed()
        transactions = self.station.transactions
        if self._ev_left(connector):
            _, evse_suspended = self._left.pop(connector_id)
            if evse_suspended:
                await self.station.change_status(connector_id, "SuspendedEVSE")
            else:
                transactions.resume(connector_id)
                await self.station.change_status(connector_id, "Charging")
            await transactions.ev_changed(connector_id, True)
            return
        self._left.pop(connector_id, None)
        idle = not connector.transaction_started and connector.availability == "Operative"
        if (
            idle
            and connector.status == "Available"
            and await self.station.change_status(connector_id, "Preparing")
        ):
            self.arm_preparing_timeout(connector_id)
        await transactions.ev_changed(connector_id, True)

    async def unplug(self, connector_id: int) -> None:
        """The cable leaves the EV: a Preparing connector without transaction is Available
        again (section 4.9 B1); a transaction stops with reason EVDisconnected or stays open
        SuspendedEV, as StopTransactionOnEVSideDisconnect says (sections 4.10, 9.1.23), and
        the connector unlocks per `unplug_effect`."""
        connector = self._connector(connector_id)
        if not self.ev_plugged(connector_id):
            raise PlugError(f"no EV plugged into connector {connector_id}")
        connector.plugged = False
        self.station.connectors_changed()
        effect, unlock = unplug_effect(
            connector.transaction_started,
            stop_on_ev_side=self.settings.stop_on_ev_side_disconnect(),
            unlock_on_ev_side=self.settings.unlock_on_ev_side_disconnect(),
        )
        if effect is Unplugged.NO_TRANSACTION:
            self.disarm_preparing_timeout(connector_id)
            if connector.status == "Preparing":
                await self.release(connector_id)
            return
        if effect is Unplugged.STOP:
            await self.station.transactions.stop(connector_id, "EVDisconnected")
            if unlock:
                connector.locked = False
                self.station.connectors_changed()
                self.station.persist()
            return
        evse_suspended = connector.status == "SuspendedEVSE"
        self._left[connector_id] = (connector.transaction_id, evse_suspended)
        if not evse_suspended:
            self.station.transactions.suspend(connector_id)
        await self.station.change_status(connector_id, "SuspendedEV")
        await self.station.transactions.ev_changed(connector_id, False)

    # -- Preparing ----------------------------------------------------------------------------

    def arm_preparing_timeout(self, connector_id: int) -> None:
        """Section 9.1.6: ConnectionTimeOut seconds from now (0: no timeout), the Preparing
        connector goes back to where it was unless a transaction started meanwhile."""
        self.disarm_preparing_timeout(connector_id)
        seconds = self.settings.connection_timeout()
        if seconds > 0:
            self._timers[connector_id] = self.station.spawn(self._time_out(connector_id, seconds))

    def disarm_preparing_timeout(self, connector_id: int) -> None:
        timer = self._timers.pop(connector_id, None)
        if timer is not None and timer is not asyncio.current_task():
            timer.cancel()

    async def _time_out(self, connector_id: int, seconds: int) -> None:
        await self.station.clock.sleep(seconds)
        self._timers.pop(connector_id, None)
        connector = self.station.connectors[connector_id]
        if connector.status == "Preparing" and not connector.transaction_started:
            self.station.log.info(
                "Connector {}: no transaction within ConnectionTimeOut ({} s)",
                connector_id,
                seconds,
            )
            await self.release(connector_id)

    async def start_abandoned(self, connector_id: int) -> None:
        """A start that went Preparing did not start (not authorized, refused, failed): with
        an EV plugged the connector waits for another idTag until ConnectionTimeOut; without
        one it goes back at once."""
        connector = self.station.connectors[connector_id]
        if connector.status != "Preparing" or connector.transaction_started:
            return
        if connector.plugged and connector.availability == "Operative":
            self.arm_preparing_timeout(connector_id)
        else:
            await self.release(connector_id)

    async def release(self, connector_id: int) -> None:
        """A Preparing connector without transaction goes back (section 4.9 B1, B6):
        Available, then Unavailable when made Inoperative meanwhile (Preparing -> Unavailable
        is no transition, A8 is) or Reserved when a reservation still holds it (A7)."""
        self.disarm_preparing_timeout(connector_id)
        station = self.station
        connector = station.connectors[connector_id]
        if connector.status != "Preparing":
            return
        await station.change_status(connector_id, "Available")
        if connector.availability != "Operative":
            await station.change_status(connector_id, "Unavailable")
        elif any(r.connector_id == connector_id for r in station.reservations.active.values()):
            await station.change_status(connector_id, "Reserved")


__all__ = ["EvPlugs", "PlugError", "PlugSettings", "PlugsHost", "Unplugged", "unplug_effect"]
