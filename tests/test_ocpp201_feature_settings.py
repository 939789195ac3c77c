"""FeatureSettings201: the core's authorization, reservation, plug and charging settings read
from a 2.0.1 station's device-model variables, at each use."""

from __future__ import annotations

import pytest

from simulator.station.ocpp201.feature_settings import FeatureSettings201, max_limit
from tests.ocpp201_auth_support import FakeVariables


def settings(**values: str) -> tuple[FeatureSettings201, FakeVariables]:
    variables = FakeVariables()
    for name, value in values.items():
        variables.set(name.replace("__", "."), value)
    return FeatureSettings201(variables), variables


def test_a_fresh_station_has_list_and_cache_enabled_and_authorizes_online_first() -> None:
    """evsim's device-model defaults (appendix 2.3-2.5)."""
    features, _ = settings()

    assert (features.local_list_supported(), features.local_list_enabled()) == (True, True)
    assert features.cache_enabled() and features.authorization_enabled()
    assert not features.local_pre_authorize() and features.local_authorize_offline()
    assert not features.allow_offline_unknown() and not features.remote_authorization_disabled()
    assert features.master_pass_group() is None
    assert features.cache_lifetime() == 86400


def test_a_change_of_a_variable_applies_at_the_next_reading() -> None:
    features, variables = settings()
    before = features.cache_enabled()

    variables.set("AuthCacheCtrlr.Enabled", "false")

    assert (before, features.cache_enabled()) == (True, False)


def test_an_unavailable_cache_is_not_enabled_whatever_enabled_says() -> None:
    features, _ = settings(AuthCacheCtrlr__Available="false", AuthCacheCtrlr__Enabled="true")

    assert not features.cache_enabled()


@pytest.mark.parametrize(
    "name",
    ["LocalAuthListCtrlr.Enabled", "AuthCacheCtrlr.Enabled", "ReservationCtrlr.Enabled"],
)
def test_an_optional_controller_whose_enabled_is_absent_is_not_enabled(name: str) -> None:
    """Appendix 2.5.1: "If this variable exists and reports a value of true"."""
    features, variables = settings()
    variables.drop(name)

    assert not {
        "LocalAuthListCtrlr.Enabled": features.local_list_enabled,
        "AuthCacheCtrlr.Enabled": features.cache_enabled,
        "ReservationCtrlr.Enabled": features.reservations_supported,
    }[name]()


def test_local_pre_authorization_the_part2_spelling_is_read_without_the_csv_one() -> None:
    """SCOPE.md note b: Part 2's text says LocalPreAuthorization, the CSV LocalPreAuthorize."""
    features, variables = settings()
    variables.drop("AuthCtrlr.LocalPreAuthorize")
    variables.set("AuthCtrlr.LocalPreAuthorization", "true")

    assert features.local_pre_authorize()


def test_local_authorization_offline_the_part2_spelling_is_read_without_the_csv_one() -> None:
    """SCOPE.md note b: Part 2's LocalAuthorizationOffline, the CSV's LocalAuthorizeOffline."""
    features, variables = settings()
    variables.drop("AuthCtrlr.LocalAuthorizeOffline")
    variables.set("AuthCtrlr.LocalAuthorizationOffline", "false")

    assert not features.local_authorize_offline()


def test_local_list_limits_are_items_bytes_and_the_entries_max_limit() -> None:
    """D01.FR.11/12: ItemsPerMessage, BytesPerMessage; Entries' maxLimit is the list's size."""
    features, _ = settings(LocalAuthListCtrlr__ItemsPerMessage="7")

    assert features.send_local_list_max_length() == 7
    assert features.send_local_list_max_bytes() == 65000
    assert features.local_list_max_length() == max_limit("LocalAuthListCtrlr", "Entries")


def test_an_empty_master_pass_group_id_is_none_and_a_set_one_is_read() -> None:
    features, variables = settings()
    empty = features.master_pass_group()
    variables.set("AuthCtrlr.MasterPassGroupId", "POLICE")

    assert (empty, features.master_pass_group()) == (None, "POLICE")


def test_reservations_are_not_supported_while_the_device_model_defers_them() -> None:
    """H is deferred: ReservationCtrlr.Available is false, read-only, in the catalogue."""
    features, _ = settings()

    assert not features.reservations_supported()


def test_reservations_need_reservation_ctrlr_available_and_enabled() -> None:
    features, variables = settings(
        ReservationCtrlr__Available="true", ReservationCtrlr__Enabled="true"
    )
    both = features.reservations_supported()
    variables.set("ReservationCtrlr.Enabled", "false")

    assert (both, features.reservations_supported()) == (True, False)


def test_a_non_evse_specific_reservation_is_the_cores_connector_zero() -> None:
    """H01.FR.04/23: ReservationCtrlr.NonEvseSpecific."""
    features, variables = settings(ReservationCtrlr__NonEvseSpecific="true")
    default = features.reserve_connector_zero()
    variables.set("ReservationCtrlr.NonEvseSpecific", "false")

    assert (default, features.reserve_connector_zero()) == (True, False)


def test_the_plug_settings_are_tx_ctrlr_and_ocpp_comm_ctrlr_variables() -> None:
    """E09 EVConnectionTimeOut, E10 StopTxOnEVSideDisconnect, UnlockOnEVSideDisconnect."""
    features, _ = settings(
        TxCtrlr__EVConnectionTimeOut="45",
        TxCtrlr__StopTxOnEVSideDisconnect="false",
        OCPPCommCtrlr__UnlockOnEVSideDisconnect="false",
    )

    assert features.connection_timeout() == 45
    assert not features.stop_on_ev_side_disconnect()
    assert not features.unlock_on_ev_side_disconnect()


def test_a_negative_ev_connection_timeout_is_no_timeout() -> None:
    features, _ = settings(TxCtrlr__EVConnectionTimeOut="-5")

    assert features.connection_timeout() == 0


def test_smart_charging_is_not_supported_while_the_device_model_defers_it() -> None:
    """K is deferred: SmartChargingCtrlr.Available is false, read-only, in the catalogue."""
    features, _ = settings()

    assert not features.smart_charging_supported()


def test_the_charging_settings_come_from_smart_charging_ctrlr() -> None:
    features, _ = settings(
        SmartChargingCtrlr__Available="true",
        SmartChargingCtrlr__Enabled="true",
        SmartChargingCtrlr__RateUnit="W",
        SmartChargingCtrlr__ProfileStackLevel="3",
        SmartChargingCtrlr__PeriodsPerSchedule="5",
    )

    assert features.smart_charging_supported()
    assert features.allowed_units() == frozenset({"W"})
    assert (features.max_stack_level(), features.max_periods()) == (3, 5)
    assert features.max_installed() == max_limit(
        "SmartChargingCtrlr", "Entries", "ChargingProfiles"
    )
    assert not features.phase_switching()  # Phases3to1 is not in evsim's model


def test_a_rate_unit_outside_a_and_w_is_not_allowed() -> None:
    features, _ = settings(SmartChargingCtrlr__RateUnit="A,kW")

    assert features.allowed_units() == frozenset({"A"})
