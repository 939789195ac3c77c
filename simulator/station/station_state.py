"""A station's persisted state, `configurations/<hashId>.json` (persistence.py writes it): the
document built from the station's parts, and the parts restored from it."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any, Protocol

from simulator.identity import template_hash
from simulator.plan import StationSpec
from simulator.station.clock import Clock
from simulator.station.core.atg import AutomaticTransactionGenerator
from simulator.station.core.authorization import Authorizer
from simulator.station.core.model import ConnectorState
from simulator.station.core.queue import TransactionQueue
from simulator.station.keystore import KeyStore
from simulator.template_model import StationTemplate

if TYPE_CHECKING:
    from loguru import Logger


class Queued(Protocol):
    @property
    def queue(self) -> TransactionQueue: ...


class StoredProfiles(Protocol):
    """The installed charging profiles, in the adapter's persisted form."""

    def as_data(self) -> list[dict[str, Any]]: ...

    def restore(self, data: list[dict[str, Any]]) -> None: ...


class StateHost(Protocol):
    """The station's parts that are persisted."""

    spec: StationSpec
    firmware_version: str

    @property
    def template(self) -> StationTemplate: ...

    @property
    def supervision_url(self) -> str: ...

    @property
    def clock(self) -> Clock: ...

    @property
    def log(self) -> Logger: ...

    @property
    def configuration(self) -> KeyStore: ...

    @property
    def connectors(self) -> dict[int, ConnectorState]: ...

    @property
    def transactions(self) -> Queued: ...

    @property
    def authorization(self) -> Authorizer: ...

    @property
    def smart_charging(self) -> StoredProfiles: ...

    @property
    def atg(self) -> AutomaticTransactionGenerator: ...

    def station_info(self) -> dict[str, Any]: ...


def persisted_state(station: StateHost) -> dict[str, Any]:
    """`configurations/<hashId>.json`: the seed's sections (stationInfo, configurationKey,
    connectorsStatus, automaticTransactionGenerator) and evsim's (templateHash,
    transactionQueue, localAuthorization, chargingProfiles)."""
    template = station.template
    state: dict[str, Any] = {
        "templateHash": template_hash(template),
        "connectorsStatus": [station.connectors[i].as_state() for i in sorted(station.connectors)],
        "transactionQueue": station.transactions.queue.as_data(),
        "localAuthorization": station.authorization.tokens.as_data(),
        "chargingProfiles": station.smart_charging.as_data(),
        "automaticTransactionGenerator": {"running": station.atg.running_connectors()},
    }
    if template.station_info_persistent_configuration:
        state["stationInfo"] = {
            **station.station_info(),
            "meterSerialNumber": station.spec.meter_serial_number,
            "supervisionUrl": station.supervision_url,
            "templateFirmwareVersion": template.firmware_version,
        }
    if template.ocpp_persistent_configuration:
        state["configurationKey"] = station.configuration.as_list()
        state["changedKeys"] = sorted(station.configuration.changed_keys)
    return state


def restore(station: StateHost, state: dict[str, Any]) -> list[int]:
    """Resume what a previous run persisted; the connectors whose ATG loop it had running."""
    template = station.template
    if state.get("templateHash") != template_hash(template):
        # Issue 9: regenerated partially. The configuration comes from the edited template,
        # persisted values kept only for keys it still has writable (restore below).
        station.log.info("Template edited since the state was saved: configuration regenerated")
    if template.ocpp_persistent_configuration:
        changed = state.get("changedKeys")
        station.configuration.restore(
            state.get("configurationKey") or [],
            changed if isinstance(changed, list) else None,
        )
    info = state.get("stationInfo")
    if template.station_info_persistent_configuration and isinstance(info, dict):
        _restore_serial_numbers(station, info)
    # An UpdateFirmware installed it, unless the template has changed version since.
    if (
        template.station_info_persistent_configuration
        and isinstance(info, dict)
        and info.get("templateFirmwareVersion") == template.firmware_version
    ):
        station.firmware_version = info.get("firmwareVersion") or station.firmware_version
    now = station.clock.monotonic()
    for connector_state in state.get("connectorsStatus") or []:
        connector = station.connectors.get(int(connector_state.get("connectorId", -1)))
        if connector is not None:
            connector.restore(connector_state, now)
            if connector.availability != "Operative":
                connector.status = "Unavailable"
    queue = state.get("transactionQueue")
    if isinstance(queue, dict):
        station.transactions.queue.restore(queue)
    local = state.get("localAuthorization")
    if isinstance(local, dict):
        station.authorization.restore(local)
    profiles = state.get("chargingProfiles")
    if isinstance(profiles, list):
        station.smart_charging.restore(profiles)
    atg = state.get("automaticTransactionGenerator")
    running = atg.get("running", []) if isinstance(atg, dict) else []
    station.log.debug("State of a previous run restored")
    return [int(c) for c in running if int(c) in station.connectors]


def _restore_serial_numbers(station: StateHost, info: dict[str, Any]) -> None:
    """The serial numbers the station had, kept while they carry the template's prefixes:
    they derive from config.json's seed too, which may have changed since."""
    template, spec = station.template, station.spec

    def kept(key: str, prefix: str, current: str | None) -> str | None:
        value = info.get(key)
        if current and isinstance(value, str) and value.startswith(prefix):
            return value
        return current

    station.spec = dataclasses.replace(
        spec,
        charge_point_serial_number=kept(
            "chargePointSerialNumber",
            template.charge_point_serial_number_prefix,
            spec.charge_point_serial_number,
        ),
        charge_box_serial_number=kept(
            "chargeBoxSerialNumber",
            template.charge_box_serial_number_prefix,
            spec.charge_box_serial_number,
        ),
        meter_serial_number=kept(
            "meterSerialNumber", template.meter_serial_number_prefix, spec.meter_serial_number
        ),
    )


__all__ = ["StateHost", "persisted_state", "restore"]
