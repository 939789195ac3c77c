"""Who a station is: its id, its hashId (the name of its persisted state), the digest of its
template, its seed and its serial numbers. All are deterministic functions of the template, the
station's index and the run seed, so a station is the same station on every run and machine.
"""

from __future__ import annotations

import hashlib
import json

from simulator.template_model import OCPP_16, StationTemplate

# BootNotification's chargePointSerialNumber and chargeBoxSerialNumber are CiString25.
SERIAL_NUMBER_MAX_LENGTH = 25
# OCPP-J 2.0.1 3.1.1: "The maximum length of the Charging Station identity is: 48".
STATION_ID_MAX_LENGTH_201 = 48


def make_station_id(template: StationTemplate, index: int, instance_index: int = 0) -> str:
    """The TS simulator's rule: baseName when fixedName, else
    ``<baseName>-<instance><index, 4 digits or more><nameSuffix>`` ("CS-SIMU-00001").

    The TS simulator keeps only the last 4 digits (index 10001 -> "0001", a duplicate);
    evsim keeps them all so that every index gives a distinct id."""
    if template.fixed_name:
        return template.base_name
    return f"{template.base_name}-{instance_index}{index:04d}{template.name_suffix}"


def identity_refusal(template: StationTemplate, station_id: str) -> tuple[str, str] | None:
    """Why the template's station may not have `station_id`: (the template key that made it,
    the reason), or None. OCPP-J 2.0.1 3.1.1: the identity is at most 48 characters and has no
    ":", since it is also the basic-auth user name, which ":" ends. 1.6 sets no such bound."""
    if template.ocpp_version == OCPP_16:
        return None
    if ":" in station_id:
        in_suffix = ":" in template.name_suffix and ":" not in template.base_name
        return (
            "nameSuffix" if in_suffix else "baseName",
            f"station id {station_id!r} has a ':', which OCPP 2.0.1 forbids (OCPP-J 3.1.1)",
        )
    if len(station_id) > STATION_ID_MAX_LENGTH_201:
        return (
            "baseName",
            f"station id {station_id!r} is {len(station_id)} characters; OCPP 2.0.1 allows at "
            f"most {STATION_ID_MAX_LENGTH_201} (OCPP-J 3.1.1)",
        )
    return None


def identity_json(template: StationTemplate) -> str:
    """The template part of the hashId input, byte for byte the TS simulator's
    ``JSON.stringify`` of the station info it hashes, so hashIds (and the names of persisted
    configurations) match the TS simulator's for the same template and index."""
    info: dict[str, str] = {}
    fields_set = template.model_fields_set
    # (TS key, attribute): TS includes a key when the template defines it, even as "".
    for key, name in (
        ("chargePointModel", "charge_point_model"),
        ("chargePointVendor", "charge_point_vendor"),
        ("chargeBoxSerialNumber", "charge_box_serial_number_prefix"),
        ("chargePointSerialNumber", "charge_point_serial_number_prefix"),
        ("meterSerialNumber", "meter_serial_number_prefix"),
        ("meterType", "meter_type"),
    ):
        if name in fields_set:
            info[key] = getattr(template, name)
    return json.dumps(info, ensure_ascii=False, separators=(",", ":"))


def make_hash_id(template: StationTemplate, station_id: str) -> str:
    """The station's hashId: sha384 over its identity (model, vendor, serial-number prefixes)
    and its id. Stable across runs and machines; it names the station's persisted state."""
    return hash_id_of(identity_json(template), station_id)


def hash_id_of(identity: str, station_id: str) -> str:
    """make_hash_id from the template's identity_json, which a plan computes once per template."""
    return hashlib.sha384((identity + station_id).encode()).hexdigest()


# Per template object (templates are immutable): stations persist often, templates are few.
_TEMPLATE_HASHES: dict[int, tuple[StationTemplate, str]] = {}


def template_hash(template: StationTemplate) -> str:
    """A digest of what the template file sets, persisted with a station's state: a different
    one at the next start says the template was edited since (its configuration is
    regenerated). Defaults stay out, so a key evsim learns does not count as an edit."""
    known = _TEMPLATE_HASHES.get(id(template))
    if known is not None and known[0] is template:
        return known[1]
    digest = hashlib.sha256(
        template.model_dump_json(by_alias=True, exclude_unset=True).encode()
    ).hexdigest()
    if len(_TEMPLATE_HASHES) >= 256:
        _TEMPLATE_HASHES.clear()  # reloads made many: start over rather than grow
    _TEMPLATE_HASHES[id(template)] = (template, digest)
    return digest


def station_seed_and_suffix(run_seed: int, station_id: str) -> tuple[int, str]:
    """The station's seed (make_station_seed) and serial-number suffix (serial_number_suffix)
    from one hash: planning 50,000 stations pays for every hash call."""
    digest = _station_digest(run_seed, station_id)
    return int.from_bytes(digest[:8], "big"), digest[8:].hex().upper()


def _station_digest(run_seed: int, station_id: str) -> bytes:
    # The station seed (first half) and its serial-number suffix (second half).
    return hashlib.blake2b(
        f"{run_seed}\x00{station_id}".encode(), digest_size=16, person=b"evsim-station"
    ).digest()


def make_station_seed(run_seed: int, station_id: str) -> int:
    """The seed of the station's own random generator (connectors, power, ATG, meters)."""
    return station_seed_and_suffix(run_seed, station_id)[0]


def serial_number_suffix(run_seed: int, station_id: str) -> str:
    """16 uppercase hex digits, the same for every run with the same seed."""
    return station_seed_and_suffix(run_seed, station_id)[1]


def make_serial_number(prefix: str, suffix: str) -> str | None:
    """prefix + as much of `suffix` as fits OCPP's 25 characters (at least 6 digits); None
    without a prefix: the TS simulator then sends no serial number."""
    if not prefix:
        return None
    room = min(len(suffix), max(6, SERIAL_NUMBER_MAX_LENGTH - len(prefix)))
    return prefix + suffix[:room]


__all__ = [
    "SERIAL_NUMBER_MAX_LENGTH",
    "STATION_ID_MAX_LENGTH_201",
    "hash_id_of",
    "identity_json",
    "identity_refusal",
    "make_hash_id",
    "make_serial_number",
    "make_station_id",
    "make_station_seed",
    "serial_number_suffix",
    "station_seed_and_suffix",
    "template_hash",
]
