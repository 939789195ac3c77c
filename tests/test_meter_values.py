"""The meter model: physics invariants (hypothesis) and the sampledValue lists it builds."""

from __future__ import annotations

import math
import random
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator.station.core.metering import (
    Electrical,
    MeterModel,
    MeterState,
    Reading,
    amperage_limit_a,
    connector_power_limit_w,
)
from simulator.station.ocpp16 import schemas
from simulator.station.ocpp16.sample_format import SAMPLE_FORMAT_16
from simulator.template_model import ConnectorTemplate, StationTemplate

ALL_MEASURANDS = (
    "Energy.Active.Import.Register,Power.Active.Import,Current.Import,Voltage,SoC,"
    "Power.Offered,Current.Offered,Frequency"
)


def model_of(meter_values: list[dict[str, Any]] | None = None, **template: Any) -> MeterModel:
    station = StationTemplate.model_validate(template)
    connector = ConnectorTemplate.model_validate({"MeterValues": meter_values or []})
    return MeterModel(station, connector, SAMPLE_FORMAT_16)


def every_measurand(**overrides: Any) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = [
        {"measurand": "Energy.Active.Import.Register", "unit": "Wh"},
        {"measurand": "Power.Active.Import", "unit": "W"},
        {"measurand": "Current.Import", "unit": "A"},
        {"measurand": "Voltage", "unit": "V"},
        {"measurand": "SoC", "unit": "Percent"},
        {"measurand": "Power.Offered", "unit": "W"},
        {"measurand": "Current.Offered", "unit": "A"},
        {"measurand": "Frequency"},
    ]
    for entry in entries:
        entry.update(overrides.get(entry["measurand"], {}))
    return entries


def main_values(sampled: list[dict[str, Any]]) -> dict[str, float]:
    return {s["measurand"]: float(s["value"]) for s in sampled if "phase" not in s}


# --- property tests -----------------------------------------------------------------------------

templates = st.fixed_dictionaries(
    {
        "currentOutType": st.sampled_from(["AC", "DC"]),
        "power": st.floats(1_000, 350_000),
        "powerSharedByConnectors": st.booleans(),
        "mainVoltageMeterValues": st.just(True),
    },
    optional={
        "numberOfPhases": st.sampled_from([1, 3]),
        "voltageOut": st.integers(110, 1000),
        "meteringPerTransaction": st.booleans(),
    },
)
# A template's own values: none (the EV decides), a power or a current, with fluctuation.
custom_values = st.one_of(
    st.just({}),
    st.fixed_dictionaries(
        {"Power.Active.Import": st.fixed_dictionaries({"value": st.floats(0, 400_000)})},
    ),
    st.fixed_dictionaries(
        {"Current.Import": st.fixed_dictionaries({"value": st.floats(0, 500)})},
    ),
).flatmap(
    lambda values: (
        st.fixed_dictionaries(
            {
                **{k: st.just(v) for k, v in values.items()},
                "Voltage": st.fixed_dictionaries(
                    {"value": st.floats(100, 1000), "fluctuationPercent": st.floats(0, 20)}
                ),
            }
        )
        | st.just(values)
    )
)
steps = st.lists(
    st.tuples(st.floats(0, 3_600), st.integers(1, 4), st.floats(0, 1.5)), min_size=1, max_size=30
)


def run_session(
    model: MeterModel, seed: int, plan: list[tuple[float, int, float]], connectors: int = 4
) -> list[tuple[MeterState, Reading, list[dict[str, Any]]]]:
    """Charge through `plan` (seconds, active connectors, amperage limit factor)."""
    rng = random.Random(seed)
    state = model.begin_session(MeterState(register_wh=rng.uniform(0, 1e6)), rng)
    electrical = model.electrical
    out = []
    for seconds, active, amperage_factor in plan:
        limit = connector_power_limit_w(
            electrical,
            station_power_w=100_000.0,
            connectors=connectors,
            active=active,
            shared=True,
            amperage_a=32 * amperage_factor or None,
        )
        state, reading = model.advance(state, seconds, limit, rng)
        out.append(
            (state, reading, model.sampled_values(ALL_MEASURANDS, reading, "Sample.Periodic"))
        )
    return out


