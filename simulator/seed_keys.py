"""The keys of the TypeScript simulator's configuration (the seed README evsim follows), as
facts only: per section each key's name and, where its tables give them, default and type.

They live in docs/ts-simulator-keys.json, written once from the seed README by
`python -m simulator.seed_keys [README]` (default: ../shared/seed/ next to the repository),
so that the configuration reference and its test can check every key without evsim keeping
a copy of another project's text.
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
KEYS_PATH = REPO / "docs" / "ts-simulator-keys.json"
SEED_README = REPO.parent / "shared" / "seed" / "000_ebb6039347703c43.txt"

# The sections the seed README describes: its two tables, then the example blocks of the
# template's sections.
SECTIONS = (
    "config.json",
    "template",
    "Configuration",
    "AutomaticTransactionGenerator",
    "Connectors",
)


@dataclass(frozen=True, slots=True)
class SeedRow:
    section: str  # one of SECTIONS
    key: str
    default: str = ""
    type: str = ""


def _without_line_numbers(text: str) -> list[str]:
    """The README's lines; a stored web view prefixes each with its number ("91 | Key |")."""
    lines = text.splitlines()
    numbered = [re.match(r"(\d+)(?: |$)", line) for line in lines]
    if sum(match is not None for match in numbered) > len(lines) // 2:
        return [line[m.end() :] for line, m in zip(lines, numbered, strict=True) if m]
    return lines


def _fact(cell: str) -> str:
    """A table cell as one line: HTML line breaks and escaped bars undone."""
    cell = re.sub(r"<br\s*/?>", " ", cell).replace("\\|", "|")
    return re.sub(r"\s+", " ", cell).strip()


def seed_rows(text: str) -> list[SeedRow]:
    """The keys of the README's configuration tables and of its section examples."""
    rows: list[SeedRow] = []
    section = ""
    block = ""
    in_block = False
    for line in _without_line_numbers(text):
        if line.startswith("**src/assets/config.json**"):
            section = "config.json"
        elif line.startswith("**src/assets/station-templates"):
            section = "template"
        elif line.startswith("#### "):
            section = line.removeprefix("#### ").removesuffix(" section").strip()
        if line.startswith("```"):
            in_block = not in_block
            block = line.removeprefix("```") if in_block else ""
            continue
        if section in ("config.json", "template") and line.startswith("| "):
            cells = [cell.strip() for cell in re.split(r"(?<!\\)\|", line)[1:-1]]
            if cells and cells[0] not in ("Key", "") and not set(cells[0]) <= {"-"}:
                rows.append(SeedRow(section, cells[0], _fact(cells[2]), _fact(cells[3])))
        elif in_block and block == "ts" and section == "AutomaticTransactionGenerator":
            match = re.match(r"\s*(\w+)\??:", line)
            if match:
                rows.append(SeedRow(section, match.group(1)))
        elif in_block and block == "json" and section in ("Configuration", "Connectors"):
            for key in re.findall(r'"([A-Za-z]\w*)":', line):
                if key != section and SeedRow(section, key) not in rows:
                    rows.append(SeedRow(section, key))
    return rows


def to_json(rows: list[SeedRow]) -> str:
    sections: dict[str, list[dict[str, str]]] = {section: [] for section in SECTIONS}
    for row in rows:
        fields = {k: v for k, v in asdict(row).items() if k != "section" and v}
        sections[row.section].append(fields)
    return json.dumps(sections, indent=2, ensure_ascii=False) + "\n"


def load_seed_rows(path: Path = KEYS_PATH) -> list[SeedRow]:
    """The rows docs/ts-simulator-keys.json holds."""
    sections: dict[str, list[dict[str, str]]] = json.loads(path.read_text(encoding="utf-8"))
    return [SeedRow(section, **fields) for section, items in sections.items() for fields in items]


def main(argv: list[str] | None = None) -> int:
    """Write docs/ts-simulator-keys.json from the seed README (or the README path given)."""
    args = sys.argv[1:] if argv is None else argv
    readme = Path(args[0]) if args else SEED_README
    if not readme.is_file():
        print(f"{readme}: no such file; give the seed README's path", file=sys.stderr)
        return 1
    rows = seed_rows(readme.read_text(encoding="utf-8"))
    KEYS_PATH.write_text(to_json(rows), encoding="utf-8")
    print(f"wrote {KEYS_PATH} ({len(rows)} keys)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
