"""The OCPP 2.0.1 parts of a station over the version-neutral core (adapters.py's 2.0.1 row):
its device model (the station's keys and the variables its parts read), the authorization,
EV plugs and deferred reservations / smart charging the device model's settings drive, and the
transactions with the 2.0.1 outbox (TransactionEvent), queue and sample format."""

from __future__ import annotations

from typing import Any

from simulator.plan import StationSpec
from simulator.station.core.plugs import EvPlugs
from simulator.station.core.transactions import Transactions
from simulator.station.keystore import KeyStore
from simulator.station.ocpp201.authorization import Authorize201, Authorizer201
from simulator.station.ocpp201.deferred_features import Reservations201, SmartCharging201
from simulator.station.ocpp201.evses import EvseMap
from simulator.station.ocpp201.feature_settings import FeatureSettings201
from simulator.station.ocpp201.live_values import StationLiveValues
from simulator.station.ocpp201.queue_codec import TransactionQueue201
from simulator.station.ocpp201.sample_format import SAMPLE_FORMAT_201
from simulator.station.ocpp201.transaction_events import SEND_ERRORS, Outbox201
from simulator.station.ocpp201.tx_settings import Settings201, ends_on_ev_unplug, retry_policy
from simulator.station.ocpp201.variables import Variables, evse_rows
from simulator.station.parts import Features


def keys(
    spec: StationSpec, *, supervision_url: tuple[str, str] | None = None
) -> tuple[KeyStore, Variables]:
    """The station's device model, which is its keys too (Component.Variable[.Instance])."""
    power = {
        evse_id: total
        for evse_id, flat in spec.evses.items()
        if (total := sum(spec.connectors[c].maximum_power or 0 for c in flat)) > 0
    }
    template = spec.template
    variables = Variables(
        evse_rows(spec.evses, power),
        template.configuration.configuration_key if template.configuration else (),
        supervision_url=supervision_url,
    )
    return variables, variables


class PlugSettings201(FeatureSettings201):
    """The EV cable's leaving ends the transaction by TxStopPoint and StopTxOnEVSideDisconnect
    together (E06.FR.02, E09, E10)."""

    def stop_on_ev_side_disconnect(self) -> bool:
        return ends_on_ev_unplug(self.variables)


def features(station: Any) -> Features:
    """`station`: the ChargingStation, in the roles of each part (the 1.6 parts show mypy the
    same roles; these take it as their narrow ports, the integration tests show it serves)."""
    variables = station.variables
    variables.set_live(StationLiveValues(station))
    settings = PlugSettings201(variables)
    authorization = Authorizer201(station, settings, Authorize201(station))
    queue = TransactionQueue201(
        station,
        link=lambda: station.connections,
        max_length=station.template.transaction_queue_max_length,
    )
    rules = Settings201(variables)
    outbox = Outbox201(station, queue, evse_of=EvseMap(station.spec.evses).evse_of)
    return Features(
        smart_charging=SmartCharging201(station, settings),
        authorization=authorization,
        reservations=Reservations201(station, settings, authorization),
        transactions=Transactions(station, queue, outbox, rules, SAMPLE_FORMAT_201, rules=rules),
        plugs=EvPlugs(station, settings),
        retry_policy=lambda: retry_policy(variables),
        send_errors=SEND_ERRORS,
    )


__all__ = ["PlugSettings201", "features", "keys"]
