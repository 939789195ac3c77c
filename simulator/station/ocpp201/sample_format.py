"""The OCPP 2.0.1 spelling of meter samples (Part 2 2.47 SampledValueType, 2.44 MeterValueType,
2.53 UnitOfMeasureType): the value a number, the unit inside unitOfMeasure. The measurands,
phases, locations and reading contexts are spelled as in 1.6, so the meter physics
(core/metering.py) and its prepared sample lists serve both versions."""

from __future__ import annotations

from typing import Any


def _number(value: float, decimals: int) -> float | int:
    """A sampledValue value: a whole number without decimals (an energy register in Wh),
    else rounded to `decimals`; never -0."""
    if decimals <= 0:
        return round(value)
    return round(value, decimals) + 0.0  # -0.0 + 0.0 is 0.0


def meter_value(timestamp: str, sampled: list[dict[str, Any]]) -> dict[str, Any]:
    return {"timestamp": timestamp, "sampledValue": sampled}


class SampleFormat201:
    value_field = "value"
    context_field = "context"

    def fields(
        self, measurand: str, unit: str | None, location: str | None, phase: str | None
    ) -> tuple[tuple[str, Any], ...]:
        fields: list[tuple[str, Any]] = [("measurand", measurand)]
        if phase:
            fields.append(("phase", phase))
        if location:
            fields.append(("location", location))
        if unit:
            # Read-only and shared by every sample of the prepared list: never mutated.
            fields.append(("unitOfMeasure", {"unit": unit}))
        return tuple(fields)

    # Plain functions, not methods: the hot path calls them with no bound-method layer.
    number = staticmethod(_number)
    meter_value = staticmethod(meter_value)


SAMPLE_FORMAT_201 = SampleFormat201()

__all__ = ["SAMPLE_FORMAT_201", "SampleFormat201", "meter_value"]
