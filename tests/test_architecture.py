"""The shape of the code, held as tests (issue 14): the import graph of simulator/ and workers/,
who may name `ChargingStation`, and the 500-line limit on a source file.

The import graph is read from the source (AST), not from what Python happened to import: every
`import` and `from ... import` anywhere in a module is an edge, including those under
`if TYPE_CHECKING:` (a circle of types is a circle a reader has to untangle all the same) and
those inside functions. `from package import name` is an edge to `package.name` when that is a
module, else to `package`.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Collection, Iterator, Mapping
from pathlib import Path

from ocpp.v16.enums import Action as Action16
from ocpp.v201.enums import Action as Action201

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("simulator", "workers")
MAX_LINES = 500
# The composition root and the worker host build stations; every other module sees a station
# through a narrow Protocol (simulator/station/ports.py, simulator/station/ocpp16/ports.py).
MAY_NAME_CHARGING_STATION = frozenset({"simulator/station/station.py", "simulator/station/host.py"})
# Files over MAX_LINES when the rule was written down. The list only shrinks: a listed file that
# drops to MAX_LINES or under must leave it, and no other file may go over.
OVER_MAX_LINES: frozenset[str] = frozenset()


_ANNOTATION = re.compile(r"[\w\[\]., |]+")


# -- reading the source ----------------------------------------------------------------------------


def source_files(root: Path, packages: tuple[str, ...] = PACKAGES) -> Iterator[Path]:
    for package in packages:
        yield from sorted((root / package).rglob("*.py"))


def module_name(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_modules(
    tree: ast.Module,
    module: str,
    is_package: bool,
    modules: Collection[str],
    *,
    package_edges: bool = False,
) -> Iterator[str]:
    """The modules of `modules` that the import statements of `tree` name, at any depth. With
    `package_edges`, `from package import module` is an edge to the package too: its __init__
    runs first."""
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names if alias.name in modules)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, *([base] if base else [])])
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                if submodule in modules:
                    yield submodule
                    if package_edges and base in modules:
                        yield base
                elif base in modules:
                    yield base


def import_graph(
    root: Path, packages: tuple[str, ...] = PACKAGES, *, package_edges: bool = False
) -> dict[str, set[str]]:
    """Module -> the modules of `packages` it imports."""
    paths = {module_name(root, path): path for path in source_files(root, packages)}
    graph: dict[str, set[str]] = {}
    for module, path in paths.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        is_package = path.name == "__init__.py"
        imports = imported_modules(tree, module, is_package, paths, package_edges=package_edges)
        graph[module] = set(imports) - {module}
    return graph


def find_cycle(graph: Mapping[str, set[str]]) -> list[str] | None:
    """One import circle of `graph` as the path that closes it (`[a, b, a]`), or None."""
    done: set[str] = set()
    for start in sorted(graph):
        # Depth first, iteratively: the path from `start` and, per node on it, what is left.
        path = [start]
        left = [iter(sorted(graph.get(start, ())))]
        while path:
            child = next(left[-1], None)
            if child is None:
                done.add(path.pop())
                left.pop()
            elif child in path:
                return [*path[path.index(child) :], child]
            elif child not in done:
                path.append(child)
                left.append(iter(sorted(graph.get(child, ()))))
    return None


def _annotations(tree: ast.Module) -> Iterator[ast.expr]:
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            arguments = node.args
            for argument in [
                *arguments.posonlyargs,
                *arguments.args,
                *arguments.kwonlyargs,
                *([arguments.vararg] if arguments.vararg else []),
                *([arguments.kwarg] if arguments.kwarg else []),
            ]:
                if argument.annotation is not None:
                    yield argument.annotation
            if node.returns is not None:
                yield node.returns
        elif isinstance(node, ast.AnnAssign):
            yield node.annotation
        elif isinstance(node, ast.Subscript):
            yield node  # a type alias: Handler = Callable[["ChargingStation"], None]


def names_in(tree: ast.Module) -> Iterator[str]:
    """Identifiers the code uses (names, attributes, imports, string annotations)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            yield node.id
        elif isinstance(node, ast.Attribute):
            yield node.attr
        elif isinstance(node, ast.alias):
            yield node.asname or node.name.rpartition(".")[2]
            yield node.name.rpartition(".")[2]
    # A forward reference such as Callable[["ChargingStation"], None] names the class; a string
    # elsewhere is data (OCPP 2.0.1 has a component called "ChargingStation").
    for annotation in _annotations(tree):
        for node in ast.walk(annotation):
            if not (isinstance(node, ast.Constant) and isinstance(node.value, str)):
                continue
            if not _ANNOTATION.fullmatch(node.value):
                continue
            try:
                expression = ast.parse(node.value, mode="eval")
            except SyntaxError:
                continue
            yield from (n.id for n in ast.walk(expression) if isinstance(n, ast.Name))


