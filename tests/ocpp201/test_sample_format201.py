"""The OCPP 2.0.1 spelling of meter samples (ocpp201/sample_format.py) over the shared meter
model (core/metering.py), checked against the v201 MeterValueType."""

from __future__ import annotations

import copy

from simulator.station.core.metering import MeterModel, MeterState
from simulator.station.core.tx_sampling import thin_out
from simulator.station.light_random import LightRandom
from simulator.station.ocpp201.sample_format import SAMPLE_FORMAT_201
from simulator.template_model import ConnectorTemplate, StationTemplate
from tests.device_model_support import schema

METER_VALUES = schema("MeterValuesRequest")


def model(**template: object) -> MeterModel:
    station = StationTemplate.model_validate({"power": 22000, "numberOfPhases": 3, **template})
    connector = ConnectorTemplate.model_validate(
        {
            "MeterValues": [
                {"measurand": "Energy.Active.Import.Register", "unit": "kWh"},
                {"measurand": "Voltage", "unit": "V"},
                {"measurand": "Power.Active.Import", "unit": "W"},
                {"measurand": "SoC", "unit": "Percent", "location": "EV"},
            ]
        }
    )
    return MeterModel(station, connector, SAMPLE_FORMAT_201)


def test_a_2_0_1_sample_is_a_number_with_a_unit_of_measure_and_v201_valid() -> None:
    meter = model()
    _, reading = meter.advance(MeterState(register_wh=1234.0), 60, 11000, LightRandom(1))
    sampled = meter.sampled_values(
        "Energy.Active.Import.Register,Voltage,Power.Active.Import,SoC", reading, "Sample.Periodic"
    )
    value = {"timestamp": "2026-01-01T00:00:00Z", "sampledValue": sampled}
    METER_VALUES(copy.deepcopy({"evseId": 1, "meterValue": [value]}))
    energy = sampled[0]
    assert energy["unitOfMeasure"] == {"unit": "kWh"}
    assert isinstance(energy["value"], float)
    assert energy["value"] == round(meter.energy_wh(reading) / 1000, 3)
    phases = {s.get("phase") for s in sampled if s["measurand"] == "Voltage"}
    assert {"L1-N", "L2-N", "L3-N"} <= phases
    assert next(s for s in sampled if s["measurand"] == "SoC")["location"] == "EV"


def test_a_whole_number_energy_in_wh_is_an_integer() -> None:
    assert SAMPLE_FORMAT_201.number(1234.4, 0) == 1234
    assert SAMPLE_FORMAT_201.number(-0.0001, 2) == 0.0


def test_a_full_list_of_kept_samples_drops_the_1st_3rd_5th_E06_FR_13() -> None:
    data = [{"n": n} for n in range(100)]  # n 0: the begin value
    cursor = 1
    for n in range(100, 103):
        cursor = thin_out(data, cursor)
        data.append({"n": n})
    gone = sorted(set(range(103)) - {item["n"] for item in data})
    assert gone == [1, 3, 5]
    assert data[0] == {"n": 0}