@settings(max_examples=150, deadline=None)
@given(templates, custom_values, st.integers(0, 2**32), steps)
def test_energy_never_decreases(
    template: dict[str, Any], custom: dict[str, Any], seed: int, plan: list[Any]
) -> None:
    model = model_of(every_measurand(**custom), **template)
    samples = run_session(model, seed, plan)
    registers = [state.register_wh for state, _, _ in samples]
    reported = [main_values(sampled)["Energy.Active.Import.Register"] for _, _, sampled in samples]
    assert registers == sorted(registers)
    assert reported == sorted(reported)


@pytest.mark.key("voltageOut")
@settings(max_examples=150, deadline=None)
@given(templates, custom_values, st.integers(0, 2**32), steps)
def test_power_is_voltage_times_current_times_phases(
    template: dict[str, Any], custom: dict[str, Any], seed: int, plan: list[Any]
) -> None:
    """AC: P = U x I x phases (U phase-to-neutral, I per phase); DC: P = U x I. Within the
    rounding of the three values to 2 decimals."""
    model = model_of(every_measurand(**custom), **template)
    phases = model.electrical.factor
    for _, _, sampled in run_session(model, seed, plan):
        values = main_values(sampled)
        power, voltage, current = (
            values["Power.Active.Import"],
            values["Voltage"],
            values["Current.Import"],
        )
        rounding = phases * (0.005 * (abs(voltage) + abs(current)) + 0.000025) + 0.005
        assert math.isclose(power, voltage * current * phases, abs_tol=rounding + 1e-9)


@pytest.mark.key("power")
@settings(max_examples=150, deadline=None)
@given(templates, custom_values, st.integers(0, 2**32), steps)
def test_power_never_exceeds_the_active_limit(
    template: dict[str, Any], custom: dict[str, Any], seed: int, plan: list[Any]
) -> None:
    model = model_of(every_measurand(**custom), **template)
    for _, reading, sampled in run_session(model, seed, plan):
        assert reading.power_w <= reading.limit_w + 1e-9
        values = main_values(sampled)
        assert values["Power.Active.Import"] <= values["Power.Offered"] + 0.01


@settings(max_examples=150, deadline=None)
@given(templates, custom_values, st.integers(0, 2**32), steps)
def test_state_of_charge_stays_in_range_and_never_decreases(
    template: dict[str, Any], custom: dict[str, Any], seed: int, plan: list[Any]
) -> None:
    model = model_of(every_measurand(**custom), **template)
    socs = [reading.soc for _, reading, _ in run_session(model, seed, plan)]
    assert all(0.0 <= soc <= 100.0 for soc in socs)
    assert socs == sorted(socs)


@settings(max_examples=100, deadline=None)
@given(templates, st.integers(0, 2**32), steps)
def test_session_energy_is_the_integral_of_the_power(
    template: dict[str, Any], seed: int, plan: list[Any]
) -> None:
    model = model_of(every_measurand(), **template)
    previous = 0.0
    for (seconds, _, _), (state, reading, _) in zip(
        plan, run_session(model, seed, plan), strict=True
    ):
        assert math.isclose(
            state.session_wh - previous,
            reading.power_w * seconds / 3600,
            rel_tol=1e-9,
            abs_tol=1e-6,
        )
        previous = state.session_wh


# --- the model, example by example --------------------------------------------------------------


@pytest.mark.key("power")
def test_a_fixed_power_charges_its_energy_in_an_hour() -> None:
    model = model_of(
        [{"measurand": "Power.Active.Import", "value": 7400, "fluctuationPercent": 0}],
        power=22000,
        numberOfConnectors=1,
    )
    state = MeterState(soc=10.0, capacity_wh=1e6)
    state, reading = model.advance(state, 3600, 22000, random.Random(1))
    assert reading.power_w == 7400
    assert math.isclose(state.session_wh, 7400)


def test_charging_tapers_as_the_battery_fills() -> None:
    model = model_of(power=11000)
    rng = random.Random(3)
    low = model.advance(MeterState(soc=20.0, demand=1.0), 1, 11000, rng)[1]
    high = model.advance(MeterState(soc=95.0, demand=1.0), 1, 11000, rng)[1]
    full = model.advance(MeterState(soc=100.0, demand=1.0), 60, 11000, rng)[1]
    assert high.power_w < 0.3 * low.power_w
    assert full.power_w == 0 and full.soc == 100


