"""Where each connection attempt of an OCPP 2.0.1 station goes (Part 2 B10, P4 5.3), with which
credentials (A00 profiles 1 and 2, A01), and the variables that report it: the adapter's answer
to the lifecycle's `Session.endpoint`.

After the start or a reboot the station connects with the first entry of
NetworkConfigurationPriority (B10.FR.04); after NetworkProfileConnectionAttempts failed
attempts with an entry it tries the next one (B10.FR.03), after the last one the first again
(B10.FR.08: it does not give up for want of entries, B10.FR.09; the template's
autoReconnectMaxRetries still may). A lost connection starts from the first entry again
(errata B10.FR.03: "when connection to CSMS is lost"). The priority and the stored profiles in
effect are read at the first attempt after the start or a reboot and kept until the next one
(B09 remark: a changed profile takes effect at a reboot); the values SetVariables accepted with
RebootRequired take effect at that reboot too (B05). Slot 1 without a stored profile is the
station's own CSMS as the lifecycle hands it (its URL follows the UI's setSupervisionUrl).
Connected with another slot than the last connection's, the station boots again (errata
B10.FR.10).

Credentials: the user is the template's supervisionUser, else the station identity (A00.FR.204);
the password is SecurityCtrlr.BasicAuthPassword once set (A01.FR.01), else the template's
supervisionPassword; with neither user nor password no Authorization header goes.

The station's own values this part gives the device model: SecurityCtrlr.Identity (the station
id), OCPPCommCtrlr.ActiveNetworkProfile (the slot of the attempt, so of the connection once it
is open), SecurityCtrlr.SecurityProfile (that slot's) and OCPPCommCtrlr.MessageTimeout[Default]
(that profile's messageTimeout; the template's value for the station's own CSMS), which the
adapter's CALL timeout reads.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final, Protocol

from simulator.plan import StationSpec, station_ws_url
from simulator.station.connection import Endpoint
from simulator.station.ocpp201.device_model_values import Rejection
from simulator.station.ocpp201.network_profiles import (
    COMM_CTRLR,
    CONFIGURED_SLOT,
    PRIORITY,
    PROFILES_KEY,
    SECURITY_CTRLR,
    SECURITY_PROFILE,
    NetworkProfile,
    configured_security_profile,
    password_rejection,
    priority_rejection,
    priority_slots,
    stored_profile,
    stored_profiles,
)
from simulator.station.ocpp201.variables import Variables
from simulator.template_model import StationTemplate

if TYPE_CHECKING:
    from loguru import Logger

ATTEMPTS: Final = "NetworkProfileConnectionAttempts"
DEFAULT_ATTEMPTS: Final = 3
PASSWORD: Final = "BasicAuthPassword"
MESSAGE_TIMEOUT: Final = ("MessageTimeout", "Default")
# One entry of the priority in effect: its slot, and its stored profile (None: the station's own).
Entry = tuple[int, NetworkProfile | None]


def entry_index(attempt: int, entries: int, attempts_per_entry: int) -> int:
    """The priority entry of connection attempt `attempt` (0: the first): each entry is tried
    `attempts_per_entry` times in a row (B10.FR.03), then the next, the first after the last
    (B10.FR.08)."""
    return (attempt // max(attempts_per_entry, 1)) % entries


class ConnectionStation(Protocol):
    """What the network connection uses of its station."""

    @property
    def variables(self) -> Variables: ...

    @property
    def spec(self) -> StationSpec: ...

    @property
    def template(self) -> StationTemplate: ...

    @property
    def ws_url(self) -> str:
        """The station's own CSMS: its supervision URL and identity."""

    @property
    def log(self) -> Logger: ...


