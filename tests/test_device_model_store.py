"""A 2.0.1 station's device-model values (issue 15): what is stored, what outlives a restart, and
the template's `Configuration.configurationKey` entries keyed `Component.Variable[.Instance]`."""

from __future__ import annotations

import json

from simulator.station.ocpp201.device_model import StationValues
from simulator.station.ocpp201.device_model_template import template_values
from tests.device_model_support import item, model, set_, value_of

# -- stored values --------------------------------------------------------------------------------


def test_persisted_values_come_back_after_a_restart() -> None:
    values = StationValues()
    set_(values, item("SampledDataCtrlr", "TxUpdatedInterval", value="15"))
    saved = json.loads(json.dumps(values.persisted(model())))
    restored = StationValues()

    dropped = restored.restore(model(), saved)

    assert (dropped, value_of(restored, "SampledDataCtrlr", "TxUpdatedInterval")) == (0, "15")


def test_a_value_set_by_the_csms_outlives_the_template_value_after_a_restart() -> None:
    keys = [{"key": "SampledDataCtrlr.TxUpdatedInterval", "value": "30"}]
    values = template_values(model(), keys).values
    set_(values, item("SampledDataCtrlr", "TxUpdatedInterval", value="15"))
    restarted = template_values(model(), keys).values

    restarted.restore(model(), values.persisted(model()))

    assert value_of(restarted, "SampledDataCtrlr", "TxUpdatedInterval") == "15"


def test_template_values_are_not_persisted_so_a_changed_template_takes_effect() -> None:
    values = template_values(
        model(), [{"key": "SampledDataCtrlr.TxUpdatedInterval", "value": "30"}]
    ).values

    assert values.persisted(model()) == []


def test_a_persisted_value_of_a_variable_the_model_dropped_is_ignored() -> None:
    saved = [
        {
            "component": {"name": "GoneCtrlr"},
            "variable": {"name": "Old"},
            "attributeType": "Actual",
            "attributeValue": "1",
        }
    ]
    values = StationValues()

    assert values.restore(model(), saved) == 1
    assert values.overrides() == {}


# -- the template's Configuration.configurationKey ------------------------------------------------


def test_template_keys_component_dot_variable_set_the_actual_value() -> None:
    done = template_values(
        model(),
        [
            {"key": "SampledDataCtrlr.TxUpdatedInterval", "readonly": False, "value": "30"},
            {"key": "OCPPCommCtrlr.MessageAttempts.TransactionEvent", "value": "5"},
            {"key": "AuthCtrlr.LocalPreAuthorization", "value": "true"},
        ],
    )

    assert done.problems == ()
    assert value_of(done.values, "SampledDataCtrlr", "TxUpdatedInterval") == "30"
    assert value_of(done.values, "OCPPCommCtrlr", "MessageAttempts", "TransactionEvent") == "5"
    assert value_of(done.values, "AuthCtrlr", "LocalPreAuthorize") == "true"


def test_a_template_key_marked_readonly_cannot_be_set_by_the_csms() -> None:
    done = template_values(
        model(), [{"key": "TxCtrlr.EVConnectionTimeOut", "readonly": True, "value": "180"}]
    )

    [result] = set_(done.values, item("TxCtrlr", "EVConnectionTimeOut", value="30"))

    assert result["attributeStatus"] == "Rejected"
    assert value_of(done.values, "TxCtrlr", "EVConnectionTimeOut") == "180"


def test_template_keys_evsim_cannot_use_are_one_line_each_and_skipped() -> None:
    done = template_values(
        model(),
        [
            {"key": "HeartbeatInterval", "value": "60"},
            {"key": "WarpCtrlr.Enabled", "value": "true"},
            {"key": "TxCtrlr.Warp", "value": "1"},
            {"key": "OCPPCommCtrlr.HeartbeatInterval", "value": "soon"},
        ],
    )

    assert len(done.problems) == 4
    assert all("\n" not in p and p.startswith("key '") for p in done.problems)
    assert done.values.overrides() == {}
