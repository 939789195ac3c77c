"""The UI procedures that mean the same for a station of any OCPP version: its lifecycle and
connection, local transaction start and stop, the EV plug, connector locks, the automatic
transaction generator, a configuration key, the supervision URL. simulator/procedure_table.py
names them; the worker host runs them on each station a request names.

Each raises when the station could not do it or the CSMS refused, which the host reports as
that station's failure; the UI layer has validated the payload already.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Iterable
from typing import Any, Protocol

from simulator.station.core.errors import NotAuthorized
from simulator.station.core.tokens import IdToken, Verdict
from simulator.station.keystore import ChangeStatus
from simulator.station.ports import Configured, GeneratorView, PlugsView, TransactionControl

# What a change of a key the station took looks like: applied now, or at the next reboot.
_APPLIED = frozenset({ChangeStatus.ACCEPTED, ChangeStatus.REBOOT_REQUIRED})


class Refused(Exception):
    """The station or the CSMS answered, but not with what the procedure asked for."""


class EvPlugControl(PlugsView, Protocol):
    async def plug(self, connector_id: int) -> None: ...

    async def unplug(self, connector_id: int) -> None: ...


class GeneratorControl(GeneratorView, Protocol):
    def start(self, connector_ids: Iterable[int] | None = None) -> None: ...


class IntentStation(Configured, Protocol):
    """What the intents use of a station, in any OCPP version."""

    @property
    def transactions(self) -> TransactionControl: ...

    @property
    def plugs(self) -> EvPlugControl: ...

    @property
    def atg(self) -> GeneratorControl: ...

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def open_connection(self) -> None: ...

    async def close_connection(self) -> None: ...

    def set_supervision_url(self, url: str) -> None: ...

    def set_connector_locked(self, connector_id: int, locked: bool) -> None: ...

    def configuration_changed(self, key: str) -> None: ...

    async def start_local(self, connector_id: int, token: IdToken) -> Verdict:
        """A start asked at the station, by its version's path; raises NotAuthorized when the
        token may not start."""


Intent = Callable[[IntentStation, dict[str, Any]], Coroutine[Any, Any, None]]


async def start_station(station: IntentStation, payload: dict[str, Any]) -> None:
    await station.start()


async def stop_station(station: IntentStation, payload: dict[str, Any]) -> None:
    await station.stop()


async def open_connection(station: IntentStation, payload: dict[str, Any]) -> None:
    await station.open_connection()


async def close_connection(station: IntentStation, payload: dict[str, Any]) -> None:
    await station.close_connection()


async def start_transaction(station: IntentStation, payload: dict[str, Any]) -> None:
    """A local start: the token authorized, then the transaction started, as the station's
    OCPP version does it (1.6: sections 4.1, 4.8, 4.9). A start made offline succeeds: its
    message waits in the queue."""
    connector_id, token = int(payload["connectorId"]), IdToken(str(payload["idTag"]))
    try:
        await station.start_local(connector_id, token)
    except NotAuthorized as exc:
        raise PermissionError(str(exc)) from None


async def stop_transaction(station: IntentStation, payload: dict[str, Any]) -> None:
    """A local stop (reason Local) of the station's transaction of that id: the CSMS's number
    (1.6) or the station's own string (2.0.1)."""
    transaction_id = payload["transactionId"]
    connector_id = station.transactions.transaction_connector(transaction_id)
    if connector_id is None and isinstance(transaction_id, str) and transaction_id.isdigit():
        connector_id = station.transactions.transaction_connector(int(transaction_id))
    if connector_id is None:
        raise ValueError(f"no transaction {transaction_id} on this station")
    if await station.transactions.stop(connector_id, "Local") is None:
        raise ConnectionError(f"the stop of transaction {transaction_id} was not answered")


async def plug_connector(station: IntentStation, payload: dict[str, Any]) -> None:
    await station.plugs.plug(int(payload["connectorId"]))


async def unplug_connector(station: IntentStation, payload: dict[str, Any]) -> None:
    """The cable unplugged at the EV side (StopTransactionOnEVSideDisconnect & co)."""
    await station.plugs.unplug(int(payload["connectorId"]))


async def lock_connector(station: IntentStation, payload: dict[str, Any]) -> None:
    station.set_connector_locked(int(payload["connectorId"]), True)


async def unlock_connector(station: IntentStation, payload: dict[str, Any]) -> None:
    station.set_connector_locked(int(payload["connectorId"]), False)


def _connector_ids(payload: dict[str, Any]) -> list[int] | None:
    ids = payload.get("connectorIds")
    return None if ids is None else [int(i) for i in ids]


async def start_atg(station: IntentStation, payload: dict[str, Any]) -> None:
    station.atg.start(_connector_ids(payload))


async def stop_atg(station: IntentStation, payload: dict[str, Any]) -> None:
    station.atg.stop(_connector_ids(payload))


async def change_configuration(station: IntentStation, payload: dict[str, Any]) -> None:
    """As a ChangeConfiguration.req from the CSMS would: readonly and unknown keys refused."""
    key, value = str(payload["key"]), str(payload["value"])
    status = station.configuration.change(key, value)
    station.configuration_changed(key)
    if status not in _APPLIED:
        raise Refused(f"{key}: {status.value}")


async def set_supervision_url(station: IntentStation, payload: dict[str, Any]) -> None:
    station.set_supervision_url(str(payload["url"]))
