"""The configuration reference (docs/configuration.md), generated from the settings and template
models so that it cannot drift from them: `python -m simulator.config_reference` rewrites it,
tests/test_config_reference.py fails when the file and the models disagree.

One row per key: its name as written in the file, type and default (from the model), meaning
(the field's description: its `description=`, else the docstring under the field), the
TypeScript simulator's default and type where they differ (docs/ts-simulator-keys.json,
simulator/seed_keys.py), and the tests that show its behaviour: those marked
`@pytest.mark.key("worker.poolMaxSize")` (one or more keys), found in the test files' source.
"""

from __future__ import annotations

import ast
import json
import re
import sys
import types
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from simulator.config import Settings
from simulator.config_loading import _NESTED_RENAMED_KEYS, _RENAMED_KEYS
from simulator.model_keys import display_key
from simulator.seed_keys import SeedRow, load_seed_rows
from simulator.template_model import _RENAMED_TEMPLATE_KEYS, StationTemplate, no_behaviour_reason

REPO = Path(__file__).resolve().parent.parent
REFERENCE_PATH = REPO / "docs" / "configuration.md"

# (title, file, section of the TS README's tables, root model): the files a user writes.
ROOTS: tuple[tuple[str, str, str, type[BaseModel]], ...] = (
    ("config.json", "config.json", "config.json", Settings),
    ("Station templates", "templates/<name>.json", "template", StationTemplate),
)

T = "tests/"
TESTS_DIR = REPO / "tests"

# Defaults the model computes from other keys.
DEFAULT_NOTES: dict[str, str] = {
    "voltageOut": "AC: 230, DC: 400",
    "numberOfPhases": "AC: 3, DC: 0",
}


# --- the tests that show each key -----------------------------------------------------------


def _key_markers(node: ast.FunctionDef | ast.AsyncFunctionDef) -> Iterator[str]:
    """The keys of the `@pytest.mark.key("a", "b")` decorators of a test function."""
    for decorator in node.decorator_list:
        if isinstance(decorator, ast.Call) and ast.unparse(decorator.func) == "pytest.mark.key":
            for arg in decorator.args:
                # Anything but a string literal is kept as written: no key has that name, so
                # the check of marker names reports it rather than the row losing a test.
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    yield arg.value
                else:
                    yield ast.unparse(arg)


def marked_tests(tests_dir: Path = TESTS_DIR) -> dict[str, tuple[str, ...]]:
    """Key -> node ids of the tests marked with it, read from the test files' source (no test
    module is imported), in file then line order."""
    marked: dict[str, list[str]] = {}
    for path in sorted(tests_dir.rglob("test_*.py")):
        file = path.relative_to(tests_dir.parent).as_posix()
        tree = ast.parse(path.read_text(encoding="utf-8"))
        scopes: list[tuple[str, list[ast.stmt]]] = [("", tree.body)]
        scopes += [(f"{n.name}::", n.body) for n in tree.body if isinstance(n, ast.ClassDef)]
        found = [
            (node.lineno, f"{file}::{scope}{node.name}", key)
            for scope, body in scopes
            for node in body
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
            for key in _key_markers(node)
        ]
        for _line, node_id, key in sorted(found):
            marked.setdefault(key, []).append(node_id)
    return {key: tuple(dict.fromkeys(ids)) for key, ids in marked.items()}


@dataclass(frozen=True, slots=True)
class Row:
    key: str  # dotted, as written in the file: worker.poolMaxSize, Connectors.<id>.bootStatus
    type: str
    default: str
    meaning: str
    seed: str  # the TS README's default and type where they differ, else ""
    no_behaviour: str  # why evsim accepts the key without a behaviour, else ""
    tests: tuple[str, ...]


# --- walking the models -------------------------------------------------------------------------


