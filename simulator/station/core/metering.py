"""The meter of one connector: a pure physical model and the sample lists built from it.

The model keeps one state per connector (the energy register, the session's energy and the EV's
state of charge) and advances it over an interval at one power. Every value a MeterValue carries
(power, current, voltage, energy, SoC, offered power) comes from the same Reading, so they agree:
P = U x I x phases (U x I for DC), the energy grows by P x interval, the power stays within the
active limit and tapers as the battery fills. Randomness (fluctuation, the EV of a session) comes
from the caller's generator (light_random.Rng), so a seeded station replays the same numbers.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, replace

from simulator.station.core.measurands import (
    CURRENT,
    ENERGY,
    FREQUENCY,
    POWER,
    SOC,
    UNIT_SCALE,
    VOLTAGE,
)
from simulator.station.core.sample_lists import (
    PreparedSamples,
    Sample,
    SampledValues,
    SampleFormat,
    plan_samples,
)
from simulator.station.light_random import Rng
from simulator.template_model import ConnectorTemplate, SampledValueTemplate, StationTemplate

# The TS simulator's fluctuation when a template gives a value without fluctuationPercent.
DEFAULT_FLUCTUATION_PERCENT = 5.0
# Without power or amperage limit in the template, a connector offers what a common wall box
# does: 32 A per phase on AC, 125 A on DC.
DEFAULT_AC_AMPERAGE = 32.0
DEFAULT_DC_AMPERAGE = 125.0
# Constant power up to this SoC, then a linear taper to zero at 100 % (CC/CV charging, roughly).
TAPER_FROM_SOC = 80.0
NOMINAL_FREQUENCY_HZ = 50.0

_AMPERAGE_UNIT_FACTOR = {"A": 1.0, "dA": 0.1, "cA": 0.01, "mA": 0.001}
# Distinct sample lists kept per model: a CSMS may set the sampled measurands at will.
_PREPARED_LIMIT = 256


# --- electrical limits --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Electrical:
    """The station's output: AC with 1 or 3 phases, or DC."""

    current_type: str  # "AC" | "DC"
    voltage: float  # phase-to-neutral on AC
    phases: int  # as the template says; 0 on DC

    @property
    def factor(self) -> int:
        """The n in P = U x I x n: the phase count on AC, 1 on DC."""
        return self.phases if self.current_type == "AC" and self.phases > 0 else 1

    @property
    def three_phase(self) -> bool:
        return self.current_type == "AC" and self.phases == 3

    @classmethod
    def of(cls, template: StationTemplate) -> Electrical:
        return cls(
            template.current_out_type, float(template.voltage_out), template.number_of_phases
        )


def station_power_w(template: StationTemplate, seed: int) -> float | None:
    """The station's maximum power in W; a list in the template is drawn from once, with the
    station's seed."""
    power = template.power
    if power is None:
        return None
    value = random.Random(f"{seed}:power").choice(power) if isinstance(power, list) else power
    return float(value) * (1000.0 if template.power_unit == "kW" else 1.0)


def amperage_limit_a(raw: str | None, unit: str) -> float | None:
    """The amperageLimitationOcppKey value in A (the key holds it in amperageLimitationUnit)."""
    if raw is None:
        return None
    try:
        value = float(raw)
    except ValueError:
        return None
    return value * _AMPERAGE_UNIT_FACTOR.get(unit, 1.0) if value > 0 else None


def connector_power_limit_w(
    electrical: Electrical,
    *,
    station_power_w: float | None,
    connectors: int,
    active: int,
    shared: bool,
    amperage_a: float | None = None,
    profile_limit_w: float | None = None,
    connector_max_w: float | None = None,
) -> float:
    """The power one connector may draw now (the TS simulator's rule).

    The station's power is divided by its connectors, or by the connectors in a transaction when
    powerSharedByConnectors. The amperage limit is per phase and per connector on AC (so the
    station total is U x A x phases x connectors) and station-wide on DC; it is divided the same
    way. The connector's own maximumPower (template Connectors.N) and a charging-profile limit,
    when one applies, cap the result.
    """
    divider = max(1, active if shared else connectors)
    limits: list[float] = []
    if station_power_w is not None:
        limits.append(station_power_w / divider)
    if amperage_a is not None:
        if electrical.current_type == "AC":
            total = electrical.voltage * amperage_a * electrical.factor * max(1, connectors)
        else:
            total = electrical.voltage * amperage_a
        limits.append(total / divider)
    if not limits:
        amperage = DEFAULT_AC_AMPERAGE if electrical.current_type == "AC" else DEFAULT_DC_AMPERAGE
        limits.append(electrical.voltage * amperage * electrical.factor)
    if connector_max_w is not None:
        limits.append(connector_max_w)
    if profile_limit_w is not None:
        limits.append(profile_limit_w)
    return max(0.0, min(limits))