def test_a_full_battery_stops_the_energy_exactly_at_its_capacity() -> None:
    model = model_of([{"measurand": "Power.Active.Import", "value": 50000}], power=50000)
    state = MeterState(soc=99.0, capacity_wh=10_000.0)
    state, reading = model.advance(state, 3600, 50000, random.Random(0))
    assert math.isclose(state.session_wh, 100.0)
    assert state.soc == 100.0
    assert math.isclose(reading.power_w, 100.0)


@pytest.mark.key("customValueLimitationMeterValues")
@pytest.mark.key("Connectors.<id>.MeterValues[].fluctuationPercent")
def test_custom_values_exceed_the_limit_only_when_limitation_is_off() -> None:
    """customValueLimitationMeterValues: a template value above the limit is clamped, unless
    the key is false."""
    values = [{"measurand": "Power.Active.Import", "value": 30000, "fluctuationPercent": 0}]
    limited = model_of(values, power=11000)
    free = model_of(values, power=11000, customValueLimitationMeterValues=False)
    state = MeterState(soc=10.0)
    assert limited.advance(state, 10, 11000, random.Random(0))[1].power_w == 11000
    assert free.advance(state, 10, 11000, random.Random(0))[1].power_w == 30000


@pytest.mark.key("powerSharedByConnectors")
def test_shared_power_is_divided_by_the_connectors_charging() -> None:
    ac = Electrical("AC", 230, 3)
    shared = {"station_power_w": 22000.0, "connectors": 2, "shared": True}
    assert connector_power_limit_w(ac, active=1, **shared) == 22000
    assert connector_power_limit_w(ac, active=2, **shared) == 11000
    assert connector_power_limit_w(ac, active=1, **{**shared, "shared": False}) == 11000


@pytest.mark.key("amperageLimitationUnit")
def test_the_amperage_limit_is_per_phase_on_ac_and_global_on_dc() -> None:
    """amperageLimitationOcppKey, in amperageLimitationUnit (here cA: 1600 cA = 16 A)."""
    amperage = amperage_limit_a("1600", "cA")
    assert amperage == 16
    ac = connector_power_limit_w(
        Electrical("AC", 230, 3),
        station_power_w=None,
        connectors=2,
        active=1,
        shared=False,
        amperage_a=amperage,
    )
    dc = connector_power_limit_w(
        Electrical("DC", 400, 0),
        station_power_w=None,
        connectors=2,
        active=1,
        shared=False,
        amperage_a=amperage,
    )
    assert ac == 230 * 16 * 3
    assert dc == 400 * 16 / 2


def test_a_charging_profile_limit_caps_the_station_limit() -> None:
    limit = connector_power_limit_w(
        Electrical("AC", 230, 3),
        station_power_w=22000.0,
        connectors=1,
        active=1,
        shared=False,
        profile_limit_w=4000.0,
    )
    assert limit == 4000


# --- sampledValue lists -------------------------------------------------------------------------


def phases_of(sampled: list[dict[str, Any]], measurand: str) -> list[str | None]:
    return [s.get("phase") for s in sampled if s["measurand"] == measurand]


@pytest.mark.key("numberOfPhases")
def test_three_phase_values_carry_every_phase() -> None:
    model = model_of(every_measurand(), power=22000)
    _, reading = model.advance(MeterState(soc=20), 60, 22000, random.Random(0))
    sampled = model.sampled_values(ALL_MEASURANDS, reading, "Sample.Periodic")
    assert phases_of(sampled, "Voltage") == [
        None,
        "L1-N",
        "L2-N",
        "L3-N",
        "L1-L2",
        "L2-L3",
        "L3-L1",
    ]
    assert phases_of(sampled, "Current.Import") == [None, "L1", "L2", "L3"]
    assert phases_of(sampled, "Power.Active.Import") == [None, "L1-N", "L2-N", "L3-N"]
    line_to_line = next(s for s in sampled if s.get("phase") == "L1-L2")
    assert math.isclose(
        float(line_to_line["value"]), reading.voltage_v * math.sqrt(3), abs_tol=0.01
    )
    assert {s["context"] for s in sampled} == {"Sample.Periodic"}