def relative(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


# -- the rules ------------------------------------------------------------------------------------


def test_simulator_and_workers_have_no_import_circle_counting_type_checking_imports() -> None:
    cycle = find_cycle(import_graph(ROOT, package_edges=True))

    assert cycle is None, "import circle: " + " -> ".join(cycle or [])


def test_workers_import_nothing_of_simulator() -> None:
    """workers/ is the generic process pool: it hosts any ElementHost and knows no station."""
    graph = import_graph(ROOT)
    reaching = {
        f"{module} -> {target}"
        for module, targets in graph.items()
        if module.startswith("workers")
        for target in targets
        if target.startswith("simulator")
    }

    assert reaching == set()


def test_only_the_station_and_its_host_name_charging_station() -> None:
    naming = {
        relative(path)
        for path in source_files(ROOT)
        if "ChargingStation" in set(names_in(ast.parse(path.read_text(encoding="utf-8"))))
    }

    assert naming - MAY_NAME_CHARGING_STATION == set()


# What the version-neutral core may not reach (issue 14): the OCPP-J layer, the socket, the
# station that composes it and every version's adapter.
CORE = "simulator.station.core"
CORE_MAY_NOT_IMPORT = (
    "websockets",
    "simulator.station.rpc",
    "simulator.station.frames",
    "simulator.station.schemas",
    "simulator.station.connection",
    "simulator.station.dispatch",
    "simulator.station.lifecycle",
    "simulator.station.station",
    "simulator.station.host",
    "simulator.station.ocpp16",
    "simulator.station.ocpp201",
)
ADAPTERS = ("simulator.station.ocpp16", "simulator.station.ocpp201")


def _external_imports(path: Path) -> Iterator[str]:
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            yield node.module


def _within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def test_the_core_imports_no_session_socket_station_or_adapter() -> None:
    reaching = {
        f"{relative(path)} -> {target}"
        for path in source_files(ROOT)
        if _within(module_name(ROOT, path), CORE)
        for target in _external_imports(path)
        if any(_within(target, banned) for banned in CORE_MAY_NOT_IMPORT)
    }

    assert reaching == set()


def test_no_adapter_imports_another() -> None:
    reaching = {
        f"{relative(path)} -> {target}"
        for path in source_files(ROOT)
        for own in ADAPTERS
        if _within(module_name(ROOT, path), own)
        for target in _external_imports(path)
        for other in ADAPTERS
        if other != own and _within(target, other)
    }

    assert reaching == set()


# The OCPP-J session layer is written once and parameterised by the station's adapter (issue 14
# step 2): it names no version's package; the composition root hands it the adapter.
SESSION_LAYER = (
    "simulator.station.rpc",
    "simulator.station.frames",
    "simulator.station.schemas",
    "simulator.station.connection",
    "simulator.station.dispatch",
    "simulator.station.lifecycle",
)


def test_the_session_layer_imports_no_adapter() -> None:
    reaching = {
        f"{relative(path)} -> {target}"
        for path in source_files(ROOT)
        if module_name(ROOT, path) in SESSION_LAYER
        for target in _external_imports(path)
        if any(_within(target, adapter) for adapter in ADAPTERS)
    }

    assert reaching == set()


# What a station of every version does the same (issue 14, STATION-CORE.md 3.6): the UI's
# intents and the key store name no version's package; the station hands them its adapter's work.
VERSION_NEUTRAL = ("simulator.station.intents", "simulator.station.keystore")


def test_the_intents_and_the_key_store_import_no_adapter() -> None:
    reaching = {
        f"{relative(path)} -> {target}"
        for path in source_files(ROOT)
        if module_name(ROOT, path) in VERSION_NEUTRAL
        for target in _external_imports(path)
        if any(_within(target, adapter) for adapter in ADAPTERS)
    }

    assert reaching == set()


def test_no_source_file_is_over_500_lines_but_the_shrinking_list() -> None:
    over = {
        relative(path)
        for path in source_files(ROOT)
        if len(path.read_text(encoding="utf-8").splitlines()) > MAX_LINES
    }

    assert over - OVER_MAX_LINES == set(), "over 500 lines: split them"
    assert OVER_MAX_LINES - over == set(), "now at most 500 lines: take them off OVER_MAX_LINES"


# -- the readers the rules rest on ----------------------------------------------------------------


def _package(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = tmp_path / "pkg" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return tmp_path


def test_an_import_under_type_checking_closes_a_circle(tmp_path: Path) -> None:
    root = _package(
        tmp_path,
        {
            "__init__.py": "",
            "station.py": "from pkg.feature import Feature\n",
            "feature.py": (
                "from typing import TYPE_CHECKING\n"
                "if TYPE_CHECKING:\n"
                "    from pkg.station import Station\n"
            ),
        },
    )

    assert find_cycle(import_graph(root, ("pkg",))) == ["pkg.feature", "pkg.station", "pkg.feature"]


def test_a_protocol_module_between_them_leaves_no_circle(tmp_path: Path) -> None:
    root = _package(
        tmp_path,
        {
            "__init__.py": "",
            "ports.py": "from typing import Protocol\n",
            "station.py": "from pkg.feature import Feature\n",
            "feature.py": "from pkg.ports import Protocol\n",
        },
    )

    assert find_cycle(import_graph(root, ("pkg",))) is None


def test_relative_and_submodule_imports_are_edges_to_the_submodule(tmp_path: Path) -> None:
    root = _package(
        tmp_path,
        {
            "__init__.py": "from . import a\n",
            "a.py": "from pkg import b\n",
            "b.py": "from .sub import c\n",
            "sub/__init__.py": "",
            "sub/c.py": "import pkg.a\n",
        },
    )

    graph = import_graph(root, ("pkg",))

    assert graph["pkg"] == {"pkg.a"}
    assert graph["pkg.a"] == {"pkg.b"}
    assert graph["pkg.b"] == {"pkg.sub.c"}
    assert find_cycle(graph) == ["pkg.a", "pkg.b", "pkg.sub.c", "pkg.a"]


def test_a_forward_reference_in_a_string_names_the_class() -> None:
    tree = ast.parse('Handler = Callable[["ChargingStation"], None]\n"""ChargingStation, prose."""')

    assert list(names_in(tree)).count("ChargingStation") == 1


def test_a_string_of_data_does_not_name_the_class() -> None:
    """OCPP 2.0.1's device model has a component called ChargingStation."""
    tree = ast.parse('VARIABLE = "ChargingStation.Model"\nCOMPONENTS = ("ChargingStation",)')

    assert "ChargingStation" not in set(names_in(tree))


# OCPP 1.6 spoken only where it is the subject: the 1.6 adapter, the bundled CSMS, the UI protocol
# (whose procedures are named after the messages, as the TypeScript simulator's are) and the CLI.
SPEAK_16 = (
    "simulator/station/ocpp16/",
    "simulator/csms/",
    "simulator/ui/",
    "simulator/procedure_table.py",
    "simulator/procedure_payloads.py",
    "simulator/cli.py",
    "simulator/cli_control.py",
    # The TypeScript simulator's template format names a connector's sampled values "MeterValues".
    "simulator/template_sections.py",
)
# The 1.6 actions (section 4 and 5 of the specification, security whitepaper included) and the
# 1.6 field that says what the CSMS thinks of an idTag.
WIRE_16 = frozenset(action.value for action in Action16) | {"idTagInfo"}
# The 2.0.1 adapter names its own actions, some spelled as 1.6's (BootNotification, Heartbeat).
SPEAK_201 = "simulator/station/ocpp201/"
WIRE_16_ONLY = WIRE_16 - frozenset(action.value for action in Action201)


def _docstrings(tree: ast.Module) -> set[int]:
    """ids of the docstring constants of the module, its classes and its functions."""
    found: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                found.add(id(body[0].value))
    return found


def wire_names(tree: ast.Module, names: Collection[str]) -> Iterator[tuple[int, str]]:
    """(line, string) of each string constant of the code that is one of `names`."""
    docstrings = _docstrings(tree)
    # A piece of an f-string is text, not a name: f"{kind}Reset" spells a stop reason.
    in_f_strings = {
        id(part)
        for node in ast.walk(tree)
        if isinstance(node, ast.JoinedStr)
        for part in node.values
    }
    docstrings |= in_f_strings
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and node.value in names
            and id(node) not in docstrings
        ):
            yield node.lineno, node.value


def test_no_module_but_the_16_adapter_names_a_16_action_or_id_tag_info() -> None:
    naming = {
        f"{relative(path)}:{line} {name}"
        for path in source_files(ROOT, ("simulator",))
        if not relative(path).startswith(SPEAK_16)
        for line, name in wire_names(
            ast.parse(path.read_text(encoding="utf-8")),
            WIRE_16_ONLY if relative(path).startswith(SPEAK_201) else WIRE_16,
        )
    }

    assert naming == set()


def test_a_docstring_naming_an_action_is_prose() -> None:
    tree = ast.parse('"""StartTransaction, as the module says."""\nACTION = "StartTransaction"\n')

    assert list(wire_names(tree, {"StartTransaction"})) == [(2, "StartTransaction")]


def test_importing_a_sibling_through_the_package_runs_the_packages_init(tmp_path: Path) -> None:
    """`from pkg import b` inside a module the package's __init__ imports closes a circle."""
    root = _package(
        tmp_path,
        {"__init__.py": "from pkg import a\n", "a.py": "from pkg import b\n", "b.py": ""},
    )

    graph = import_graph(root, ("pkg",), package_edges=True)

    assert find_cycle(graph) is not None
    assert find_cycle(import_graph(root, ("pkg",))) is None
