"""The OCPP 1.6 keys (section 9) the core's authorization, reservations, EV plugs and smart
charging read, behind their settings Protocols: each read at each use, so a ChangeConfiguration
applies at once."""

from __future__ import annotations

from simulator.station.keystore import KeyStore
from simulator.station.ocpp16.profile_codec import allowed_units

DEFAULT_LIST_MAX_LENGTH = 100
DEFAULT_SEND_MAX_LENGTH = 20
DEFAULT_CONNECTION_TIMEOUT = 30
DEFAULT_MAX_STACK_LEVEL = 10
DEFAULT_MAX_PERIODS = 24
DEFAULT_MAX_INSTALLED = 10


class FeatureSettings16:
    """AuthorizationSettings, ReservationSettings, PlugSettings and ChargingSettings of a 1.6
    station."""

    __slots__ = ("configuration",)

    def __init__(self, configuration: KeyStore) -> None:
        self.configuration = configuration

    def _flag(self, key: str, default: bool) -> bool:
        value = self.configuration.get(key)
        return default if value is None else value.strip().lower() == "true"

    def _profile(self, profile: str) -> bool:
        profiles = self.configuration.get("SupportedFeatureProfiles") or ""
        return profile.lower() in (p.strip().lower() for p in profiles.split(","))

    # -- authorization (sections 3.5, 9.1, 9.2) ---------------------------------------------

    def local_list_supported(self) -> bool:
        return self._profile("LocalAuthListManagement")

    def local_list_enabled(self) -> bool:
        return self._flag("LocalAuthListEnabled", True)

    def cache_enabled(self) -> bool:
        return self._flag("AuthorizationCacheEnabled", False)

    def local_pre_authorize(self) -> bool:
        return self._flag("LocalPreAuthorize", False)

    def local_authorize_offline(self) -> bool:
        return self._flag("LocalAuthorizeOffline", True)

    def allow_offline_unknown(self) -> bool:
        return self._flag("AllowOfflineTxForUnknownId", False)

    def local_list_max_length(self) -> int:
        return self.configuration.get_int("LocalAuthListMaxLength", DEFAULT_LIST_MAX_LENGTH)

    def send_local_list_max_length(self) -> int:
        return self.configuration.get_int("SendLocalListMaxLength", DEFAULT_SEND_MAX_LENGTH)

    # -- reservations (sections 5.13, 9.4) ---------------------------------------------------

    def reservations_supported(self) -> bool:
        return self._profile("Reservation")

    def reserve_connector_zero(self) -> bool:
        return (self.configuration.get("ReserveConnectorZeroSupported") or "").lower() == "true"

    # -- EV plugs (sections 4.10, 9.1.6, 9.1.23, 9.1.34) --------------------------------------

    def stop_on_ev_side_disconnect(self) -> bool:
        return self._flag("StopTransactionOnEVSideDisconnect", True)

    def unlock_on_ev_side_disconnect(self) -> bool:
        return self._flag("UnlockConnectorOnEVSideDisconnect", True)

    def connection_timeout(self) -> int:
        return self.configuration.get_int("ConnectionTimeOut", DEFAULT_CONNECTION_TIMEOUT)

    # -- smart charging (sections 3.13, 9.4) -------------------------------------------------

    def smart_charging_supported(self) -> bool:
        return self._profile("SmartCharging")

    def allowed_units(self) -> frozenset[str]:
        return allowed_units(self.configuration.get("ChargingScheduleAllowedChargingRateUnit"))

    def max_stack_level(self) -> int:
        return self.configuration.get_int("ChargeProfileMaxStackLevel", DEFAULT_MAX_STACK_LEVEL)

    def max_periods(self) -> int:
        return self.configuration.get_int("ChargingScheduleMaxPeriods", DEFAULT_MAX_PERIODS)

    def max_installed(self) -> int:
        return self.configuration.get_int("MaxChargingProfilesInstalled", DEFAULT_MAX_INSTALLED)

    def phase_switching(self) -> bool:
        # Section 9.4.4: "If defined and true": a station without the key does not switch.
        return (self.configuration.get("ConnectorSwitch3to1PhaseSupported") or "").lower() == "true"


__all__ = ["FeatureSettings16"]