def _members(annotation: Any) -> list[Any]:
    """`annotation` without Annotated, as the members of its union (one for a plain type)."""
    while get_origin(annotation) is Annotated:
        annotation = get_args(annotation)[0]
    if get_origin(annotation) in (Union, types.UnionType):
        members: list[Any] = []
        for arg in get_args(annotation):
            members.extend(_members(arg))
        return members
    return [annotation]


def _nested(annotation: Any) -> tuple[str, type[BaseModel]] | None:
    """(key suffix, model) of a section, a list of sections or a mapping of sections."""
    for member in _members(annotation):
        if isinstance(member, type) and issubclass(member, BaseModel):
            return "", member
        origin = get_origin(member)
        args = get_args(member)
        item = args[0] if origin is list and args else None
        if isinstance(item, type) and issubclass(item, BaseModel):
            return "[]", item
        value = args[1] if origin is dict and len(args) == 2 else None
        if isinstance(value, type) and issubclass(value, BaseModel):
            return ".<id>", value
    return None


def model_fields(
    model: type[BaseModel], prefix: str = "", shown: set[type[BaseModel]] | None = None
) -> Iterator[tuple[str, type[BaseModel], str, FieldInfo]]:
    """(dotted key, model, field name, field) of every field of `model` and its sections. A
    section met again (a 2.0.1 template's Evses hold Connectors entries) is one row, its keys
    shown where it came first."""
    shown = set() if shown is None else shown
    shown.add(model)
    for name, info in model.model_fields.items():
        key = prefix + display_key(model, name)
        yield key, model, name, info
        nested = _nested(info.annotation)
        if nested is not None and nested[1] not in shown:
            suffix, section = nested
            yield from model_fields(section, f"{key}{suffix}.", shown)


def type_name(annotation: Any) -> str:
    names: list[str] = []
    for member in _members(annotation):
        origin = get_origin(member)
        args = get_args(member)
        if member is type(None):
            names.append("null")
        elif origin is Literal:
            names.extend(json.dumps(arg) for arg in args)
        elif origin is list:
            names.append(f"{type_name(args[0])}[]" if args else "array")
        elif origin is dict:
            names.append(f"{{{type_name(args[0])}: {type_name(args[1])}}}" if args else "object")
        elif isinstance(member, type) and issubclass(member, BaseModel):
            names.append("section")
        elif member is Any:
            names.append("any")
        else:
            names.append(_SCALARS.get(member, getattr(member, "__name__", str(member))))
    return " | ".join(dict.fromkeys(names))


_SCALARS: dict[Any, str] = {
    bool: "boolean",
    int: "integer",
    float: "number",
    str: "string",
    Path: "path",
}


SECTION_DEFAULT = "see below"


def default_text(key: str, info: FieldInfo) -> str:
    if key in DEFAULT_NOTES:
        return DEFAULT_NOTES[key]
    if info.default_factory is not None:
        value: Any = info.default_factory()  # type: ignore[call-arg]
    elif info.default is PydanticUndefined:
        return "required"
    else:
        value = info.default
    if isinstance(value, BaseModel):
        return SECTION_DEFAULT
    if isinstance(value, Path):
        return json.dumps(str(value))
    return json.dumps(value)


# --- the TS simulator's defaults -------------------------------------------------------------


def _plain(text: str) -> str:
    text = text.strip().strip("'\"").lower().replace(" ", "").replace("/", ",")
    text = re.sub(r"\s*\(unlimited\)", "", text)
    return {"undefined": "null", "": "null", "{}[]": "[]"}.get(text, text)


def _seed_difference(seed: SeedRow | None, default: str) -> str:
    if seed is None or not seed.default or default == SECTION_DEFAULT:
        return ""
    if _plain(seed.default) == _plain(default):
        return ""
    return f"default {seed.default}; {seed.type}".strip("; ")


# --- the reference ------------------------------------------------------------------------------


