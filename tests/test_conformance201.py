"""docs/ocpp201.md is what simulator/conformance201.py generates from the code and the tests."""

from __future__ import annotations

from pathlib import Path

from simulator import conformance201


def test_the_conformance_matrix_is_current() -> None:
    """Regenerate with `python -m simulator.conformance201`."""
    assert conformance201.MATRIX_PATH.read_text(encoding="utf-8") == conformance201.render()


def test_a_requirement_cited_in_a_test_name_or_docstring_is_found(tmp_path: Path) -> None:
    tests = tmp_path / "tests"
    tests.mkdir()
    (tests / "test_ocpp201_x.py").write_text(
        "def test_seq_no_rises_by_one_e01_fr_07():\n    pass\n\n"
        "def test_other():\n    '''Offline events carry offline (E04.FR.01, E04.FR.02).'''\n",
        encoding="utf-8",
    )

    cited = conformance201.cited_requirements(
        conformance201.station_test_files(tests), root=tmp_path
    )

    assert cited == {
        "E01.FR.07": ["tests/test_ocpp201_x.py::test_seq_no_rises_by_one_e01_fr_07"],
        "E04.FR.01": ["tests/test_ocpp201_x.py::test_other"],
        "E04.FR.02": ["tests/test_ocpp201_x.py::test_other"],
    }


def test_every_incoming_action_without_a_handler_is_listed_deferred() -> None:
    text = conformance201.render()

    for action in conformance201.INCOMING - set(conformance201.HANDLERS):
        assert f"| {action} | deferred: NotSupported |" in text
