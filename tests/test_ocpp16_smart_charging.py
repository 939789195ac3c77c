"""Smart charging (OCPP 1.6 sections 3.13, 5.5, 5.7, 5.16) against the bundled CSMS."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from ocpp.exceptions import NotSupportedError, PropertyConstraintViolationError
from ocpp.v16 import call

from simulator.csms import CentralSystem
from tests.offline_station import make_station as make_offline_station
from tests.offline_station import shutdown
from tests.test_station import booted, make_station

pytestmark = pytest.mark.integration

PHASES_230V = 230 * 3  # W per A on the quick template's three phases


@pytest.fixture
async def csms() -> AsyncIterator[CentralSystem]:
    async with CentralSystem(heartbeat_interval=60) as central:
        yield central


def charging_profile(
    purpose: str = "TxDefaultProfile",
    *,
    id: int = 1,
    stack: int = 0,
    limit: float = 10.0,
    unit: str = "A",
    **fields: Any,
) -> dict[str, Any]:
    return {
        "chargingProfileId": id,
        "stackLevel": stack,
        "chargingProfilePurpose": purpose,
        "chargingProfileKind": "Relative",
        "chargingSchedule": {
            "chargingRateUnit": unit,
            "chargingSchedulePeriod": [{"startPeriod": 0, "limit": limit}],
        },
        **fields,
    }


def set_profile(connector_id: int, profile: dict[str, Any]) -> call.SetChargingProfile:
    return call.SetChargingProfile(connector_id=connector_id, cs_charging_profiles=profile)


async def test_a_default_profile_caps_the_power_reported_in_meter_values(
    tmp_path: Path, csms: CentralSystem
) -> None:
    """Sections 5.16.4 and 3.13.1: a TxDefaultProfile on connector 0 limits every connector's
    transaction; the MeterValues show the capped power."""
    station, _ = make_station(
        tmp_path,
        csms.url,
        Configuration={
            "configurationKey": [
                {"key": "MeterValueSampleInterval", "readonly": False, "value": "1"},
                {
                    "key": "MeterValuesSampledData",
                    "readonly": False,
                    "value": "Energy.Active.Import.Register,Power.Active.Import",
                },
            ]
        },
        Connectors={
            "0": {},
            "1": {
                "MeterValues": [
                    {"measurand": "Energy.Active.Import.Register", "unit": "Wh"},
                    {"measurand": "Power.Active.Import", "unit": "W"},
                ]
            },
        },
    )
    station_id = station.spec.station_id
    async with booted(station, csms):
        result = await csms.call(station_id, set_profile(0, charging_profile(limit=10)))
        assert result.status == "Accepted"
        await station.transactions.start(1, "TAG-A")
        assert station.transactions.limit_w(1) == 10 * PHASES_230V
        sample = (await csms.wait_received(station_id, "MeterValues", 10))[0].payload
        powers = [
            float(v["value"])
            for v in sample["meterValue"][0]["sampledValue"]
            if v.get("measurand") == "Power.Active.Import"
        ]
        assert powers and all(0 < p <= 10 * PHASES_230V for p in powers)


async def test_a_tx_profile_without_a_transaction_is_rejected(
    tmp_path: Path, csms: CentralSystem
) -> None:
    """Section 5.16.4: no TxProfile without an active transaction."""
    station, _ = make_station(tmp_path, csms.url)
    async with booted(station, csms):
        result = await csms.call(
            station.spec.station_id, set_profile(1, charging_profile("TxProfile"))
        )
        assert result.status == "Rejected"
        assert station.smart_charging.profiles == []


async def test_a_tx_profile_ends_with_its_transaction(tmp_path: Path, csms: CentralSystem) -> None:
    """Sections 5.16.3 and 3.13.1: the TxProfile overrules the default during the
    transaction and is deleted when it stops."""
    station, _ = make_station(tmp_path, csms.url)
    station_id = station.spec.station_id
    async with booted(station, csms):
        await csms.call(station_id, set_profile(0, charging_profile(limit=32)))
        response = await station.transactions.start(1, "TAG-A")
        tx = charging_profile("TxProfile", id=2, limit=6, transactionId=response["transactionId"])
        assert (await csms.call(station_id, set_profile(1, tx))).status == "Accepted"
        assert station.transactions.limit_w(1) == 6 * PHASES_230V
        await station.transactions.stop(1)
        assert [p.purpose for p in station.smart_charging.profiles] == ["TxDefaultProfile"]


async def test_a_profile_with_the_same_stack_level_and_purpose_replaces_the_old_one(
    tmp_path: Path, csms: CentralSystem
) -> None:
    """Section 3.13.2: one profile per stackLevel and purpose."""
    station, _ = make_station(tmp_path, csms.url)
    station_id = station.spec.station_id
    async with booted(station, csms):
        await csms.call(station_id, set_profile(1, charging_profile(id=1, limit=16)))
        await csms.call(station_id, set_profile(1, charging_profile(id=2, limit=8)))
        assert [(p.id, p.schedule.periods[0].limit) for p in station.smart_charging.profiles] == [
            (2, 8.0)
        ]


async def test_a_profile_beyond_the_max_stack_level_is_rejected(
    tmp_path: Path, csms: CentralSystem
) -> None:
    """Section 9.4.1: ChargeProfileMaxStackLevel."""
    station, _ = make_station(tmp_path, csms.url)
    async with booted(station, csms):
        result = await csms.call(
            station.spec.station_id, set_profile(1, charging_profile(stack=11))
        )
        assert result.status == "Rejected"


async def test_a_rate_unit_the_station_does_not_allow_is_not_supported(
    tmp_path: Path, csms: CentralSystem
) -> None:
    """Section 9.4.2: ChargingScheduleAllowedChargingRateUnit."""
    station, _ = make_station(
        tmp_path,
        csms.url,
        Configuration={
            "configurationKey": [
                {
                    "key": "ChargingScheduleAllowedChargingRateUnit",
                    "readonly": True,
                    "value": "Current",
                }
            ]
        },
    )
    async with booted(station, csms):
        profile = charging_profile(unit="W", limit=7000)
        result = await csms.call(station.spec.station_id, set_profile(1, profile))
        assert result.status == "NotSupported"
        assert station.smart_charging.profiles == []


async def test_an_unknown_connector_is_a_property_constraint_violation(
    tmp_path: Path, csms: CentralSystem
) -> None:
    """Errata 3.39."""
    station, _ = make_station(tmp_path, csms.url)
    async with booted(station, csms):
        with pytest.raises(PropertyConstraintViolationError):
            await csms.call(station.spec.station_id, set_profile(9, charging_profile()))


async def test_a_station_without_smart_charging_answers_not_supported(
    tmp_path: Path, csms: CentralSystem
) -> None:
    """Errata 3.39: CALLERROR NotSupported when SupportedFeatureProfiles lacks SmartCharging."""
    station, _ = make_station(
        tmp_path,
        csms.url,
        Configuration={
            "configurationKey": [
                {"key": "SupportedFeatureProfiles", "readonly": True, "value": "Core"}
            ]
        },
    )
    async with booted(station, csms):
        with pytest.raises(NotSupportedError):
            await csms.call(station.spec.station_id, set_profile(1, charging_profile()))


async def test_clear_charging_profile_by_id(tmp_path: Path, csms: CentralSystem) -> None:
    """Section 5.5: the profile with the id is cleared; Unknown when none has it."""
    station, _ = make_station(tmp_path, csms.url)
    station_id = station.spec.station_id
    async with booted(station, csms):
        await csms.call(station_id, set_profile(1, charging_profile(id=7)))
        assert (await csms.call(station_id, call.ClearChargingProfile(id=7))).status == "Accepted"
        assert station.smart_charging.profiles == []
        assert station.transactions.limit_w(1) == station.transactions.limit_w(1, profile=False)
        assert (await csms.call(station_id, call.ClearChargingProfile(id=7))).status == "Unknown"


async def test_clear_charging_profile_by_connector_purpose_and_stack_level(
    tmp_path: Path, csms: CentralSystem
) -> None:
    """Errata 3.25: the profiles matching all the given fields are cleared."""
    station, _ = make_station(tmp_path, csms.url)
    station_id = station.spec.station_id
    async with booted(station, csms):
        await csms.call(station_id, set_profile(0, charging_profile(id=1, stack=1)))
        await csms.call(station_id, set_profile(1, charging_profile(id=2, stack=1)))
        await csms.call(
            station_id, set_profile(0, charging_profile("ChargePointMaxProfile", id=3, stack=1))
        )
        result = await csms.call(
            station_id,
            call.ClearChargingProfile(
                connector_id=0, charging_profile_purpose="TxDefaultProfile", stack_level=1
            ),
        )
        assert result.status == "Accepted"
        assert sorted(p.id for p in station.smart_charging.profiles) == [2, 3]


async def test_get_composite_schedule_merges_the_purposes_in_the_requested_unit(
    tmp_path: Path, csms: CentralSystem
) -> None:
    """Sections 5.7 and 3.13.3: the minimum of ChargePointMaxProfile and TxDefaultProfile,
    converted between W and A by the station's voltage and phases."""
    station, _ = make_station(tmp_path, csms.url)
    station_id = station.spec.station_id
    async with booted(station, csms):
        await csms.call(
            station_id,
            set_profile(0, charging_profile("ChargePointMaxProfile", id=1, unit="W", limit=6900)),
        )
        default = charging_profile(id=2, limit=16)
        default["chargingSchedule"]["chargingSchedulePeriod"].append(
            {"startPeriod": 600, "limit": 6}
        )
        await csms.call(station_id, set_profile(1, default))
        amps = await csms.call(
            station_id,
            call.GetCompositeSchedule(connector_id=1, duration=1200, charging_rate_unit="A"),
        )
        assert amps.status == "Accepted" and amps.connector_id == 1
        schedule = amps.charging_schedule
        assert schedule["charging_rate_unit"] == "A" and schedule["duration"] == 1200
        periods = [(p["start_period"], p["limit"]) for p in schedule["charging_schedule_period"]]
        assert periods == [(0, 10.0), (600, 6.0)]
        watts = await csms.call(
            station_id,
            call.GetCompositeSchedule(connector_id=1, duration=1200, charging_rate_unit="W"),
        )
        limits = [p["limit"] for p in watts.charging_schedule["charging_schedule_period"]]
        assert limits == [6900, 6 * PHASES_230V]


