"""The OCPP 2.0.1 device-model variables the core's authorization, reservations, EV plugs and
smart charging read, behind their settings Protocols: each read at each use through the
station's `Variables`, so a SetVariables applies at once.

A fallback is what the spec says the variable's absence means (an optional controller not
there is not enabled), or the device model's default for a required one. Smart charging
messages are not 2.0.1 yet: its settings give the core sane values and claim no behaviour."""

from __future__ import annotations

from functools import cache

from simulator.station.ocpp201.device_model import load_catalogue
from simulator.station.parts import Variables

AUTH = "AuthCtrlr"
CACHE = "AuthCacheCtrlr"
LIST = "LocalAuthListCtrlr"
SMART = "SmartChargingCtrlr"
DEFAULT_LIST_ENTRIES = 10000  # LocalAuthListCtrlr.Entries' maxLimit when the model has none
DEFAULT_ITEMS_PER_MESSAGE = 100
DEFAULT_BYTES_PER_MESSAGE = 65000
DEFAULT_CONNECTION_TIMEOUT = 60
DEFAULT_MAX_STACK_LEVEL = 10
DEFAULT_MAX_PERIODS = 24
DEFAULT_MAX_INSTALLED = 100
RATE_UNITS = frozenset({"A", "W"})


@cache
def max_limit(component: str, variable: str, instance: str | None = None) -> int | None:
    """A variable's maxLimit characteristic in evsim's device model (the most a station holds:
    LocalAuthListCtrlr.Entries, SmartChargingCtrlr.Entries[ChargingProfiles])."""
    for found in load_catalogue().components:
        if found.name != component:
            continue
        for known in found.variables:
            limit = known.characteristics.max_limit
            if known.name == variable and known.instance == instance and limit is not None:
                return int(limit)
    return None


class FeatureSettings201:
    """AuthorizationSettings201 (so the core's AuthorizationSettings), ReservationSettings,
    PlugSettings and ChargingSettings of a 2.0.1 station."""

    __slots__ = ("variables",)

    def __init__(self, variables: Variables) -> None:
        self.variables = variables

    def _flag(self, component: str, variable: str, fallback: bool, alias: str) -> bool:
        """A boolean under its device-model name, else under the Part 2 text's (SCOPE.md
        note b: LocalAuthorizationOffline, LocalPreAuthorization)."""
        value = self.variables.value(component, variable)
        if value is None:
            value = self.variables.value(component, alias)
        return fallback if value is None else value.strip().lower() == "true"

    # -- authorization (Part 2 C, D; appendix 2.3-2.5) ----------------------------------------

    def local_list_supported(self) -> bool:
        return self.variables.boolean(LIST, "Available", True)

    def local_list_enabled(self) -> bool:
        # "If this variable exists and reports a value of true": absent, it is not enabled.
        return self.variables.boolean(LIST, "Enabled", False)

    def cache_enabled(self) -> bool:
        return self.variables.boolean(CACHE, "Available", True) and self.variables.boolean(
            CACHE, "Enabled", False
        )

    def local_pre_authorize(self) -> bool:
        return self._flag(AUTH, "LocalPreAuthorize", False, "LocalPreAuthorization")

    def local_authorize_offline(self) -> bool:
        return self._flag(AUTH, "LocalAuthorizeOffline", True, "LocalAuthorizationOffline")

    def allow_offline_unknown(self) -> bool:
        return self.variables.boolean(AUTH, "OfflineTxForUnknownIdEnabled", False)

    def local_list_max_length(self) -> int:
        """D01.FR.12: Entries' maxLimit, the most tokens the list holds."""
        limit = max_limit(LIST, "Entries")
        return DEFAULT_LIST_ENTRIES if limit is None else limit

    def send_local_list_max_length(self) -> int:
        return self.variables.integer(LIST, "ItemsPerMessage", DEFAULT_ITEMS_PER_MESSAGE)

    def send_local_list_max_bytes(self) -> int:
        return self.variables.integer(LIST, "BytesPerMessage", DEFAULT_BYTES_PER_MESSAGE)

    def authorization_enabled(self) -> bool:
        return self.variables.boolean(AUTH, "Enabled", True)

    def remote_authorization_disabled(self) -> bool:
        return self.variables.boolean(AUTH, "DisableRemoteAuthorization", False)

    def cache_post_authorize_disabled(self) -> bool:
        return self.variables.boolean(CACHE, "DisablePostAuthorize", False)

    def list_post_authorize_disabled(self) -> bool:
        return self.variables.boolean(LIST, "DisablePostAuthorize", False)

    def master_pass_group(self) -> str | None:
        return self.variables.value(AUTH, "MasterPassGroupId") or None

    def cache_lifetime(self) -> int:
        return max(self.variables.integer(CACHE, "LifeTime", 0), 0)

    def authorize_remote_start(self) -> bool:
        """F01.FR.01/02: a RequestStartTransaction is authorized first (the handler reads it)."""
        return self.variables.boolean(AUTH, "AuthorizeRemoteStart", True)

    # -- reservations (H01; appendix 2.8) ----------------------------------------------------

    def reservations_supported(self) -> bool:
        return self.variables.boolean("ReservationCtrlr", "Available", False) and (
            self.variables.boolean("ReservationCtrlr", "Enabled", False)
        )

    def reserve_connector_zero(self) -> bool:
        """A reservation of no EVSE in particular (H01.FR.04/23), the core's connector 0."""
        return self.variables.boolean("ReservationCtrlr", "NonEvseSpecific", False)

    # -- EV plugs (E09, E10; appendix 2.1, 2.6) ----------------------------------------------

    def stop_on_ev_side_disconnect(self) -> bool:
        return self.variables.boolean("TxCtrlr", "StopTxOnEVSideDisconnect", True)

    def unlock_on_ev_side_disconnect(self) -> bool:
        return self.variables.boolean("OCPPCommCtrlr", "UnlockOnEVSideDisconnect", True)

    def connection_timeout(self) -> int:
        timeout = self.variables.integer(
            "TxCtrlr", "EVConnectionTimeOut", DEFAULT_CONNECTION_TIMEOUT
        )
        return max(timeout, 0)

    # -- smart charging (appendix 2.9; no 2.0.1 message yet) -----------------------------------

    def smart_charging_supported(self) -> bool:
        return self.variables.boolean(SMART, "Available", False) and self.variables.boolean(
            SMART, "Enabled", False
        )

    def allowed_units(self) -> frozenset[str]:
        value = self.variables.value(SMART, "RateUnit")
        if value is None:
            return RATE_UNITS
        return frozenset(unit.strip() for unit in value.split(",")) & RATE_UNITS

    def max_stack_level(self) -> int:
        return self.variables.integer(SMART, "ProfileStackLevel", DEFAULT_MAX_STACK_LEVEL)

    def max_periods(self) -> int:
        return self.variables.integer(SMART, "PeriodsPerSchedule", DEFAULT_MAX_PERIODS)

    def max_installed(self) -> int:
        limit = max_limit(SMART, "Entries", "ChargingProfiles")
        return DEFAULT_MAX_INSTALLED if limit is None else limit

    def phase_switching(self) -> bool:
        # "If defined and true" (appendix 2.9), as 1.6's ConnectorSwitch3to1PhaseSupported.
        return self.variables.boolean(SMART, "Phases3to1", False)


__all__ = ["FeatureSettings201", "Variables", "max_limit"]
