"""OCPP 2.0.1 network connection profiles (Part 2 B09, B10; NetworkConnectionProfileType, 2.35):
SetNetworkProfile stores a profile in a configuration slot; NetworkConfigurationPriority, a
list of slots, orders the CSMSs the station connects to from its next reboot
(network_connection.py).

The slots are NetworkConfigurationPriority's valuesList (B09.FR.05, at least two: B09.FR.06).
Slot 1 holds the station's own CSMS, its supervision URL with the template's credentials,
until a SetNetworkProfile replaces it; the other slots are empty until one sets them. The stored
profiles are one hidden key of the station's key store (`NetworkConnectionProfiles`, a JSON
object by slot; KeyStore.declare): persisted and restored with the device model's values,
without a state section of its own.

A profile keeps what evsim uses (ocppCsmsUrl, securityProfile, messageTimeout) and the fields
that name it (ocppVersion, which the WebSocket handshake decides anyway; ocppTransport;
ocppInterface). `vpn` and `apn`, for a VPN and a modem no simulated station has, pass the
schema and are not kept, so their passwords stay out of the state file and the UI.

Security profiles (A00): 1 is basic auth on ws://, 2 TLS (wss://) with basic auth, 3 TLS with a
client certificate, which evsim has as 1.6 stations have it, from the template's wsOptions
(`cert`); installing certificates over OCPP (A02-A05, M) is an issue of its own.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final, Protocol
from urllib.parse import urlsplit

import orjson

from simulator.station.keystore import KeyStore
from simulator.station.ocpp201.device_model import Entry
from simulator.station.ocpp201.device_model_values import Rejection
from simulator.station.ocpp201.variables import Variables
from simulator.template_model import StationTemplate

CONFIGURED_SLOT: Final = 1
PROFILES_KEY: Final = "NetworkConnectionProfiles"
COMM_CTRLR: Final = "OCPPCommCtrlr"
PRIORITY: Final = "NetworkConfigurationPriority"
SECURITY_CTRLR: Final = "SecurityCtrlr"
SECURITY_PROFILE: Final = "SecurityProfile"
# The reason codes of the errata's B09.FR.02/04/05 (2025-09).
INVALID_CONF: Final = "InvalidNetworkConf"
INVALID_SLOT: Final = "InvalidConfSlot"
NO_DOWNGRADE: Final = "NoSecurityDowngrade"
# What each security profile's transport is (A00): 1 unsecured, 2 and 3 TLS.
_SCHEMES: Final = {1: "ws", 2: "wss", 3: "wss"}
_KEPT: Final = (
    "ocppVersion",
    "ocppTransport",
    "ocppCsmsUrl",
    "messageTimeout",
    "securityProfile",
    "ocppInterface",
)
# passwordString (Part 2 2.1.4: a-z, A-Z, 0-9, * - _ = : + | @ .) of 16 to 40 characters
# (A00.FR.205, 2.2.1).
_PASSWORD: Final = re.compile(r"[A-Za-z0-9*\-_=:+|@.]{16,40}")


@dataclass(frozen=True, slots=True)
class NetworkProfile:
    """What a station connects with: the CSMS URL (without the station identity), the
    security profile, the CALL timeout; `data` as stored."""

    csms_url: str
    security_profile: int
    message_timeout: int
    data: Mapping[str, Any]


def profile_of(data: Mapping[str, Any]) -> NetworkProfile | None:
    """The profile of a connectionData (or its stored form); None when a field evsim uses is
    missing or of the wrong type (a stored value the UI edited)."""
    url, security, timeout = (
        data.get("ocppCsmsUrl"),
        data.get("securityProfile"),
        data.get("messageTimeout"),
    )
    if not isinstance(url, str) or not isinstance(security, int) or not isinstance(timeout, int):
        return None
    kept = {key: data[key] for key in _KEPT if key in data}
    return NetworkProfile(url, security, timeout, kept)


def stored_profiles(keys: KeyStore) -> dict[int, NetworkProfile]:
    """The profiles SetNetworkProfile stored, by slot (those still readable: the UI may
    edit the key)."""
    text = keys.get(PROFILES_KEY)
    try:
        data = orjson.loads(text) if text else {}
    except orjson.JSONDecodeError:
        return {}
    if not isinstance(data, dict):
        return {}
    profiles = {}
    for slot, fields in data.items():
        profile = profile_of(fields) if isinstance(fields, dict) else None
        if profile is not None and str(slot).isdigit():
            profiles[int(slot)] = profile
    return profiles


def stored_profile(keys: KeyStore, slot: int) -> NetworkProfile | None:
    """The profile a SetNetworkProfile stored in `slot`, if any."""
    return stored_profiles(keys).get(slot)


def store_profile(keys: KeyStore, slot: int, profile: NetworkProfile) -> None:
    profiles = {str(s): dict(p.data) for s, p in stored_profiles(keys).items()}
    profiles[str(slot)] = dict(profile.data)
    keys.set(PROFILES_KEY, orjson.dumps(profiles, option=orjson.OPT_SORT_KEYS).decode())


def configuration_slots(variables: Variables) -> tuple[int, ...]:
    """The slots NetworkConfigurationPriority's valuesList offers (B09, B10)."""
    found = variables.model.find({"name": COMM_CTRLR}, {"name": PRIORITY})
    values = found.characteristics.values_list if isinstance(found, Entry) else None
    return tuple(int(value) for value in values or (str(CONFIGURED_SLOT),))


