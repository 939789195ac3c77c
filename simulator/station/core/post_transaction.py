"""The template's postTransactionDelay (a key of the TypeScript simulator 4.x): after a stop the
connector stays Finishing for that many seconds, as a real charger does while the driver
unplugs, and then goes Available (OCPP 1.6 section 4.9: Charging -> Finishing, transition C6;
Finishing -> Available, F1). 0, the TS default: Available at once.

During the delay the connector has no transaction: a new user may start one (Finishing ->
Preparing, F2), and the ATG waits for the connector to be free.
"""

from __future__ import annotations

from simulator.station.core.model import ConnectorState
from simulator.station.ports import PostTransactionHost

FINISHING = "Finishing"


def stopped_status(connector: ConnectorState, delay: float) -> str:
    """The connector's status once its transaction stopped: Unavailable when it is (or was
    scheduled to become) Inoperative, Finishing during a post-transaction delay, else
    Available."""
    if connector.availability != "Operative":
        return "Unavailable"
    return FINISHING if delay > 0 else "Available"


def status_after_delay(availability: str) -> str:
    return "Available" if availability == "Operative" else "Unavailable"


def release_later(station: PostTransactionHost, connector_id: int) -> None:
    """After a stop that left the connector Finishing: Available once the delay is over."""
    delay = station.template.post_transaction_delay
    if delay > 0 and station.connectors[connector_id].status == FINISHING:
        task = station.spawn(_release(station, connector_id, delay))
        # The station stops (or resets) meanwhile, which cancels the task, maybe before it
        # ran: it must not come back with a connector Finishing that nothing would release.
        task.add_done_callback(lambda task: _settle(station, connector_id, task.cancelled()))


def _still_finishing(station: PostTransactionHost, connector_id: int) -> bool:
    # Nobody started again or unplugged meanwhile.
    connector = station.connectors[connector_id]
    return connector.status == FINISHING and not connector.transaction_started


async def _release(station: PostTransactionHost, connector_id: int, delay: float) -> None:
    await station.clock.sleep(delay)
    if _still_finishing(station, connector_id):
        availability = station.connectors[connector_id].availability
        await station.change_status(connector_id, status_after_delay(availability))


def _settle(station: PostTransactionHost, connector_id: int, cancelled: bool) -> None:
    if cancelled and _still_finishing(station, connector_id):
        connector = station.connectors[connector_id]
        connector.status = status_after_delay(connector.availability)
        station.connectors_changed()


__all__ = ["FINISHING", "release_later", "status_after_delay", "stopped_status"]