def reference_rows(
    root: type[BaseModel], seed: Mapping[str, SeedRow], tests: Mapping[str, tuple[str, ...]]
) -> list[Row]:
    rows: list[Row] = []
    for key, _model, _name, info in model_fields(root):
        default = default_text(key, info)
        rows.append(
            Row(
                key=key,
                type=type_name(info.annotation),
                default=default,
                meaning=info.description or "",
                seed=_seed_difference(seed.get(key), default),
                tests=tests.get(key, ()),
                no_behaviour=no_behaviour_reason(info) or "",
            )
        )
    return rows


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _renamed_keys() -> list[tuple[str, str, str]]:
    renamed = [("config.json", old, ".".join(new)) for old, new in _RENAMED_KEYS.items()]
    renamed += [
        ("config.json", f"{section}.{old}", ".".join(new))
        for (section, old), new in _NESTED_RENAMED_KEYS.items()
    ]
    renamed += [("template", old, new) for old, new in _RENAMED_TEMPLATE_KEYS.items()]
    renamed.append(
        ("template", "Evses.<evse>.Connectors", "Connectors (OCPP 1.6: EVSE grouping dropped)")
    )
    return renamed


def render() -> str:
    by_section: dict[str, dict[str, SeedRow]] = {}
    for seed_row in load_seed_rows():
        by_section.setdefault(seed_row.section, {})[seed_row.key] = seed_row
    lines = [
        "# Configuration reference",
        "",
        "<!-- Generated by `python -m simulator.config_reference` from the settings and template",
        "     models; do not edit by hand. tests/test_config_reference.py checks it. -->",
        "",
        "evsim reads the configuration and station templates of the SAP e-mobility charging",
        "stations simulator (TypeScript): same keys, same meaning, same defaults. A station's",
        "persisted configuration (`configurations/<hashId>.json`, keys changed at run time) takes",
        "precedence over its template, which takes precedence over config.json. Settings of",
        "config.json come, in",
        "rising priority, from defaults, the file, environment variables `EVSIM_*` (nested keys",
        "with `__`) and command-line flags.",
        "",
        "Unknown keys (for example from newer versions of the TypeScript simulator) never stop a",
        "start: each is accepted with one warning naming the file and the key. Keys whose meaning",
        "is known are read under their current name with a warning (see the last table).",
        "",
        "Columns: the key as written in the file (`[]`: each item of a list, `<id>`: each entry",
        "of a mapping), its type and default, what it does, the TypeScript simulator README's",
        "default and type where they differ from evsim's, and the tests that show the behaviour",
        "(none yet: `-`).",
    ]
    marked = marked_tests()
    for title, file, seed_section, root in ROOTS:
        seed = dict(by_section.get(seed_section, {}))
        if root is StationTemplate:
            for section, prefix in (
                ("AutomaticTransactionGenerator", "AutomaticTransactionGenerator."),
                ("Connectors", "Connectors.<id>."),
            ):
                for key, seed_row in by_section.get(section, {}).items():
                    seed[prefix + key] = seed_row
        lines += [
            "",
            f"## {title} (`{file}`)",
            "",
            "| key | type | default | meaning | TS README | tests |",
            "|---|---|---|---|---|---|",
        ]
        for row in reference_rows(root, seed, marked):
            meaning = row.meaning
            if row.no_behaviour:
                meaning += f". **No behaviour in evsim** ({row.no_behaviour}): a warning when set"
            tests = "<br>".join(f"`{test.removeprefix(T)}`" for test in row.tests) or "-"
            lines.append(
                f"| `{row.key}` | {_cell(row.type)} | `{_cell(row.default)}` | "
                f"{_cell(meaning)} | {_cell(row.seed)} | {tests} |"
            )
    lines += [
        "",
        "## Keys read under another name",
        "",
        "| file | key | read as |",
        "|---|---|---|",
    ]
    lines += [f"| {file} | `{old}` | `{new}` |" for file, old, new in _renamed_keys()]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Write docs/configuration.md (or the path given)."""
    args = sys.argv[1:] if argv is None else argv
    path = Path(args[0]) if args else REFERENCE_PATH
    path.write_text(render(), encoding="utf-8")
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