# --- the model ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Target:
    """A template's `value` (in SI units) and the fluctuation around it."""

    value: float
    fluctuation_percent: float

    def draw(self, rng: Rng) -> float:
        if self.fluctuation_percent <= 0:
            return self.value
        spread = self.value * self.fluctuation_percent / 100.0
        return self.value + rng.uniform(-spread, spread)


@dataclass(frozen=True, slots=True)
class MeterState:
    """What the meter and the EV remember between two samples."""

    register_wh: float = 0.0  # the connector's register: never decreases
    session_wh: float = 0.0  # energy of the running transaction
    soc: float = 0.0  # the EV's state of charge, percent
    demand: float = 1.0  # the share of the limit this session's EV asks for
    capacity_wh: float = 60_000.0  # this session's battery


@dataclass(frozen=True, slots=True)
class Reading:
    """One instant of the connector, every value derived from the same state."""

    register_wh: float
    session_wh: float
    power_w: float  # average over the interval that ended at this reading
    voltage_v: float  # phase-to-neutral on AC
    current_a: float  # per phase on AC
    soc: float
    limit_w: float
    frequency_hz: float


def _target(template: SampledValueTemplate | None) -> Target | None:
    if template is None or template.value is None:
        return None
    scale = UNIT_SCALE.get(template.unit or "", 1.0)
    fluctuation = (
        template.fluctuation_percent
        if template.fluctuation_percent is not None
        else DEFAULT_FLUCTUATION_PERCENT
    )
    return Target(template.value / scale, fluctuation)


def _first_templates(
    templates: Sequence[SampledValueTemplate],
) -> dict[str, SampledValueTemplate]:
    """Measurand -> its template, the one without phase when there is one."""
    chosen: dict[str, SampledValueTemplate] = {}
    for item in templates:
        measurand = item.measurand or ENERGY
        if measurand not in chosen or (chosen[measurand].phase is not None and item.phase is None):
            chosen[measurand] = item
    return chosen