def priority_slots(value: str | None) -> tuple[int, ...]:
    """NetworkConfigurationPriority's slots in order (a SequenceList of slot numbers)."""
    members = [member.strip() for member in (value or "").split(",")]
    return tuple(int(member) for member in members if member.isdigit())


def configured_security_profile(url: str, template: StationTemplate) -> int:
    """The security profile of the station's own CSMS: TLS when wss://, with a client
    certificate when wsOptions has one (A00)."""
    if urlsplit(url).scheme != "wss":
        return 1
    return 3 if has_client_certificate(template) else 2


def has_client_certificate(template: StationTemplate) -> bool:
    return bool(template.ws_options.get("cert"))


def profile_rejection(
    data: Mapping[str, Any], *, active_security_profile: int, client_certificate: bool
) -> Rejection | None:
    """Why a connectionData that passed the schema cannot be used (B09.FR.02, B09.FR.04), or
    None."""
    profile = profile_of(data)
    if profile is None:  # the schema requires the fields: only a stored value gets here
        return Rejection(INVALID_CONF, "ocppCsmsUrl, securityProfile and messageTimeout needed")
    if data.get("ocppTransport") != "JSON":
        return Rejection(INVALID_CONF, "evsim speaks OCPP-J (JSON) only")
    security = profile.security_profile
    scheme = _SCHEMES.get(security)
    if scheme is None:
        return Rejection(INVALID_CONF, f"no security profile {security} (A00: 1 to 3)")
    if security < active_security_profile:
        return Rejection(NO_DOWNGRADE, f"security profile {active_security_profile} is active")
    parts = urlsplit(profile.csms_url)
    if parts.scheme != scheme or not parts.netloc:
        return Rejection(INVALID_CONF, f"security profile {security} needs a {scheme}:// URL")
    if security == 3 and not client_certificate:
        return Rejection(INVALID_CONF, "security profile 3: no client certificate (wsOptions)")
    if profile.message_timeout <= 0:
        return Rejection(INVALID_CONF, "messageTimeout must be at least 1 s")
    return None


def priority_rejection(
    value: str,
    *,
    security_of: Callable[[int], int | None],
    active_security_profile: int,
) -> Rejection | None:
    """Why a NetworkConfigurationPriority value (valid for its valuesList) cannot be used, or
    None: a slot without a valid profile (B10.FR.02), or one with a lower security profile
    than the active one (errata A05.FR.10). `security_of(slot)`: the security profile of the
    slot's profile, None for an empty slot."""
    for slot in priority_slots(value):
        security = security_of(slot)
        if security is None:
            return Rejection(INVALID_CONF, f"slot {slot} holds no network connection profile")
        if security < active_security_profile:
            return Rejection(NO_DOWNGRADE, f"slot {slot} has security profile {security}")
    return None


def password_rejection(value: str) -> Rejection | None:
    """A00.FR.205: a passwordString of 16 to 40 characters, else the old one stays (A01)."""
    if _PASSWORD.fullmatch(value):
        return None
    return Rejection("InvalidValue", "16 to 40 characters of a-z A-Z 0-9 * - _ = : + | @ .")


class NetworkProfileStation(Protocol):
    """What SetNetworkProfile uses of its station."""

    @property
    def variables(self) -> Variables: ...

    @property
    def template(self) -> StationTemplate: ...

    def configuration_changed(self, key: str) -> None:
        """A key changed: the UI hears of it, and it is persisted."""


async def set_network_profile(
    station: NetworkProfileStation, payload: dict[str, Any]
) -> dict[str, Any]:
    """B09: the profile validated (B09.FR.02/04/05) and stored in its slot (B09.FR.01), in
    use from the next reboot whose NetworkConfigurationPriority names the slot (B10.FR.04)."""
    slot, data = payload["configurationSlot"], payload["connectionData"]
    variables = station.variables
    if slot not in configuration_slots(variables):
        slots = ",".join(str(s) for s in configuration_slots(variables))
        rejection: Rejection | None = Rejection(INVALID_SLOT, f"the slots are {slots}")
    else:
        rejection = profile_rejection(
            data,
            active_security_profile=variables.integer(SECURITY_CTRLR, SECURITY_PROFILE, 1),
            client_certificate=has_client_certificate(station.template),
        )
    if rejection is not None:
        return {"status": "Rejected", "statusInfo": rejection.status_info()}
    profile = profile_of(data)
    assert profile is not None  # profile_rejection refuses what profile_of cannot read
    store_profile(variables, slot, profile)
    station.configuration_changed(PROFILES_KEY)
    return {"status": "Accepted"}


__all__ = [
    "CONFIGURED_SLOT",
    "PROFILES_KEY",
    "NetworkProfile",
    "NetworkProfileStation",
    "configuration_slots",
    "configured_security_profile",
    "password_rejection",
    "priority_rejection",
    "priority_slots",
    "profile_of",
    "profile_rejection",
    "set_network_profile",
    "store_profile",
    "stored_profile",
    "stored_profiles",
]
