"""The Core profile's decisions (OCPP 1.6 sections 5.2, 5.11, 5.18) as pure functions."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from simulator.station.core.model import ConnectorState
from simulator.station.ocpp16.core import (
    availability_answer,
    availability_targets,
    remote_start_authorizes,
    remote_start_candidates,
    unlock_answer,
)

connector_states = st.builds(
    ConnectorState,
    connector_id=st.just(0),
    status=st.sampled_from(["Available", "Preparing", "Charging", "Unavailable", "Reserved"]),
    availability=st.sampled_from(["Operative", "Inoperative"]),
    transaction_started=st.booleans(),
)


def station_of(states: list[ConnectorState]) -> dict[int, ConnectorState]:
    connectors = {0: ConnectorState(0)}
    for cid, state in enumerate(states, start=1):
        state.connector_id = cid
        connectors[cid] = state
    return connectors


@given(st.lists(connector_states, min_size=1, max_size=4), st.none() | st.integers(-1, 6))
def test_a_remote_start_only_lands_on_a_free_operative_connector(
    states: list[ConnectorState], requested: int | None
) -> None:
    connectors = station_of(states)
    for chosen in remote_start_candidates(connectors, requested):
        connector = connectors[chosen]
        assert chosen > 0 and connector.availability == "Operative"
        assert not connector.transaction_started
        assert connector.status in ("Available", "Preparing", "Reserved")
        assert requested is None or chosen == requested


@given(st.lists(connector_states, min_size=1, max_size=4))
def test_without_connector_id_every_free_connector_is_a_candidate_in_order(
    states: list[ConnectorState],
) -> None:
    connectors = station_of(states)
    free = [c for c in sorted(connectors) if c > 0 and remote_start_candidates(connectors, c)]
    assert remote_start_candidates(connectors, None) == free


def test_an_inoperative_station_starts_nothing() -> None:
    connectors = station_of([ConnectorState(1)])
    connectors[0].availability = "Inoperative"
    assert remote_start_candidates(connectors, 1) == []
    assert remote_start_candidates(connectors, None) == []


@given(st.booleans(), st.booleans())
def test_authorize_precedes_a_remote_start_only_when_key_and_template_ask(
    key: bool, template: bool
) -> None:
    assert remote_start_authorizes(key, template) == (key and template)


@given(
    st.lists(connector_states, min_size=1, max_size=4),
    st.sampled_from(["Operative", "Inoperative"]),
)
def test_availability_is_scheduled_exactly_when_a_target_runs_a_transaction(
    states: list[ConnectorState], wanted: str
) -> None:
    connectors = station_of(states)
    targets = availability_targets(connectors, 0)
    assert targets == sorted(connectors)
    busy = any(connectors[cid].transaction_started for cid in targets)
    expected = "Scheduled" if busy and wanted == "Inoperative" else "Accepted"
    assert availability_answer(connectors, targets, wanted) == expected


def test_unlock_answers() -> None:
    connector = ConnectorState(1)
    assert unlock_answer(connector, lock_supported=True) == "Unlocked"
    assert unlock_answer(connector, lock_supported=False) == "NotSupported"
    assert unlock_answer(None, lock_supported=True) == "NotSupported"
    assert unlock_answer(ConnectorState(0), lock_supported=True) == "NotSupported"
    connector.error_code = "ConnectorLockFailure"
    assert unlock_answer(connector, lock_supported=True) == "UnlockFailed"
