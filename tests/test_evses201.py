"""A 2.0.1 station's EVSEs over the core's flat connector ids (ocpp201/evses.py): OCPP 2.0.1
designates a connector by EVSE id and its index within the EVSE, from 1 (Part 2 EVSEType)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from simulator.station.ocpp201.evses import EvseMap

# Two EVSEs: one connector, then two (a CCS and a CHAdeMO on one power cabinet, say).
LAYOUT = {1: (1,), 2: (2, 3)}


def test_a_flat_connector_is_a_connector_of_its_evse_numbered_from_1() -> None:
    evses = EvseMap(LAYOUT)
    assert [evses.evse_of(flat) for flat in (1, 2, 3)] == [(1, 1), (2, 1), (2, 2)]


def test_an_evse_s_connector_has_its_flat_id() -> None:
    evses = EvseMap(LAYOUT)
    assert (evses.flat_id(1, 1), evses.flat_id(2, 1), evses.flat_id(2, 2)) == (1, 2, 3)


@pytest.mark.parametrize(("evse_id", "connector_id"), [(2, 3), (3, 1), (0, 1), (1, 0), (-1, 1)])
def test_an_evse_or_connector_the_station_has_not_has_no_flat_id(
    evse_id: int, connector_id: int
) -> None:
    assert EvseMap(LAYOUT).flat_id(evse_id, connector_id) is None


def test_connector_0_is_the_station_not_a_connector_of_an_evse() -> None:
    with pytest.raises(KeyError):
        EvseMap(LAYOUT).evse_of(0)


def test_an_evse_lists_its_connectors_and_the_station_is_no_evse() -> None:
    evses = EvseMap(LAYOUT)
    assert (evses.connectors_of(2), evses.connectors_of(0), evses.connectors_of(9)) == (
        (2, 3),
        (),
        (),
    )
    assert (evses.evse_ids, evses.flat_ids) == ((1, 2), (1, 2, 3))


@pytest.mark.parametrize(
    "layout",
    [{0: (1,)}, {1: ()}, {1: (1,), 2: (1,)}, {1: (0,)}],
    ids=["EVSE 0", "an EVSE without connector", "a flat id twice", "flat id 0"],
)
def test_a_layout_no_station_can_have_is_refused(layout: dict[int, tuple[int, ...]]) -> None:
    with pytest.raises(ValueError):
        EvseMap(layout)


def partitioned(counts: list[int], order: list[int]) -> dict[int, tuple[int, ...]]:
    """EVSE 1.. holding counts[i] connectors, their flat ids taken from `order` in turn."""
    ends = [sum(counts[: i + 1]) for i in range(len(counts))]
    return {i + 1: tuple(order[end - counts[i] : end]) for i, end in enumerate(ends)}


# Any flat ids 1..N, not only the plan's EVSE-order numbering.
layouts = (
    st.lists(st.integers(1, 4), min_size=1, max_size=6)
    .flatmap(lambda counts: st.tuples(st.just(counts), st.permutations(range(1, sum(counts) + 1))))
    .map(lambda drawn: partitioned(drawn[0], list(drawn[1])))
)


@given(layouts)
def test_flat_ids_and_evse_connectors_map_one_to_one(layout: dict[int, tuple[int, ...]]) -> None:
    evses = EvseMap(layout)
    for flat in evses.flat_ids:
        assert evses.flat_id(*evses.evse_of(flat)) == flat
    for evse_id in evses.evse_ids:
        for connector_id in range(1, len(evses.connectors_of(evse_id)) + 1):
            flat = evses.flat_id(evse_id, connector_id)
            assert flat is not None and evses.evse_of(flat) == (evse_id, connector_id)
        assert evses.flat_id(evse_id, len(evses.connectors_of(evse_id)) + 1) is None
