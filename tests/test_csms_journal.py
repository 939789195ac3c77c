"""The bundled CSMS's journal (simulator/csms/journal.py): every CALL it answered with a
CALLRESULT, on disk before the answer left, kept across restarts; what the fault tests read
back after SIGKILLing the CSMS."""

from __future__ import annotations

from pathlib import Path

import pytest

from simulator.csms import CentralSystem
from simulator.csms.journal import read
from tests.test_csms_server import BOOT, CallErrorFrame, station


async def test_a_call_answered_with_a_callresult_is_in_the_journal(tmp_path: Path) -> None:
    journal = tmp_path / "journal.jsonl"
    csms = CentralSystem("127.0.0.1", 0, journal_path=journal)
    async with csms, station(csms, "CS-1") as cs:
        await cs.boot()
        await cs.request("Heartbeat", {})

    entries = list(read(journal))

    assert [(e.station_id, e.ocpp_version, e.action) for e in entries] == [
        ("CS-1", "1.6", "BootNotification"),
        ("CS-1", "1.6", "Heartbeat"),
    ]
    assert entries[0].payload == BOOT
    assert entries[0].refused is None


@pytest.mark.sends_invalid_messages
async def test_a_call_answered_with_a_callerror_is_in_the_journal_with_its_code(
    tmp_path: Path,
) -> None:
    journal = tmp_path / "journal.jsonl"
    csms = CentralSystem("127.0.0.1", 0, journal_path=journal)
    async with csms, station(csms, "CS-1") as cs:
        with pytest.raises(CallErrorFrame):
            await cs.request("BootNotification", {"chargePointVendor": "no model"})

    assert [(e.action, e.refused) for e in read(journal)] == [("BootNotification", "ProtocolError")]


async def test_a_restarted_csms_appends_to_its_journal(tmp_path: Path) -> None:
    journal = tmp_path / "journal.jsonl"
    csms = CentralSystem("127.0.0.1", 0, journal_path=journal)
    for _ in range(2):
        await csms.start()
        async with station(csms, "CS-1") as cs:
            await cs.boot()
        await csms.stop()

    assert [e.action for e in read(journal)] == ["BootNotification", "BootNotification"]


def test_a_torn_last_line_is_skipped(tmp_path: Path) -> None:
    """A kill in the middle of a write leaves a line without its end: not an entry."""
    journal = tmp_path / "journal.jsonl"
    journal.write_bytes(
        b'["CS-1","2.0.1","Heartbeat",{},"2026-12-02T10:00:00+00:00"]\n["CS-1","2.0.1","Hea'
    )

    assert [e.action for e in read(journal)] == ["Heartbeat"]