class MeterModel:
    """The meter of one connector, prepared once from the templates.

    `sampled_values` lists, per comma-separated measurand list (the sampled-data setting and
    the like) and context, are prepared on first use in `fmt`'s spelling and cached
    (sample_lists.py): building a meter value is then filling in its numbers.
    """

    def __init__(
        self, template: StationTemplate, connector: ConnectorTemplate, fmt: SampleFormat
    ) -> None:
        self.fmt = fmt
        self.electrical = Electrical.of(template)
        self.templates = _first_templates(connector.meter_values)
        self.power = _target(self.templates.get(POWER))
        self.current = _target(self.templates.get(CURRENT))
        voltage = _target(self.templates.get(VOLTAGE))
        self.voltage = voltage or Target(self.electrical.voltage, 0.0)
        self.soc_start = _target(self.templates.get(SOC))
        self.frequency = _target(self.templates.get(FREQUENCY)) or Target(NOMINAL_FREQUENCY_HZ, 0.0)
        self.limit_custom_values = template.custom_value_limitation_meter_values
        self.metering_per_transaction = template.metering_per_transaction
        self.main_voltage = template.main_voltage_meter_values
        self.line_to_line = template.phase_line_to_line_voltage_meter_values
        self._plans: dict[str, tuple[Sample, ...]] = {}
        self._prepared: dict[tuple[str, str], PreparedSamples] = {}

    # -- physics --------------------------------------------------------------------------

    def begin_session(self, state: MeterState, rng: Rng) -> MeterState:
        """A new EV plugs in: its battery, its state of charge and how hard it pulls."""
        soc = self.soc_start.draw(rng) if self.soc_start else rng.uniform(10.0, 60.0)
        return replace(
            state,
            session_wh=0.0,
            soc=min(100.0, max(0.0, soc)),
            demand=rng.uniform(0.6, 1.0),
            capacity_wh=rng.uniform(40_000.0, 100_000.0),
        )

    def advance(
        self, state: MeterState, seconds: float, limit_w: float, rng: Rng
    ) -> tuple[MeterState, Reading]:
        """Charge for `seconds` under `limit_w`: the new state and the reading at its end."""
        taper = min(1.0, max(0.0, (100.0 - state.soc) / (100.0 - TAPER_FROM_SOC)))
        voltage = max(0.0, self.voltage.draw(rng))
        factor = self.electrical.factor
        if self.power is not None:
            wanted = self.power.draw(rng)
            custom = True
        elif self.current is not None:
            wanted = voltage * self.current.draw(rng) * factor
            custom = True
        else:
            wanted = Target(limit_w * state.demand, DEFAULT_FLUCTUATION_PERCENT).draw(rng)
            custom = False
        # customValueLimitationMeterValues false lets a template's own value exceed the limit.
        unlimited = custom and not self.limit_custom_values
        power = max(0.0, wanted * taper if unlimited else min(wanted, limit_w * taper))
        seconds = max(0.0, seconds)
        energy = power * seconds / 3600.0
        # The battery cannot take more than it lacks: the average power over the interval is
        # what it did take, so energy = power x time holds to the last Wh.
        room = max(0.0, (100.0 - state.soc) / 100.0 * state.capacity_wh)
        if energy > room:
            energy = room
            power = energy * 3600.0 / seconds if seconds > 0 else 0.0
        soc = min(100.0, state.soc + energy / state.capacity_wh * 100.0)
        new_state = replace(
            state,
            register_wh=state.register_wh + energy,
            session_wh=state.session_wh + energy,
            soc=soc,
        )
        current = power / (voltage * factor) if voltage > 0 else 0.0
        return new_state, Reading(
            register_wh=new_state.register_wh,
            session_wh=new_state.session_wh,
            power_w=power,
            voltage_v=voltage,
            current_a=current,
            soc=soc,
            limit_w=limit_w,
            frequency_hz=self.frequency.value,
        )

    def idle_reading(self, state: MeterState, limit_w: float) -> Reading:
        """The meter when nothing charges: nominal voltage, no current."""
        return Reading(
            register_wh=state.register_wh,
            session_wh=state.session_wh,
            power_w=0.0,
            voltage_v=self.voltage.value,
            current_a=0.0,
            soc=state.soc,
            limit_w=limit_w,
            frequency_hz=self.frequency.value,
        )

    def energy_wh(self, reading: Reading | MeterState) -> int:
        """The register as meterStart/meterStop and the energy samples report it: whole Wh, the
        transaction's energy when meteringPerTransaction, else the connector's register."""
        value = reading.session_wh if self.metering_per_transaction else reading.register_wh
        return round(value)

    # -- sample lists ---------------------------------------------------------------------

    def sampled_values(self, measurands: str, reading: Reading, context: str) -> SampledValues:
        """The samples of `measurands` (a comma-separated list) for one reading; `context` a
        ReadingContext value (the same spelling in 1.6 and 2.0.1: "Sample.Periodic", ...)."""
        prepared = self._prepared.get((measurands, context))
        if prepared is None:
            prepared = self._prepare(measurands, context)
        return prepared.fill(self.quantities(reading))

    def quantities(self, reading: Reading) -> dict[str, float]:
        """What a sample reads of `reading`, by quantity name (sample_lists.Sample.quantity),
        in SI units."""
        electrical = self.electrical
        return {
            "energy": float(self.energy_wh(reading)),
            "power": reading.power_w,
            "current": reading.current_a,
            "voltage": reading.voltage_v,
            "soc": reading.soc,
            "frequency": reading.frequency_hz,
            "power_offered": reading.limit_w,
            "current_offered": (
                reading.limit_w / (electrical.voltage * electrical.factor)
                if electrical.voltage > 0
                else 0.0
            ),
        }

    def plan(self, measurands: str) -> tuple[Sample, ...]:
        """The samples `measurands` makes on this connector, spelled by the model's format."""
        plan = self._plans.get(measurands)
        if plan is None:
            if len(self._plans) >= _PREPARED_LIMIT:
                self._plans.clear()
            plan = self._plans[measurands] = plan_samples(
                measurands,
                self.templates,
                self.fmt,
                three_phase=self.electrical.three_phase,
                main_voltage=self.main_voltage,
                line_to_line=self.line_to_line,
            )
        return plan

    def _prepare(self, measurands: str, context: str) -> PreparedSamples:
        if len(self._prepared) >= _PREPARED_LIMIT:
            self._prepared.clear()
        prepared = PreparedSamples(self.plan(measurands), self.fmt, context)
        self._prepared[(measurands, context)] = prepared
        return prepared


_MODELS: dict[tuple[int, int, int], tuple[StationTemplate, ConnectorTemplate, MeterModel]] = {}
_MODELS_LIMIT = 1024


def meter_model(
    template: StationTemplate, connector: ConnectorTemplate, fmt: SampleFormat
) -> MeterModel:
    """The model of a connector template, shared by every station of the template (and
    version): its prepared sample lists are built once per fleet, not once per station."""
    # `fmt` is one of the adapters' module-level formats: its id is never reused.
    key = (id(template), id(connector), id(fmt))
    cached = _MODELS.get(key)
    # The templates are kept in the entry, so an id cannot be reused while it is cached.
    if cached is not None and cached[0] is template and cached[1] is connector:
        return cached[2]
    if len(_MODELS) >= _MODELS_LIMIT:
        _MODELS.clear()  # reloaded templates: let the old ones go
    model = MeterModel(template, connector, fmt)
    _MODELS[key] = (template, connector, model)
    return model


__all__ = [
    "ENERGY",
    "Electrical",
    "MeterModel",
    "MeterState",
    "Reading",
    "SampleFormat",
    "Target",
    "amperage_limit_a",
    "connector_power_limit_w",
    "meter_model",
    "station_power_w",
]
