"""docs/configuration.md: generated from the models, one row per key with its meaning (the
field's docstring or description), every key with a behaviour shown by a test marked
`@pytest.mark.key(...)`, every marker naming a key, every key of the TypeScript simulator's
configuration (docs/ts-simulator-keys.json) present."""

from __future__ import annotations

import inspect
import re
from functools import cache
from pathlib import Path

import pytest
from pydantic import BaseModel

from simulator import config, template_model, template_sections
from simulator.config_reference import REFERENCE_PATH, ROOTS, marked_tests, model_fields, render
from simulator.seed_keys import KEYS_PATH, SEED_README, load_seed_rows, seed_rows, to_json
from simulator.template_model import no_behaviour_reason
from simulator.ui import settings as ui_settings


@cache
def reference_keys() -> dict[str, str]:
    """Key -> meaning cell, as docs/configuration.md states them."""
    rows: dict[str, str] = {}
    for line in REFERENCE_PATH.read_text(encoding="utf-8").splitlines():
        match = re.match(r"\| `([^`]+)` \| .*? \| `[^`]*` \| (.*?) \| ", line)
        if match:
            rows[match.group(1)] = match.group(2)
    return rows


def model_classes() -> list[type[BaseModel]]:
    """Every model with fields that the settings and template modules define (the mixins of
    newer_keys.py are reached through the models they are mixed into)."""
    return [
        cls
        for module in (config, ui_settings, template_model, template_sections)
        for _, cls in inspect.getmembers(module, inspect.isclass)
        if issubclass(cls, BaseModel) and cls.__module__ == module.__name__ and cls.model_fields
    ]


def test_the_reference_is_what_the_generator_writes_now() -> None:
    """Run `python -m simulator.config_reference` after changing a model."""
    assert REFERENCE_PATH.read_text(encoding="utf-8") == render()


def test_every_field_of_every_model_has_a_row_with_a_meaning() -> None:
    keys = reference_keys()
    reached = {(model, name) for *_, root in ROOTS for _, model, name, _info in model_fields(root)}
    missing = [
        f"{cls.__name__}.{name}"
        for cls in model_classes()
        for name in cls.model_fields
        if (cls, name) not in reached
    ]
    assert missing == [], "models the reference does not reach"
    for _title, _file, _section, root in ROOTS:
        for key, model, name, _info in model_fields(root):
            assert key in keys, f"no row for {model.__name__}.{name}"
            assert keys[key].strip(), f"no meaning for {key}: write a docstring under the field"


def test_every_key_with_a_behaviour_has_a_test_marked_with_it() -> None:
    """Mark the test with `@pytest.mark.key("<key>")` (pyproject.toml registers the marker)."""
    marked = marked_tests()
    unshown = [
        key
        for *_, root in ROOTS
        for key, _model, _name, info in model_fields(root)
        if no_behaviour_reason(info) is None and not marked.get(key)
    ]
    assert unshown == []


def test_every_key_a_test_is_marked_with_is_a_model_key() -> None:
    """A renamed or removed field must not leave a marker naming it behind."""
    keys = {key for *_, root in ROOTS for key, *_ in model_fields(root)}
    stale = {key: ids for key, ids in marked_tests().items() if key not in keys}
    assert stale == {}


def test_marked_tests_are_read_from_the_test_files_source(tmp_path: Path) -> None:
    """Renaming a test renames its row entry: the node ids come from the files themselves."""
    (tmp_path / "tests" / "sub").mkdir(parents=True)
    (tmp_path / "tests" / "sub" / "test_a.py").write_text(
        "import pytest\n"
        "raise SystemExit('never imported')\n"
        '@pytest.mark.key("seed", "stateDir")\n'
        "def test_one() -> None: ...\n"
        "class TestGroup:\n"
        '    @pytest.mark.key("seed")\n'
        "    async def test_two(self) -> None: ...\n"
        "def test_unmarked() -> None: ...\n",
        encoding="utf-8",
    )
    assert marked_tests(tmp_path / "tests") == {
        "seed": ("tests/sub/test_a.py::test_one", "tests/sub/test_a.py::TestGroup::test_two"),
        "stateDir": ("tests/sub/test_a.py::test_one",),
    }