@pytest.mark.key("mainVoltageMeterValues", "phaseLineToLineVoltageMeterValues")
def test_main_and_line_to_line_voltages_follow_their_keys() -> None:
    model = model_of(
        every_measurand(),
        power=22000,
        mainVoltageMeterValues=False,
        phaseLineToLineVoltageMeterValues=False,
    )
    reading = model.idle_reading(MeterState(), 22000)
    sampled = model.sampled_values("Voltage", reading, "Sample.Clock")
    assert phases_of(sampled, "Voltage") == ["L1-N", "L2-N", "L3-N"]


@pytest.mark.key("currentOutType", "numberOfPhases")
def test_single_phase_and_dc_values_have_no_phases() -> None:
    for template in ({"numberOfPhases": 1}, {"currentOutType": "DC"}):
        model = model_of(every_measurand(), power=7000, **template)
        sampled = model.sampled_values(
            ALL_MEASURANDS, model.idle_reading(MeterState(), 7000), "Other"
        )
        assert all("phase" not in s for s in sampled)


@pytest.mark.key("powerUnit", "Connectors.<id>.MeterValues[].unit")
@pytest.mark.key("Connectors.<id>.MeterValues[].value")
def test_units_in_kilo_scale_the_values() -> None:
    model = model_of(
        every_measurand(
            **{
                "Energy.Active.Import.Register": {"unit": "kWh"},
                "Power.Active.Import": {"unit": "kW", "value": 7.4, "fluctuationPercent": 0},
            }
        ),
        power=22,
        powerUnit="kW",
        meteringPerTransaction=False,
    )
    _, reading = model.advance(
        MeterState(register_wh=1234.0, soc=10), 1800, 22000, random.Random(0)
    )
    values = main_values(model.sampled_values(ALL_MEASURANDS, reading, "Sample.Periodic"))
    assert values["Power.Active.Import"] == 7.4
    assert values["Energy.Active.Import.Register"] == 4.934  # 1234 Wh + 3700 Wh


@pytest.mark.key("meteringPerTransaction")
def test_the_energy_register_is_per_transaction_with_metering_per_transaction() -> None:
    """meteringPerTransaction (default): the register samples and meterStop report the
    transaction's energy; without it, the connector's lifetime register."""
    per_transaction = model_of(power=22000)
    lifetime = model_of(power=22000, meteringPerTransaction=False)
    state = MeterState(register_wh=5000.4, session_wh=200.2)
    assert per_transaction.energy_wh(state) == 200
    assert lifetime.energy_wh(state) == 5000


@pytest.mark.key("Connectors.<id>.MeterValues", "Connectors.<id>.MeterValues[].measurand")
def test_only_measurands_the_connector_defines_are_sampled() -> None:
    """As in the TS simulator: MeterValuesSampledData lists what may be sent, the connector's
    MeterValues what can be; the energy register is always there."""
    model = model_of([{"measurand": "SoC"}], power=22000)
    reading = model.idle_reading(MeterState(), 0)
    sampled = model.sampled_values("Energy.Active.Import.Register,Voltage,SoC", reading, "Trigger")
    assert [s["measurand"] for s in sampled] == ["Energy.Active.Import.Register", "SoC"]


def test_every_sampled_value_is_valid_ocpp() -> None:
    """Section 7.44 SampledValue: the values, units, phases and contexts of the schema."""
    model = model_of(every_measurand(), power=22000)
    _, reading = model.advance(MeterState(soc=50), 60, 22000, random.Random(0))
    for context in ("Sample.Periodic", "Sample.Clock", "Transaction.Begin", "Transaction.End"):
        sampled = model.sampled_values(ALL_MEASURANDS, reading, context)
        payload = {
            "connectorId": 1,
            "transactionId": 1,
            "meterValue": [{"timestamp": "2026-01-01T00:00:00.000Z", "sampledValue": sampled}],
        }
        schemas.validate("MeterValues", payload)
