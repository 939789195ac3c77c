"""The worker's journal of station state (simulator/station/journal.py, issue 16) and the store
that writes it (persistence.StateStore): records of the sections a change touched, laid over
the station files at a restart; a torn tail ignored; the journals of workers that are gone
adopted before a station is loaded, a live worker's never; bounded by compaction."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import orjson
import pytest

from simulator.station.journal import (
    JOURNAL_DIRECTORY,
    SEGMENT_SUFFIX,
    by_station,
    document_record,
    forgotten_record,
    read_records,
    replay,
    sections_record,
)
from simulator.station.persistence import (
    StateStore,
    delete_state,
    load_state,
    read_state,
    state_path,
)
from tests.journal_driver import SectionsStation

pytestmark = pytest.mark.timeout(30)


def segments(state_dir: Path) -> list[Path]:
    return sorted((state_dir / JOURNAL_DIRECTORY).glob(f"*{SEGMENT_SUFFIX}"))


def killed_now(state_dir: Path, to: Path) -> Path:
    """The state directory as a SIGKILL at this instant leaves it (the copy's journal has no
    live owner: an orphan)."""
    shutil.copytree(state_dir, to)
    return to


def urgently(store: StateStore, station: SectionsStation) -> None:
    store.changed(station.hash_id, station.document, sections=station.changes, at_once=True)


def station_with_steps(name: str, steps: int) -> SectionsStation:
    station = SectionsStation(name)
    for step in range(steps):
        station.sections["connectorsStatus"] = [step]
        station.sections["step"] = step
    return station


# --- records ----------------------------------------------------------------------------------


def test_a_record_is_one_line_of_json(tmp_path: Path) -> None:
    path = tmp_path / "j.jnl"
    path.write_bytes(
        sections_record("a", b'"x":1,"y":[2]')
        + document_record("b", b'{"x":3}')
        + forgotten_record("a")
    )
    assert list(read_records(path)) == [
        {"h": "a", "s": {"x": 1, "y": [2]}},
        {"h": "b", "d": {"x": 3}},
        {"h": "a", "x": 1},
    ]


def test_a_line_that_is_no_record_is_skipped(tmp_path: Path) -> None:
    path = tmp_path / "j.jnl"
    path.write_bytes(b"garbage\n" + sections_record("a", b'"x":1'))
    assert list(read_records(path)) == [{"h": "a", "s": {"x": 1}}]


def test_records_before_a_forgotten_one_are_not_the_journals_any_more() -> None:
    records = iter(
        [
            {"h": "a", "s": {"x": 1}},
            {"h": "a", "x": 1},
            {"h": "b", "s": {"x": 2}},
            {"h": "c", "x": 1},
        ]
    )
    assert by_station(records) == {"a": [], "b": [{"h": "b", "s": {"x": 2}}], "c": []}


def test_sections_laid_over_a_document_replace_those_sections_whole() -> None:
    document = {"x": [1, 2], "y": 1, "z": 0}
    records = [{"s": {"x": [3]}}, {"d": {"x": [4], "y": 2}}, {"s": {"y": 5}}]
    assert replay(document, records) == {"x": [4], "y": 5}
    assert replay(None, [{"s": {"x": 1}}]) == {"x": 1}


def test_a_record_laid_again_over_its_own_result_changes_nothing() -> None:
    """A file written after some records (a compaction, a removal) with the same records
    laid over it again gives the same state: a kill between the two cannot double a change."""
    records = [{"s": {"x": [1]}}, {"s": {"y": 2}}]
    once = replay({"x": [0], "y": 0}, records)
    assert replay(once, records) == once


# --- the store's journal ------------------------------------------------------------------------


async def test_a_stations_first_change_writes_its_file_whole(tmp_path: Path) -> None:
    """The file exists from the station's start, as the seed's does; its changes then go to
    the journal."""
    store = StateStore(tmp_path)
    station = station_with_steps("a", 1)
    urgently(store, station)
    assert read_state(store.path("a")) == station.sections
    station.sections["step"] = 2
    urgently(store, station)
    assert read_state(store.path("a")) != station.sections
    assert load_state(killed_now(tmp_path, tmp_path / "killed"), "a") == station.sections
    await store.close()


async def test_a_torn_last_record_is_ignored_at_every_byte_it_can_be_cut_at(
    tmp_path: Path,
) -> None:
    """A write cut short anywhere in the last record leaves the state before it; whole, the
    state after it."""
    state_dir = tmp_path / "state"
    store = StateStore(state_dir)
    station = station_with_steps("a", 1)
    urgently(store, station)
    station.sections["transactionQueue"] = [1]
    urgently(store, station)
    before = orjson.loads(station.document())
    station.sections["transactionQueue"] = [1, 2]
    station.sections["chargingProfiles"] = ["p" * 40]
    urgently(store, station)
    after = orjson.loads(station.document())
    [segment] = segments(state_dir)
    data = segment.read_bytes()
    start = data.rindex(b"\n", 0, len(data) - 1) + 1  # where the last record begins
    for cut in range(start, len(data) + 1):
        copy = killed_now(state_dir, tmp_path / f"cut-{cut}")
        [torn] = segments(copy)
        torn.write_bytes(data[:cut])
        assert load_state(copy, "a") == (after if cut == len(data) else before), cut
    await store.close()


async def test_a_live_workers_journal_is_not_adopted(tmp_path: Path) -> None:
    """Its owner holds its lock: another process loading a station leaves it alone."""
    store = StateStore(tmp_path)
    station = station_with_steps("a", 1)
    urgently(store, station)
    station.sections["step"] = 2
    urgently(store, station)
    assert load_state(tmp_path, "a") != station.sections
    assert len(segments(tmp_path)) == 1
    await store.close()
    assert load_state(tmp_path, "a") == station.sections


async def test_a_new_store_adopts_the_journal_of_a_killed_one(tmp_path: Path) -> None:
    """A respawned worker's store, before it loads a station, lays the dead worker's journal
    over the files and deletes it."""
    first = StateStore(tmp_path / "state")
    station = station_with_steps("a", 1)
    urgently(first, station)
    station.sections["step"] = 2
    urgently(first, station)
    state_dir = killed_now(tmp_path / "state", tmp_path / "killed")
    second = StateStore(state_dir)
    assert read_state(second.path("a")) == station.sections
    journal = second._journal
    assert journal is not None
    assert [p.name.split(".")[0] for p in segments(state_dir)] == [journal.owner]
    await second.close()
    await first.close()


async def test_a_removed_station_loads_from_its_file_whatever_its_old_journal_holds(
    tmp_path: Path,
) -> None:
    """Removed from one worker (its file written, its records forgotten) and changed on
    another: the first worker's journal, adopted later, does not bring the old state back."""
    state_dir = tmp_path / "state"
    first, second = StateStore(state_dir), StateStore(state_dir)
    station = station_with_steps("a", 1)
    urgently(first, station)
    station.sections["step"] = 2
    urgently(first, station)
    first.forget("a")
    assert read_state(first.path("a")) == station.sections
    moved = SectionsStation("a")
    moved.sections = {**station.sections, "step": 3}
    urgently(second, moved)
    await second.close()
    assert load_state(killed_now(state_dir, tmp_path / "killed"), "a") == moved.sections
    await first.close()