def test_a_marker_argument_that_is_no_string_literal_is_kept_as_written(tmp_path: Path) -> None:
    """So the check of marker names reports it instead of the key silently losing its test."""
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_b.py").write_text(
        'import pytest\nKEY = "seed"\n@pytest.mark.key(KEY)\ndef test_one() -> None: ...\n',
        encoding="utf-8",
    )
    assert marked_tests(tmp_path / "tests") == {"KEY": ("tests/test_b.py::test_one",)}


def test_every_key_of_the_typescript_readme_tables_has_a_row() -> None:
    rows = load_seed_rows()
    sections = {row.section for row in rows}
    assert sections == {
        "config.json",
        "template",
        "Configuration",
        "AutomaticTransactionGenerator",
        "Connectors",
    }
    keys = reference_keys()
    config_keys = [row.key for row in rows if row.section == "config.json"]
    assert len(config_keys) == 14  # the table's rows: parsing found them all
    prefixes = {
        "config.json": "",
        "template": "",
        "Configuration": "Configuration.configurationKey[].",
        "AutomaticTransactionGenerator": "AutomaticTransactionGenerator.",
        "Connectors": "Connectors.<id>.",
    }
    missing = []
    for row in rows:
        key = prefixes[row.section] + row.key
        if key in keys:
            continue
        # Connector example keys inside MeterValues entries.
        if row.section == "Connectors" and f"Connectors.<id>.MeterValues[].{row.key}" in keys:
            continue
        if row.section == "Configuration" and row.key == "configurationKey":
            continue
        missing.append(f"{row.section}: {row.key}")
    assert missing == []


def test_the_seed_parser_reads_the_rows_of_a_table() -> None:
    text = (
        "**src/assets/config.json**:\n\n"
        "| Key | Value(s) | Default Value | Value type | Description |\n"
        "| --- | --- | --- | --- | --- |\n"
        "| logFile | | combined.log | string | log file relative path |\n"
        "| supervisionUrls | | [] | string \\| string[] | URIs |\n"
    )
    assert [(r.key, r.default, r.type) for r in seed_rows(text)] == [
        ("logFile", "combined.log", "string"),
        ("supervisionUrls", "[]", "string | string[]"),
    ]


def test_the_seed_parser_reads_a_readme_stored_with_line_numbers() -> None:
    text = (
        "README.md: spell fix\n"
        "89 **src/assets/config.json**:\n"
        "90\n"
        "91 | Key | Value(s) | Default Value | Value type | Description |\n"
        "92 | --- | --- | --- | --- | --- |\n"
        '93 | worker | | {<br />"startDelay": 500<br />} | object | workers |\n'
    )
    assert [(r.key, r.default, r.type) for r in seed_rows(text)] == [
        ("worker", '{ "startDelay": 500 }', "object")
    ]


def seed_readme() -> Path:
    """The seed README in the nearest `shared/` above this test: beside the repository in a
    clone, one level further up in a worktree of one."""
    relative = SEED_README.relative_to(SEED_README.parents[2])
    here = Path(__file__).resolve()
    for folder in here.parents:
        if (folder / relative).is_file():
            return folder / relative
    pytest.fail(
        f"{relative} not found in any folder above {here.parent}: put a copy of shared/ beside "
        "the repository",
        pytrace=False,
    )


def test_the_keys_file_is_what_the_seed_readme_gives() -> None:
    """Run `python -m simulator.seed_keys` when the seed README changes."""
    rows = seed_rows(seed_readme().read_text(encoding="utf-8"))
    assert KEYS_PATH.read_text(encoding="utf-8") == to_json(rows)
