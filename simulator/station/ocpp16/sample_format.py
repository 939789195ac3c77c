"""The OCPP 1.6 spelling of meter samples (section 7.43 SampledValue, 7.42 MeterValue): the
value a decimal string, the unit, location and phase as their own fields."""

from __future__ import annotations

from typing import Any

# The format spec of each number of decimals the meter uses: made once, not at every number.
_SPECS = {decimals: f".{decimals}f" for decimals in range(7)}


def _number(value: float, decimals: int) -> str:
    """A sampledValue value: fixed decimals, trailing zeros dropped ("230", "7.36")."""
    text = format(value, _SPECS.get(decimals) or f".{decimals}f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def meter_value(timestamp: str, sampled: list[dict[str, Any]]) -> dict[str, Any]:
    return {"timestamp": timestamp, "sampledValue": sampled}


class SampleFormat16:
    value_field = "value"
    context_field = "context"

    def fields(
        self, measurand: str, unit: str | None, location: str | None, phase: str | None
    ) -> tuple[tuple[str, Any], ...]:
        fields: list[tuple[str, Any]] = [("measurand", measurand)]
        if unit:
            fields.append(("unit", unit))
        if location:
            fields.append(("location", location))
        if phase:
            fields.append(("phase", phase))
        return tuple(fields)

    # Plain functions, not methods: the hot path calls them with no bound-method layer.
    number = staticmethod(_number)
    meter_value = staticmethod(meter_value)


SAMPLE_FORMAT_16 = SampleFormat16()

__all__ = ["SAMPLE_FORMAT_16", "SampleFormat16", "meter_value"]