async def test_compaction_keeps_the_journal_bounded_and_the_files_whole(tmp_path: Path) -> None:
    """Once a segment is full, its stations' files are written and it is deleted: the journal
    holds about two segments whatever the number of changes."""
    limit = 4000
    store = StateStore(tmp_path, segment_bytes=limit)
    stations = [SectionsStation(f"s{i}") for i in range(3)]
    for step in range(400):
        station = stations[step % 3]
        station.sections["transactionQueue"] = [step, "q" * 50]
        urgently(store, station)
        journal_bytes = sum(p.stat().st_size for p in segments(tmp_path))
        assert journal_bytes < 2 * limit + 1000, step
        await asyncio.sleep(0)  # a loop turn: compaction writes a slice of files in each
    assert len(segments(tmp_path)) <= 2
    copy = killed_now(tmp_path, tmp_path / "killed")
    assert [load_state(copy, s.hash_id) for s in stations] == [s.sections for s in stations]
    await store.close()


async def test_a_stopped_store_leaves_the_files_and_no_journal(tmp_path: Path) -> None:
    store = StateStore(tmp_path)
    station = station_with_steps("a", 1)
    urgently(store, station)
    station.sections["step"] = 5
    urgently(store, station)
    await store.close()
    assert read_state(state_path(tmp_path, "a")) == station.sections
    assert [p for p in (tmp_path / JOURNAL_DIRECTORY).iterdir()] == []


async def test_a_deleted_state_is_not_brought_back_by_a_killed_workers_journal(
    tmp_path: Path,
) -> None:
    store = StateStore(tmp_path / "state")
    station = station_with_steps("a", 1)
    urgently(store, station)
    station.sections["step"] = 2
    urgently(store, station)
    state_dir = killed_now(tmp_path / "state", tmp_path / "killed")
    delete_state(state_dir, "a")
    assert load_state(state_dir, "a") is None
    await store.close()


async def test_without_a_journal_directory_every_write_is_the_file_whole(tmp_path: Path) -> None:
    """A state directory that cannot hold the journal (logged): the files, written whole at
    each write, still hold every change on disk."""
    (tmp_path / JOURNAL_DIRECTORY).write_text("not a directory")
    store = StateStore(tmp_path)
    station = station_with_steps("a", 1)
    urgently(store, station)
    station.sections["step"] = 2
    urgently(store, station)
    assert read_state(store.path("a")) == station.sections
    await store.close()
