"""A meter's sample lists: planned once per measurand list, prepared once per context, then
filled with the numbers of each reading.

Which samples a comma-separated measurand list makes (a total and its phases, their units, the
line-to-line voltages) depends only on the connector's template and the station's output; how
they are spelled only on the version's `SampleFormat`; their context only on why the meter is
read. So a list is prepared once per (measurands, context): every sample a finished dict but for
its number, and the numbers a few distinct slots (quantity, scale, decimals), since a total and
its phases often share one. Filling it for a reading is then one number format per slot and one
dict copy per sample: the fleet's hot path (issue 16), the same output as building each sample
from its fields (tests/test_prepared_samples.py holds the two equal).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from simulator.station.core.measurands import (
    CURRENT,
    CURRENT_OFFERED,
    DEFAULT_UNITS,
    ENERGY,
    FREQUENCY,
    POWER,
    POWER_OFFERED,
    SOC,
    UNIT_SCALE,
    VOLTAGE,
)
from simulator.template_model import SampledValueTemplate

SQRT3 = math.sqrt(3.0)
FIXED = "fixed"  # the quantity of a sample whose value is the template's own (Temperature...)


class SampleFormat(Protocol):
    """How a version spells one sample and a timed list of them (1.6 sampledValue: the value a
    string, 2.0.1 SampledValueType: a number with unitOfMeasure). Read once per prepared list,
    so the cost per meter value stays one dict copy per sample and one number per slot."""

    value_field: str
    context_field: str

    def fields(
        self, measurand: str, unit: str | None, location: str | None, phase: str | None
    ) -> tuple[tuple[str, Any], ...]: ...

    def number(self, value: float, decimals: int) -> Any: ...

    def meter_value(self, timestamp: str, sampled: list[dict[str, Any]]) -> dict[str, Any]: ...


@dataclass(frozen=True, slots=True)
class Sample:
    """One sample of a plan: its fixed fields as the format spells them (the value too, for a
    FIXED one) and how its number is read: `quantity` of the reading x `scale`, `decimals`."""

    fields: tuple[tuple[str, Any], ...]
    quantity: str
    scale: float
    decimals: int


# (quantity, scale factor, decimals, phase) of one sample, before the format spells it.
_Spec = tuple[str, float, int, str | None]


def _specs(
    measurand: str, scale: float, *, three_phase: bool, main_voltage: bool, line_to_line: bool
) -> list[_Spec]:
    """The samples a computed measurand makes: its total, and its phases on three phases."""
    if measurand == ENERGY:
        return [("energy", scale, 3 if scale != 1.0 else 0, None)]
    if measurand == POWER:
        phases = ("L1-N", "L2-N", "L3-N") if three_phase else ()
        return [("power", scale, 2, None), *(("power", scale / 3.0, 2, p) for p in phases)]
    if measurand == CURRENT:
        phases = ("L1", "L2", "L3") if three_phase else ()
        return [("current", scale, 2, None), *(("current", scale, 2, p) for p in phases)]
    if measurand == VOLTAGE:
        specs: list[_Spec] = []
        if main_voltage or not three_phase:
            specs.append(("voltage", scale, 2, None))
        if three_phase:
            specs.extend(("voltage", scale, 2, p) for p in ("L1-N", "L2-N", "L3-N"))
            if line_to_line:
                specs.extend(("voltage", scale * SQRT3, 2, p) for p in ("L1-L2", "L2-L3", "L3-L1"))
        return specs
    quantity = _QUANTITIES.get(measurand)
    return [(quantity, 1.0 if measurand in _UNSCALED else scale, 2, None)] if quantity else []


_QUANTITIES = {
    SOC: "soc",
    FREQUENCY: "frequency",
    POWER_OFFERED: "power_offered",
    CURRENT_OFFERED: "current_offered",
}
_UNSCALED = frozenset({SOC, FREQUENCY})


def plan_samples(
    measurands: str,
    templates: Mapping[str, SampledValueTemplate],
    fmt: SampleFormat,
    *,
    three_phase: bool,
    main_voltage: bool,
    line_to_line: bool,
) -> tuple[Sample, ...]:
    """The samples of `measurands` (comma-separated) on a connector whose templates are
    `templates` (measurand -> its entry): a measurand the connector does not define is not
    sampled (the TS simulator's rule), Energy.Active.Import.Register always is; one the model
    does not compute (Temperature, RPM...) carries the template's fixed value."""
    samples: list[Sample] = []
    for measurand in (m.strip() for m in measurands.split(",")):
        if not measurand:
            continue
        template = templates.get(measurand)
        if template is None and measurand != ENERGY:
            continue
        unit = (template.unit if template else None) or DEFAULT_UNITS.get(measurand)
        scale = UNIT_SCALE.get(unit or "", 1.0)
        location = template.location if template is not None else None
        specs = _specs(
            measurand,
            scale,
            three_phase=three_phase,
            main_voltage=main_voltage,
            line_to_line=line_to_line,
        )
        for quantity, factor, decimals, phase in specs:
            fields = fmt.fields(measurand, unit, location, phase)
            samples.append(Sample(fields, quantity, factor, decimals))
        if not specs and template is not None and template.value is not None:
            fields = fmt.fields(measurand, unit, location, None)
            fixed = (*fields, (fmt.value_field, fmt.number(template.value, 2)))
            samples.append(Sample(fixed, FIXED, 1.0, 2))
    return tuple(samples)


class PreparedSamples:
    """The samples of one plan and context, every field in place but the numbers."""

    __slots__ = ("_number", "_value_field", "constants", "samples", "size", "slots")

    def __init__(self, plan: Sequence[Sample], fmt: SampleFormat, context: str) -> None:
        value_field = fmt.value_field
        slots: dict[tuple[str, float, int], int] = {}
        for sample in plan:
            if sample.quantity != FIXED:
                slots.setdefault((sample.quantity, sample.scale, sample.decimals), len(slots))
        constants: list[Any] = []  # the FIXED samples' values, numbered after the slots
        samples: list[tuple[dict[str, Any], int]] = []
        for sample in plan:
            template = dict(sample.fields)
            if sample.quantity == FIXED:
                slot = len(slots) + len(constants)
                constants.append(template[value_field])
            else:
                template[value_field] = None  # its place in the key order, filled later
                slot = slots[(sample.quantity, sample.scale, sample.decimals)]
            template[fmt.context_field] = context
            samples.append((template, slot))
        self.slots = tuple(slots)
        self.constants = tuple(constants)
        self.samples = tuple(samples)
        self.size = len(samples)
        self._number: Callable[[float, int], Any] = fmt.number
        self._value_field = value_field

    def fill(self, values: Mapping[str, float]) -> SampledValues:
        """The samples for one reading's `values` (quantity -> its SI value)."""
        number = self._number
        numbers = [number(values[name] * scale, decimals) for name, scale, decimals in self.slots]
        numbers.extend(self.constants)
        field = self._value_field
        filled = SampledValues([{**sample, field: numbers[slot]} for sample, slot in self.samples])
        filled.prepared = self
        return filled


class SampledValues(list[dict[str, Any]]):
    """A prepared list filled for one reading: a plain list to every reader, that also names
    the prepared list it was filled from, so that a validator that accepted one filling can
    vouch for the next ones without reading each sample (ocpp16/schemas.py). What relies on it:
    nothing edits a meter value once made (it is what the station sends, queues and persists);
    a copy, a slice or a pickled one is a plain list."""

    __slots__ = ("prepared",)
    prepared: PreparedSamples

    def __reduce__(self) -> tuple[Any, ...]:
        return (list, (list(self),))


__all__ = [
    "FIXED",
    "PreparedSamples",
    "Sample",
    "SampleFormat",
    "SampledValues",
    "plan_samples",
]
