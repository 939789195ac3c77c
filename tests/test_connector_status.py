"""The connector status state machine of OCPP 1.6 section 4.9."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from simulator.station.connector_status import STATION_STATUSES, STATUSES, allowed

statuses = st.sampled_from(STATUSES)


@given(statuses)
def test_staying_in_a_status_is_no_transition(status: str) -> None:
    assert not allowed(status, status)


@given(statuses, statuses)
def test_connector_zero_only_takes_available_unavailable_faulted(
    from_status: str, to_status: str
) -> None:
    if allowed(from_status, to_status, connector_id=0):
        assert to_status in STATION_STATUSES


@given(statuses)
def test_every_status_but_faulted_can_fault_and_faulted_can_recover(status: str) -> None:
    """Column 9 is full but for I; row I reaches every other status (I1..I8)."""
    if status != "Faulted":
        assert allowed(status, "Faulted")
        assert allowed("Faulted", status)


@given(statuses, st.text(max_size=12).filter(lambda s: s not in STATUSES))
def test_unknown_statuses_are_never_allowed(status: str, unknown: str) -> None:
    assert not allowed(status, unknown) and not allowed(unknown, status)


@given(statuses, statuses)
def test_every_status_is_reachable_from_every_other(start: str, goal: str) -> None:
    """The table is strongly connected: a connector is never stuck in a status."""
    seen, frontier = {start}, [start]
    while frontier:
        current = frontier.pop()
        for nxt in STATUSES:
            if nxt not in seen and allowed(current, nxt):
                seen.add(nxt)
                frontier.append(nxt)
    assert goal in seen


def test_the_table_cells_the_spec_leaves_empty_are_refused() -> None:
    """Section 4.9's table: e.g. no Available -> Finishing, no Charging -> Preparing, no
    Reserved -> Charging, no Preparing -> Unavailable; errata 3.20's B6 is allowed."""
    assert not allowed("Available", "Finishing")
    assert not allowed("Charging", "Preparing")
    assert not allowed("Reserved", "Charging")
    assert not allowed("Preparing", "Unavailable")
    assert not allowed("Finishing", "Charging")
    assert not allowed("Unavailable", "Reserved")
    assert allowed("Preparing", "Finishing")
    assert allowed("Charging", "Unavailable")  # C8: the scheduled ChangeAvailability
