"""A payload the session validates is sent as built: the schemas' defaults are not written into
it (OCPP-J 2.0.1 P4 4.1.5: optional fields are omitted)."""

from __future__ import annotations

from simulator.station.ocpp201.schemas import SCHEMAS201


def test_validating_a_notify_report_leaves_out_the_optional_tbc() -> None:
    payload = {"requestId": 1, "generatedAt": "2026-12-02T10:00:00Z", "seqNo": 0}

    SCHEMAS201.validate("NotifyReport", payload)

    assert payload == {"requestId": 1, "generatedAt": "2026-12-02T10:00:00Z", "seqNo": 0}
