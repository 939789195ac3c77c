"""The OCPP 1.6 parts of a station over the version-neutral core: its keys' settings, the
authorization, reservations, smart charging and EV plugs they drive, and the transactions with
the 1.6 outbox, queue and sample format (adapters.py's 1.6 row)."""

from __future__ import annotations

from typing import Protocol

from simulator.station.core.plugs import EvPlugs
from simulator.station.core.queue import DEFAULT_ATTEMPTS, DEFAULT_RETRY_INTERVAL, QueueHost
from simulator.station.core.transactions import Transactions
from simulator.station.ocpp16.authorization import Authorize16, Authorizer16
from simulator.station.ocpp16.feature_settings import FeatureSettings16
from simulator.station.ocpp16.outbox import SEND_ERRORS, Outbox16
from simulator.station.ocpp16.ports import AdapterStation
from simulator.station.ocpp16.queue_codec import TransactionQueue16
from simulator.station.ocpp16.reservation import Reservations16
from simulator.station.ocpp16.sample_format import SAMPLE_FORMAT_16
from simulator.station.ocpp16.settings import Settings16
from simulator.station.ocpp16.smart_charging import SmartCharging16
from simulator.station.parts import Features


class PartsHost16(AdapterStation, QueueHost, Protocol):
    """The station the 1.6 parts are built for."""

    async def send_status(self, connector_id: int) -> None: ...


def features(station: PartsHost16) -> Features:
    configuration = station.configuration
    settings = FeatureSettings16(configuration)
    authorization = Authorizer16(station, settings, Authorize16(station))
    queue = TransactionQueue16(station, max_length=station.template.transaction_queue_max_length)

    def retry_policy() -> tuple[int, int]:
        """(TransactionMessageAttempts, TransactionMessageRetryInterval), section 3.7.1."""
        return (
            configuration.get_int("TransactionMessageAttempts", DEFAULT_ATTEMPTS),
            configuration.get_int("TransactionMessageRetryInterval", DEFAULT_RETRY_INTERVAL),
        )

    return Features(
        smart_charging=SmartCharging16(station, settings),
        authorization=authorization,
        reservations=Reservations16(station, settings, authorization),
        transactions=Transactions(
            station, queue, Outbox16(station, queue), Settings16(station), SAMPLE_FORMAT_16
        ),
        plugs=EvPlugs(station, settings),
        retry_policy=retry_policy,
        send_errors=SEND_ERRORS,
    )


__all__ = ["PartsHost16", "features"]