async def test_get_composite_schedule_of_an_unknown_connector_is_rejected(
    tmp_path: Path, csms: CentralSystem
) -> None:
    """Section 5.7: Rejected when the connectorId is unknown."""
    station, _ = make_station(tmp_path, csms.url)
    async with booted(station, csms):
        result = await csms.call(
            station.spec.station_id, call.GetCompositeSchedule(connector_id=9, duration=60)
        )
        assert result.status == "Rejected"


async def test_a_remote_start_profile_applies_to_the_transaction_it_starts(tmp_path: Path) -> None:
    """Section 5.16.2: the TxProfile of a RemoteStartTransaction.req is installed for the
    transaction about to start and deleted when it ends."""
    station = make_offline_station(tmp_path)
    try:
        status = station.smart_charging.install_tx_profile(
            1, charging_profile("TxProfile", limit=8)
        )
        assert status == "Accepted"
        await station.transactions.start(1, "TAG-A")
        assert station.transactions.limit_w(1) == 8 * PHASES_230V
        await station.transactions.stop(1)
        assert station.smart_charging.profiles == []
    finally:
        await shutdown(station)


async def test_a_remote_start_profile_must_not_name_a_transaction(tmp_path: Path) -> None:
    """Errata 3.41: a RemoteStartTransaction profile has no transactionId."""
    station = make_offline_station(tmp_path)
    profile = charging_profile("TxProfile", transactionId=4)
    assert station.smart_charging.install_tx_profile(1, profile) == "Rejected"


async def test_the_composite_schedule_is_the_power_shared_connectors_draw(tmp_path: Path) -> None:
    """Sections 5.7 and 3.13.3 with powerSharedByConnectors: two connectors charging share
    the ChargePointMaxProfile; the composite each reports is the limit its meter follows."""
    station = make_offline_station(tmp_path, powerSharedByConnectors=True)
    try:
        status = station.smart_charging.set_profile(
            0, charging_profile("ChargePointMaxProfile", unit="W", limit=11000)
        )
        assert status == "Accepted"
        await station.transactions.start(1, "TAG-A")
        await station.transactions.start(2, "TAG-B")
        for connector_id in (1, 2):
            schedule = station.smart_charging.composite(connector_id, 600, "W")
            periods = schedule["chargingSchedulePeriod"]
            assert periods == [{"startPeriod": 0, "limit": 5500}]
            assert periods[0]["limit"] == station.transactions.limit_w(connector_id)
    finally:
        await shutdown(station)
