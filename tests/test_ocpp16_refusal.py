"""What a 1.6 station refuses by its registration's state (OCPP 1.6 section 4.2): with
ocppStrictCompliance, RemoteStartTransaction / RemoteStopTransaction while Pending."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from simulator.station.frames import ErrorCode
from simulator.station.ocpp16.adapter import Adapter16
from simulator.template_model import StationTemplate
from tests.fleet import quick_template


def adapter(boot_status: str, **template: Any) -> Adapter16:
    station = SimpleNamespace(
        template=StationTemplate.model_validate(quick_template(**template)),
        boot_response={"status": boot_status},
        clock=None,
        spawn=None,
    )
    return Adapter16(station)  # type: ignore[arg-type]


@pytest.mark.parametrize("action", ["RemoteStartTransaction", "RemoteStopTransaction"])
def test_a_remote_start_or_stop_while_pending_is_a_security_error_under_strict_compliance(
    action: str,
) -> None:
    refusal = adapter("Pending", ocppStrictCompliance=True).refusal(action)

    assert refusal is not None and refusal.code == ErrorCode.SECURITY_ERROR


def test_a_remote_start_while_pending_is_answered_without_strict_compliance() -> None:
    assert adapter("Pending", ocppStrictCompliance=False).refusal("RemoteStartTransaction") is None


def test_a_remote_start_is_answered_once_accepted_under_strict_compliance() -> None:
    assert adapter("Accepted", ocppStrictCompliance=True).refusal("RemoteStartTransaction") is None


def test_other_actions_while_pending_are_answered_under_strict_compliance() -> None:
    assert adapter("Pending", ocppStrictCompliance=True).refusal("GetConfiguration") is None
