"""The meter model's sample lists (core/metering.py) in a spelling that is no version's: the
physics decides the values, the SampleFormat only how they are written."""

from __future__ import annotations

from simulator.station.core.metering import MeterModel, MeterState
from simulator.station.light_random import LightRandom
from simulator.template_model import ConnectorTemplate, StationTemplate
from tests.core.harness import PlainFormat


def model(fmt: PlainFormat, **template: object) -> MeterModel:
    defined = [
        {"measurand": measurand, "unit": unit}
        for measurand, unit in [
            ("Power.Active.Import", "W"),
            ("Current.Import", "A"),
            ("Voltage", "V"),
        ]
    ]
    connector = ConnectorTemplate.model_validate({"MeterValues": defined})
    return MeterModel(StationTemplate.model_validate(template), connector, fmt)


def test_every_sample_is_written_in_the_formats_fields() -> None:
    meter = model(PlainFormat(), numberOfPhases=1, voltageOut=230)
    reading = meter.idle_reading(MeterState(register_wh=1500.0, session_wh=1500.0), 0.0)
    sampled = meter.sampled_values("Energy.Active.Import.Register", reading, "Sample.Clock")
    assert sampled == [
        {"what": "Energy.Active.Import.Register", "unit": "Wh", "phase": None, "v": 1500.0,
         "why": "Sample.Clock"}
    ]  # fmt: skip


def test_the_formats_numbers_carry_the_physics_values() -> None:
    """P = U x I on one phase, whatever the spelling."""
    meter = model(PlainFormat(), numberOfPhases=1, voltageOut=230)
    rng = LightRandom("core")
    _, reading = meter.advance(meter.begin_session(MeterState(), rng), 60.0, 7000.0, rng)
    power, current, voltage = (
        sample["v"]
        for sample in meter.sampled_values(
            "Power.Active.Import,Current.Import,Voltage", reading, "Sample.Periodic"
        )
    )
    assert abs(power - voltage * current) < 1.0


def test_a_measurand_list_is_prepared_once_then_only_numbers_are_written() -> None:
    fmt = PlainFormat()
    meter = model(fmt, numberOfPhases=3)
    reading = meter.idle_reading(MeterState(), 0.0)
    meter.sampled_values("Power.Active.Import", reading, "Sample.Periodic")
    prepared = fmt.prepared
    meter.sampled_values("Power.Active.Import", reading, "Sample.Periodic")
    assert (prepared, fmt.prepared) == (4, 4)  # the total and L1-N, L2-N, L3-N, once