class NetworkConnection:
    """One 2.0.1 station's choice of CSMS at each connection attempt."""

    __slots__ = ("_connected_slot", "_entries", "_own_timeout", "_slot", "_station")

    def __init__(self, station: ConnectionStation) -> None:
        self._station = station
        variables = station.variables
        variables.declare(PROFILES_KEY)  # so that the restore after a restart fills it in
        variables.guard(self)
        variables.set_actual(SECURITY_CTRLR, "Identity", station.spec.station_id)
        # The template's CALL timeout, for the station's own CSMS (MessageTimeout is ReadOnly).
        self._own_timeout = variables.value(COMM_CTRLR, *MESSAGE_TIMEOUT)
        self._entries: tuple[Entry, ...] | None = None
        self._slot = CONFIGURED_SLOT
        self._connected_slot: int | None = None

    def rebooted(self) -> None:
        """The station starts again: what waited for a reboot takes effect at its first
        attempt (B05 RebootRequired values, the priority and profiles, B10.FR.04)."""
        self._station.variables.apply_pending()
        self._entries = None

    def endpoint(self, attempt: int, configured: Endpoint) -> Endpoint:
        """Where attempt `attempt` goes (0: the first since the start, a reboot or the last
        connection); reported as the active profile from now."""
        station = self._station
        variables = station.variables
        if self._entries is None:
            self._entries = self._priority()
        per_entry = variables.integer(COMM_CTRLR, ATTEMPTS, DEFAULT_ATTEMPTS)
        slot, profile = self._entries[entry_index(attempt, len(self._entries), per_entry)]
        if profile is None:
            url = configured.url
            security = configured_security_profile(url, station.template)
            timeout = self._own_timeout
        else:
            url = station_ws_url(profile.csms_url, station.spec.station_id)
            security, timeout = profile.security_profile, str(profile.message_timeout)
        if slot != self._slot:
            station.log.info("Connecting with network profile slot {} ({})", slot, url)
        self._slot = slot
        self._report(slot, security, timeout)
        password = variables.value(SECURITY_CTRLR, PASSWORD) or configured.password
        user = configured.user or (station.spec.station_id if password else None)
        return Endpoint(url, user, password)

    def connected(self) -> bool:
        """The connection of the last endpoint opened; True when it is another slot than the
        last connection's: a new CSMS, which must hear a BootNotification (B10.FR.10)."""
        moved = self._connected_slot is not None and self._slot != self._connected_slot
        self._connected_slot = self._slot
        return moved

    def _priority(self) -> tuple[Entry, ...]:
        """The priority's entries that can be used: a slot with a profile, or slot 1 (a template
        may name empty slots, which SetVariables refuses, B10.FR.02); slot 1 if none can."""
        keys = self._station.variables
        profiles = stored_profiles(keys)
        entries = [
            (slot, profiles.get(slot)) for slot in priority_slots(keys.value(COMM_CTRLR, PRIORITY))
        ]
        usable = tuple((s, p) for s, p in entries if p is not None or s == CONFIGURED_SLOT)
        return usable or ((CONFIGURED_SLOT, profiles.get(CONFIGURED_SLOT)),)

    def _report(self, slot: int, security: int, timeout: str | None) -> None:
        variables = self._station.variables
        for component, name, instance, value in (
            (COMM_CTRLR, "ActiveNetworkProfile", None, str(slot)),
            (SECURITY_CTRLR, SECURITY_PROFILE, None, str(security)),
            (COMM_CTRLR, MESSAGE_TIMEOUT[0], MESSAGE_TIMEOUT[1], timeout),
        ):
            if value is not None and variables.value(component, name, instance) != value:
                variables.set_actual(component, name, value, instance)

    def rejection(
        self, component: str, variable: str, instance: str | None, value: str
    ) -> Rejection | None:
        """The station's rules over NetworkConfigurationPriority (B10.FR.02, A05.FR.10) and
        BasicAuthPassword (A00.FR.205), as the device model's guard (Variables.guard)."""
        if component == COMM_CTRLR and variable == PRIORITY:
            variables = self._station.variables
            return priority_rejection(
                value,
                security_of=self._security_of,
                active_security_profile=variables.integer(SECURITY_CTRLR, SECURITY_PROFILE, 1),
            )
        if component == SECURITY_CTRLR and variable == PASSWORD:
            return password_rejection(value)
        return None

    def _security_of(self, slot: int) -> int | None:
        station = self._station
        profile = stored_profile(station.variables, slot)
        if profile is not None:
            return profile.security_profile
        if slot == CONFIGURED_SLOT:
            return configured_security_profile(station.ws_url, station.template)
        return None


__all__ = ["ConnectionStation", "NetworkConnection", "entry_index"]
