"""The plan of stations: config.json's stationTemplateUrls expanded into one StationSpec per
station, with its identity, connectors and supervision URL. Every part is a deterministic
function of the template, the station's index and the run seed (simulator/identity.py), so the
plan is the same on every run and machine, and the same fleet whatever the sharding.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from loguru import logger

from simulator.config import Settings, SupervisionUrlDistribution
from simulator.config_error import ConfigError
from simulator.identity import (
    hash_id_of,
    identity_json,
    identity_refusal,
    make_serial_number,
    make_station_id,
    station_seed_and_suffix,
)
from simulator.shards import shard_block
from simulator.template_model import (
    OCPP_16,
    ConnectorTemplate,
    EvseTemplate,
    StationTemplate,
    load_template,
)

_EMPTY_CONNECTOR = ConnectorTemplate()

# EVSE id -> the station-wide (flat) ids of its connectors, in order.
EvseLayout = dict[int, tuple[int, ...]]


def resolve_layout(
    template: StationTemplate, seed: int
) -> tuple[dict[int, ConnectorTemplate], EvseLayout]:
    """One station's connectors (connector id -> its template) and, for OCPP 2.0.1, its EVSEs
    (empty for 1.6, which has none).

    A 2.0.1 template's Evses give both (number_evse_connectors; numberOfConnectors and
    randomConnectors do not apply to a layout written out); its Connectors, each connector an
    EVSE of its own, of the same id."""
    if template.evses:
        return number_evse_connectors(template.evses, keep_station=template.use_connector_id0)
    connectors = resolve_connectors(template, seed)
    if template.ocpp_version == OCPP_16:
        return connectors, {}
    return connectors, {cid: (cid,) for cid in connectors if cid > 0}


def number_evse_connectors(
    evses: Mapping[int, EvseTemplate], *, keep_station: bool = True
) -> tuple[dict[int, ConnectorTemplate], EvseLayout]:
    """Station-wide connector ids for an Evses layout: 1..N in EVSE order (EVSE 1's connectors
    by ascending key, then EVSE 2's, ...), EVSE 0's connector 0 as connector 0 when
    `keep_station` (useConnectorId0).

    The TypeScript simulator's templates number connectors station-wide already ("1" in EVSE 1,
    "2" in EVSE 2): their keys are these ids. Keys numbered per EVSE, as 2.0.1 numbers them
    (each EVSE's "1"), cannot be station-wide ids, so every layout is numbered the same way;
    within its EVSE, a connector is its position from 1 (ocpp201/evses.py)."""
    connectors: dict[int, ConnectorTemplate] = {}
    station = evses.get(0)
    if keep_station and station is not None and 0 in station.connectors:
        connectors[0] = station.connectors[0]
    layout: EvseLayout = {}
    next_id = 1
    for evse_id in sorted(evse for evse in evses if evse > 0):
        own = evses[evse_id].connectors
        ids = tuple(range(next_id, next_id + len(own)))
        next_id += len(own)
        connectors.update(zip(ids, (own[key] for key in sorted(own)), strict=True))
        layout[evse_id] = ids
    return connectors, layout


def resolve_connectors(template: StationTemplate, seed: int) -> dict[int, ConnectorTemplate]:
    """Connector id -> its template for one station of a template with Connectors.

    numberOfConnectors (a list: one value drawn with the station's random) gives ids 1..N;
    without it, the template's non-zero Connectors count. Each id takes the template's
    entry of that id, else the "1" entry, else the first non-zero one. Connector 0 is kept
    when useConnectorId0 and the template defines it. randomConnectors shuffles the
    templates over the ids. Templates are shared, not copied: do not mutate them.
    """
    defined = template.connectors
    non_zero = sorted(cid for cid in defined if cid > 0)
    rng: random.Random | None = None
    count_setting = template.number_of_connectors
    if isinstance(count_setting, list):
        rng = random.Random(seed)
        count = rng.choice(count_setting)
    elif count_setting is None:
        count = len(non_zero)
    else:
        count = count_setting
    if 1 in defined:
        fallback = defined[1]
    elif non_zero:
        fallback = defined[non_zero[0]]
    else:
        fallback = _EMPTY_CONNECTOR
    chosen = [defined.get(cid, fallback) for cid in range(1, count + 1)]
    if template.random_connectors:
        (rng or random.Random(seed)).shuffle(chosen)
    connectors: dict[int, ConnectorTemplate] = {}
    if template.use_connector_id0 and 0 in defined:
        connectors[0] = defined[0]
    connectors.update(zip(range(1, count + 1), chosen, strict=True))
    return connectors


def _digest_int(run_seed: int, station_id: str, purpose: bytes) -> int:
    # One independent stream per purpose, so that e.g. the URL drawn does not correlate with
    # the number of connectors drawn for the same station.
    digest = hashlib.blake2b(
        f"{run_seed}\x00{station_id}".encode(), digest_size=8, person=purpose
    ).digest()
    return int.from_bytes(digest, "big")


def choose_supervision_url(
    urls: Sequence[str],
    distribution: SupervisionUrlDistribution,
    *,
    global_index: int,
    station_id: str,
    run_seed: int,
) -> str:
    """The URL of `urls` a station connects to.

    round-robin: by the station's position in the whole plan; random: drawn from the run seed
    and the station id (another seed, another draw); charging-station-affinity: a hash of the
    station id alone, so a station keeps its CSMS whatever the seed or the other stations.
    """
    if not urls:
        raise ValueError("no supervision URL to choose from")
    if distribution == "round-robin":
        return urls[global_index % len(urls)]
    if distribution == "random":
        return urls[_digest_int(run_seed, station_id, b"evsim-url") % len(urls)]
    digest = hashlib.sha256(station_id.encode()).digest()
    return urls[int.from_bytes(digest[:8], "big") % len(urls)]


def station_ws_url(supervision_url: str, station_id: str) -> str:
    """OCPP-J: the endpoint URL + '/' + the station identity, percent-encoded (RFC 3986)."""
    return f"{supervision_url.rstrip('/')}/{quote(station_id, safe='')}"


# --- the plan -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StationSpec:
    """Everything a worker needs to build one station. Pickles; the template is shared by the
    stations of a template (pickle keeps it shared within one message)."""

    index: int  # 1-based within its template
    global_index: int  # 0-based position in the whole fleet, the same in every shard
    template_name: str  # file stem
    template_path: str
    template: StationTemplate = field(hash=False, repr=False)
    station_id: str
    hash_id: str
    supervision_url: str
    supervision_user: str | None  # None: no basic auth
    supervision_password: str | None = field(repr=False)
    charge_point_serial_number: str | None
    charge_box_serial_number: str | None
    meter_serial_number: str | None
    connectors: dict[int, ConnectorTemplate] = field(hash=False, repr=False)
    seed: int  # for this station's random.Random
    authorization_file: str | None  # the template's authorizationFile, resolved
    auto_start: bool = True  # False: added stopped (the UI's addChargingStations autoStart)
    config_dir: str = ""  # where relative paths of the template (wsOptions' certificates) start
    # OCPP 2.0.1: EVSE id (1..) -> the ids in `connectors` of its connectors, in order; empty
    # for 1.6. ocpp201/evses.py's EvseMap reads it.
    evses: Mapping[int, tuple[int, ...]] = field(default_factory=dict, hash=False, repr=False)

    @property
    def ws_url(self) -> str:
        return station_ws_url(self.supervision_url, self.station_id)


@dataclass(slots=True)
class _LoadedTemplate:
    template: StationTemplate
    path: Path
    identity: str
    last_index: int = 0


def plan_stations(settings: Settings, *, instance_index: int = 0) -> list[StationSpec]:
    """One spec per station of settings.stationTemplateUrls, in file order then index order.

    Each template file is loaded once; a file listed twice continues its numbering, so its
    station ids stay distinct. Raises ConfigError for a missing or invalid template, stations
    without a supervision URL, and two stations with the same id.
    """
    if settings.shard_index >= settings.shard_count:
        raise ConfigError(
            settings.config_path,
            "shardIndex",
            f"shard {settings.shard_index} does not exist among {settings.shard_count} shards",
        )
    specs: list[StationSpec] = []
    loaded: dict[Path, _LoadedTemplate] = {}
    made_by: dict[str, int] = {}  # station id -> stationTemplateUrls index
    # The index in the whole (unsharded) fleet: it decides the round-robin supervision URL, so
    # connections spread over the CSMS endpoints the same way whatever the sharding.
    fleet_index = 0
    for entry_index, entry in enumerate(settings.station_template_urls):
        path = settings.template_path(entry_index)
        state = loaded.get(path.resolve())
        if state is None:
            template = load_template(path)
            state = _LoadedTemplate(template, path, identity_json(template))
            loaded[path.resolve()] = state
            _check_template(settings, state)
        template = state.template
        count = entry.number_of_stations
        if count == 0:
            continue
        if template.fixed_name and state.last_index + count > 1:
            raise ConfigError(
                settings.config_path,
                f"stationTemplateUrls[{entry_index}].numberOfStations",
                f"template {path} has fixedName: it names one station, not "
                f"{state.last_index + count}",
            )
        urls = template.supervision_urls or settings.supervision_urls
        if not urls:
            raise ConfigError(
                settings.config_path,
                "supervisionUrls",
                f"no supervision URL for the stations of {path}: "
                "set supervisionUrls in config.json or in the template",
            )
        fixed_layout = _fixed_layout(template)
        block = shard_block(count, settings.shard_index, settings.shard_count)
        for position, index in enumerate(range(state.last_index + 1, state.last_index + count + 1)):
            station_id = make_station_id(template, index, instance_index)
            refusal = identity_refusal(template, station_id)
            if refusal is not None:
                raise ConfigError(path, *refusal)
            previous = made_by.setdefault(station_id, entry_index)
            if previous != entry_index:
                raise ConfigError(
                    settings.config_path,
                    f"stationTemplateUrls[{entry_index}]",
                    f"station id {station_id!r} is also made by stationTemplateUrls[{previous}]:"
                    " give the templates different baseName or nameSuffix",
                )
            if position not in block:
                continue
            specs.append(
                _make_spec(
                    settings,
                    state,
                    index=index,
                    global_index=fleet_index + position,
                    station_id=station_id,
                    urls=urls,
                    fixed_layout=fixed_layout,
                )
            )
        state.last_index += count + entry.provisioned_number_of_stations
        fleet_index += count
    return specs


def _make_spec(
    settings: Settings,
    state: _LoadedTemplate,
    *,
    index: int,
    global_index: int,
    station_id: str,
    urls: Sequence[str],
    fixed_layout: tuple[dict[int, ConnectorTemplate], EvseLayout] | None,
) -> StationSpec:
    template = state.template
    seed, suffix = station_seed_and_suffix(settings.seed, station_id)
    connectors, evses = fixed_layout if fixed_layout is not None else resolve_layout(template, seed)
    return StationSpec(
        index=index,
        global_index=global_index,
        template_name=state.path.stem,
        template_path=str(state.path),
        template=template,
        station_id=station_id,
        hash_id=hash_id_of(state.identity, station_id),
        supervision_url=choose_supervision_url(
            urls,
            settings.supervision_url_distribution,
            global_index=global_index,
            station_id=station_id,
            run_seed=settings.seed,
        ),
        supervision_user=template.supervision_user or None,
        supervision_password=template.supervision_password or None,
        charge_point_serial_number=make_serial_number(
            template.charge_point_serial_number_prefix, suffix
        ),
        charge_box_serial_number=make_serial_number(
            template.charge_box_serial_number_prefix, suffix
        ),
        meter_serial_number=make_serial_number(template.meter_serial_number_prefix, suffix),
        connectors=dict(connectors),
        seed=seed,
        authorization_file=(
            str(settings.resolve(template.authorization_file))
            if template.authorization_file
            else None
        ),
        config_dir=str(settings.config_dir),
        evses=evses,
    )


def _fixed_layout(
    template: StationTemplate,
) -> tuple[dict[int, ConnectorTemplate], EvseLayout] | None:
    """The layout every station of the template has, unless each draws its own."""
    if not template.evses and (
        template.random_connectors or isinstance(template.number_of_connectors, list)
    ):
        return None
    return resolve_layout(template, 0)


def plan_added_stations(
    settings: Settings,
    path: Path,
    template: StationTemplate,
    *,
    first_index: int,
    count: int,
    first_global_index: int,
    instance_index: int = 0,
) -> list[StationSpec]:
    """Specs for stations added at run time (the UI's addChargingStations): `count` stations of
    `template` (read from `path`, possibly with the UI's overrides applied) numbered from
    `first_index`, placed after the `first_global_index` stations already planned."""
    if template.fixed_name and count > 1:
        raise ValueError(f"template {path.stem} has fixedName: it names one station, not {count}")
    urls = template.supervision_urls or settings.supervision_urls
    if not urls:
        raise ValueError(f"no supervision URL for the stations of {path.stem}")
    state = _LoadedTemplate(template, path, identity_json(template))
    fixed_layout = _fixed_layout(template)
    specs = []
    for offset, index in enumerate(range(first_index, first_index + count)):
        station_id = make_station_id(template, index, instance_index)
        refusal = identity_refusal(template, station_id)
        if refusal is not None:
            raise ValueError(f"{path.stem}: {refusal[1]}")
        specs.append(
            _make_spec(
                settings,
                state,
                index=index,
                global_index=first_global_index + offset,
                station_id=station_id,
                urls=urls,
                fixed_layout=fixed_layout,
            )
        )
    return specs


def _check_template(settings: Settings, state: _LoadedTemplate) -> None:
    """Warnings the TS simulator gives too: the stations would run, but not as intended."""
    template = state.template
    if template.evses:
        # The layout is written out; a count or shuffle that would change it is not applied.
        defined = sum(len(evse.connectors) for evse_id, evse in template.evses.items() if evse_id)
        count = template.number_of_connectors
        if isinstance(count, list) or count not in (None, defined):
            logger.warning(
                "{}: numberOfConnectors ignored: the Evses define {} connectors",
                state.path,
                defined,
            )
        if template.random_connectors:
            logger.warning(
                "{}: randomConnectors ignored: the Evses place the connectors", state.path
            )
    elif not any(cid > 0 for cid in template.connectors):
        logger.warning("{}: no Connectors defined: connectors get no MeterValues", state.path)
    if template.automatic_transaction_generator.enable:
        if not template.authorization_file:
            logger.warning(
                "{}: the AutomaticTransactionGenerator is enabled without authorizationFile",
                state.path,
            )
        elif not settings.resolve(template.authorization_file).is_file():
            logger.warning(
                "{}: authorizationFile {} not found",
                state.path,
                settings.resolve(template.authorization_file),
            )


__all__ = [
    "EvseLayout",
    "StationSpec",
    "choose_supervision_url",
    "number_evse_connectors",
    "plan_added_stations",
    "plan_stations",
    "resolve_connectors",
    "resolve_layout",
    "station_ws_url",
]
