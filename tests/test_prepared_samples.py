"""Prepared sample lists (core/sample_lists.py, issue 16): a meter value filled into a list
prepared once per (measurands, context) is the one built the slow way, sample by sample from
its fields, to the key order and the last digit, in the 1.6 spelling and in one that is no
version's."""

from __future__ import annotations

import copy
import pickle
from typing import Any, get_args

import orjson
from hypothesis import given
from hypothesis import strategies as st

from simulator.meter_vocabulary import Location, Measurand, Phase, ReadingContext, UnitOfMeasure
from simulator.station.core.metering import MeterModel, Reading
from simulator.station.core.sample_lists import FIXED, SampleFormat
from simulator.station.ocpp16.sample_format import SAMPLE_FORMAT_16
from simulator.template_model import ConnectorTemplate, StationTemplate
from tests.core.harness import PlainFormat

MEASURANDS = get_args(Measurand)
CONTEXTS = get_args(ReadingContext)


def built_one_by_one(
    model: MeterModel, measurands: str, reading: Reading, context: str
) -> list[dict[str, Any]]:
    """The slow way: each sample a new dict of its planned fields, its number formatted on its
    own, then its context."""
    fmt = model.fmt
    values = model.quantities(reading)
    sampled = []
    for sample in model.plan(measurands):
        item = dict(sample.fields)
        if sample.quantity != FIXED:
            value = values[sample.quantity] * sample.scale
            item[fmt.value_field] = fmt.number(value, sample.decimals)
        item[fmt.context_field] = context
        sampled.append(item)
    return sampled


def in_order(sampled: list[dict[str, Any]]) -> list[list[tuple[str, Any]]]:
    """The samples with their keys in order: dict equality alone ignores the order."""
    return [list(sample.items()) for sample in sampled]


entries = st.fixed_dictionaries(
    {"measurand": st.sampled_from(MEASURANDS)},
    optional={
        "unit": st.sampled_from(get_args(UnitOfMeasure)),
        "phase": st.sampled_from(get_args(Phase)),
        "location": st.sampled_from(get_args(Location)),
        "value": st.floats(-1e4, 1e6, allow_nan=False),
    },
)
stations = st.fixed_dictionaries(
    {
        "currentOutType": st.sampled_from(["AC", "DC"]),
        "numberOfPhases": st.sampled_from([0, 1, 3]),
        "voltageOut": st.sampled_from([110, 230, 400, 800]),
        "mainVoltageMeterValues": st.booleans(),
        "phaseLineToLineVoltageMeterValues": st.booleans(),
        "meteringPerTransaction": st.booleans(),
    }
)
# A sampled-data setting as a CSMS may write it: measurands of the vocabulary, blanks, spaces,
# repeats and names the vocabulary does not have.
measurand_lists = st.lists(
    st.one_of(
        st.sampled_from(MEASURANDS),
        st.sampled_from(MEASURANDS).map(lambda m: f" {m} "),
        st.sampled_from(["", "Bogus"]),
    ),
    max_size=8,
).map(",".join)
numbers = st.floats(-1e3, 1e9, allow_nan=False) | st.sampled_from([0.0, -0.0, 0.004, -0.004])
readings = st.builds(Reading, *([numbers] * 8))
formats: st.SearchStrategy[SampleFormat] = st.sampled_from([SAMPLE_FORMAT_16, PlainFormat()])


@given(
    station=stations,
    connector=st.lists(entries, max_size=12),
    fmt=formats,
    calls=st.lists(
        st.tuples(measurand_lists, st.sampled_from(CONTEXTS), readings), min_size=1, max_size=8
    ),
)
def test_a_filled_prepared_list_is_the_list_built_sample_by_sample(
    station: dict[str, Any],
    connector: list[dict[str, Any]],
    fmt: SampleFormat,
    calls: list[tuple[str, str, Reading]],
) -> None:
    """Any measurand list of the template vocabulary, any units, phases, locations and fixed
    values, any context and reading; the calls in a row, so that later ones fill lists prepared
    by earlier ones (the same measurands in another context too)."""
    model = MeterModel(
        StationTemplate.model_validate(station),
        ConnectorTemplate.model_validate({"MeterValues": connector}),
        fmt,
    )
    for measurands, context, reading in calls:
        prepared = model.sampled_values(measurands, reading, context)
        slow = built_one_by_one(model, measurands, reading, context)

        assert in_order(prepared) == in_order(slow)
        if fmt is SAMPLE_FORMAT_16:
            assert orjson.dumps(prepared) == orjson.dumps(slow)  # the bytes the CSMS gets


def mv_model(fmt: SampleFormat) -> MeterModel:
    """Three phases with every sample list feature: totals and phases sharing numbers,
    line-to-line voltages, a kilo unit and a fixed Temperature."""
    station = StationTemplate.model_validate(
        {"numberOfPhases": 3, "phaseLineToLineVoltageMeterValues": True}
    )
    connector = ConnectorTemplate.model_validate(
        {
            "MeterValues": [
                {"measurand": "Energy.Active.Import.Register", "unit": "kWh"},
                {"measurand": "Power.Active.Import", "unit": "W"},
                {"measurand": "Voltage", "unit": "V"},
                {"measurand": "Temperature", "unit": "Celsius", "value": 21.5},
            ]
        }
    )
    return MeterModel(station, connector, fmt)


ALL = "Energy.Active.Import.Register,Power.Active.Import,Voltage,Temperature"
READING = Reading(12_345.6, 2_000.0, 11_040.0, 231.2, 15.9, 50.0, 22_000.0, 50.0)


def test_editing_a_filled_list_leaves_the_next_fillings_as_they_were() -> None:
    model = mv_model(SAMPLE_FORMAT_16)
    first = model.sampled_values(ALL, READING, "Sample.Periodic")
    for sample in first:
        sample["value"] = "edited"
        sample["context"] = "Other"
    first.append({"value": "1"})

    again = model.sampled_values(ALL, READING, "Sample.Periodic")

    assert in_order(again) == in_order(built_one_by_one(model, ALL, READING, "Sample.Periodic"))


def test_a_context_reuses_the_plan_of_its_measurand_list() -> None:
    """The fields are spelled once per measurand list, whatever the contexts it is read in."""
    fmt = PlainFormat()
    model = mv_model(fmt)
    model.sampled_values(ALL, READING, "Sample.Periodic")
    spelled = fmt.prepared
    model.sampled_values(ALL, READING, "Sample.Clock")
    model.sampled_values(ALL, READING, "Transaction.End")

    assert fmt.prepared == spelled


def test_a_filled_list_copies_and_pickles_as_a_plain_list() -> None:
    """What leaves the sampler as a copy carries no tie to the prepared list (nor its weight
    in a pickle)."""
    filled = mv_model(SAMPLE_FORMAT_16).sampled_values(ALL, READING, "Trigger")

    for copied in (copy.copy(filled), copy.deepcopy(filled), pickle.loads(pickle.dumps(filled))):
        assert type(copied) is list
        assert copied == filled
