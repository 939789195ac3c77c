"""A station's persisted state, `configurations/<hashId>.json` (persistence.py writes it): the
document built from the station's parts, and the parts restored from it."""

from __future__ import annotations

import dataclasses
import operator
from typing import TYPE_CHECKING, Any, Protocol

import orjson

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
    localAuthorization, changedKeys, transactionQueue, chargingProfiles). StateDocument encodes
    the same document, section by section, in this order: the sections a transaction message
    leaves alone first, so that a write rewrites only the rest (persistence.OpenFiles)."""
    template = station.template
    state: dict[str, Any] = {
        "templateHash": template_hash(template),
        "localAuthorization": station.authorization.tokens.as_data(),
    }
    if template.station_info_persistent_configuration:
        state["stationInfo"] = _station_info(station)
    if template.ocpp_persistent_configuration:
        state["configurationKey"] = station.configuration.as_list()
        state["changedKeys"] = sorted(station.configuration.changed_keys)
    state.update(_moving(station))
    return state


def _moving(station: StateHost, *, encoded: bool = False) -> dict[str, Any]:
    """The sections a transaction message changes; `encoded`: the queued payloads as JSON
    already, for orjson (TransactionQueue.as_data)."""
    return {
        "connectorsStatus": [station.connectors[i].as_state() for i in sorted(station.connectors)],
        "transactionQueue": station.transactions.queue.as_data(encoded=encoded),
        "chargingProfiles": station.smart_charging.as_data(),
        "automaticTransactionGenerator": {"running": station.atg.running_connectors()},
    }


def _station_info(station: StateHost) -> dict[str, Any]:
    return {
        **station.station_info(),
        "meterSerialNumber": station.spec.meter_serial_number,
        "supervisionUrl": station.supervision_url,
        "templateFirmwareVersion": station.template.firmware_version,
    }


# Encoded configuration keys shared by the stations that have them alike (most of a fleet: one
# template, keys unchanged; a URL key differs per station), so a station's cached keys cost it a
# reference a key, not ~5 KB. Bounded: stale entries of changed keys go with the next clear.
_SHARED: dict[bytes, bytes] = {}
_SHARED_MAX = 8192


def _shared(fragment: bytes) -> bytes:
    known = _SHARED.get(fragment)
    if known is not None:
        return known
    if len(_SHARED) >= _SHARED_MAX:
        _SHARED.clear()
    _SHARED[fragment] = fragment
    return fragment


def _field(name: str, value: Any) -> bytes:
    return b'"' + name.encode() + b'":' + orjson.dumps(value)


class StateDocument:
    """`persisted_state` encoded, byte for byte as orjson encodes it, in two parts at a cost
    that follows what changed: the fixed part (template hash, local authorization, stationInfo,
    the configuration keys), kept encoded, the very same bytes object, until what it is built
    from changes (another template, spec or firmware, the key store's version, another
    persisted form of the local authorization); and the moving part (connectors, queue,
    charging profiles, ATG), encoded on every call. Every cache is checked against its source
    on each call, so no change is missed for want of a mark."""

    __slots__ = ("_auth", "_config", "_fixed", "_head", "_info")

    def __init__(self) -> None:
        self._head: tuple[StationTemplate, bytes] | None = None
        self._info: tuple[tuple[Any, ...], bytes] | None = None
        self._config: tuple[KeyStore, int, tuple[bytes, ...]] | None = None
        self._auth: tuple[dict[str, Any], bytes] | None = None
        self._fixed: tuple[_Fixed, tuple[bytes, ...]] | None = None

    def encode(self, station: StateHost) -> bytes:
        fixed, moving = self.parts(station)
        return b"".join(fixed) + moving

    def parts(self, station: StateHost) -> tuple[tuple[bytes, ...], bytes]:
        """The document as its fixed part, in pieces to join (the same tuple while nothing in
        it changed), and its moving part, which follows it. The pieces, not their join: most
        of them are shared with the other stations of the template (`_shared`), a join would
        be ~4 KB a station of its own (issue 16)."""
        template = station.template
        sources: _Fixed = (
            self._template_hash(template),
            self._local_authorization(station.authorization.tokens.as_data()),
            self._station_info(station) if template.station_info_persistent_configuration else None,
            self._configuration(station.configuration)
            if template.ocpp_persistent_configuration
            else None,
        )
        cached = self._fixed
        if cached is None or not all(map(operator.is_, cached[0], sources)):
            cached = self._fixed = (sources, _fixed_pieces(sources))
        # One dump, its opening brace turned into the comma after the fixed part.
        return cached[1], b"," + orjson.dumps(_moving(station, encoded=True))[1:]

    def _template_hash(self, template: StationTemplate) -> bytes:
        if self._head is None or self._head[0] is not template:
            self._head = (template, b"{" + _field("templateHash", template_hash(template)))
        return self._head[1]

    def _station_info(self, station: StateHost) -> bytes:
        # What _station_info reads: the spec is frozen (replaced when it changes).
        source = (station.spec, station.template, station.firmware_version, station.supervision_url)
        cached = self._info
        if cached is None or not _same(cached[0], source):
            cached = self._info = (source, _field("stationInfo", _station_info(station)))
        return cached[1]

    def _configuration(self, keys: KeyStore) -> tuple[bytes, ...]:
        """configurationKey and changedKeys, in pieces to join: each key's entry (its comma
        included) shared with the stations that have it alike."""
        cached = self._config
        if cached is None or cached[0] is not keys or cached[1] != keys.version:
            entries = [orjson.dumps(entry) for entry in keys.as_list()]
            pieces = [_shared(entry + b",") for entry in entries[:-1]]
            pieces += [_shared(entry) for entry in entries[-1:]]
            changed = b"]," + _field("changedKeys", sorted(keys.changed_keys))
            cached = self._config = (
                keys,
                keys.version,
                (b'"configurationKey":[', *pieces, changed),
            )
        return cached[2]

    def _local_authorization(self, data: dict[str, Any]) -> bytes:
        if self._auth is None or self._auth[0] is not data:
            self._auth = (data, _field("localAuthorization", data))
        return self._auth[1]


# The fixed part's sources: the encoded template hash, local authorization, stationInfo and
# configuration keys (the last two None where the template does not persist them).
_Fixed = tuple[bytes, bytes, bytes | None, tuple[bytes, ...] | None]


def _fixed_pieces(sources: _Fixed) -> tuple[bytes, ...]:
    head, auth, info, config = sources
    parts = [head, b",", auth]
    if info is not None:
        parts += (b",", info)
    if config is not None:
        parts.append(b",")
        parts += config
    return tuple(parts)


def _same(cached: tuple[Any, ...], source: tuple[Any, ...]) -> bool:
    spec, template, firmware, url = source
    return (
        cached[0] is spec and cached[1] is template and cached[2] == firmware and cached[3] == url
    )


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


__all__ = ["StateDocument", "StateHost", "persisted_state", "restore"]
