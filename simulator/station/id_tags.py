"""Authorization tags: the template's authorizationFile and the rule that picks a tag per session.

The rules are the TS simulator's idTagDistribution: `random` (any tag, drawn from the
connector's random generator), `round-robin` (the station walks the list, whichever connector
asks) and `connector-affinity` (connector c of the station with template index i always uses
tag (i - 1 + c - 1) mod n).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from loguru import logger

from simulator.station.light_random import Rng

# What the TS simulator sends when a station has no authorization tags.
DEFAULT_ID_TAG = "00000000"


def load_id_tags(path: str | Path) -> list[str]:
    """The tags of an authorizationFile (a JSON list of strings); [] with a warning when the
    file is missing or not such a list: the station still runs, with DEFAULT_ID_TAG."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        logger.warning("authorizationFile {}: {}", path, exc)
        return []
    if not isinstance(data, list) or not all(isinstance(tag, str) for tag in data):
        logger.warning("authorizationFile {}: expected a JSON list of strings", path)
        return []
    return data


class IdTagsCache:
    """Each authorizationFile read once per version: the stations of a worker that share a
    template share its list. A changed file (another mtime or size) is read again."""

    def __init__(self) -> None:
        self._files: dict[str, tuple[tuple[int, int], list[str]]] = {}

    def get(self, path: str) -> list[str]:
        try:
            stat = Path(path).stat()
            version = (stat.st_mtime_ns, stat.st_size)
        except OSError:
            version = (-1, -1)
        cached = self._files.get(path)
        if cached is not None and cached[0] == version:
            return cached[1]
        tags = load_id_tags(path)
        self._files[path] = (version, tags)
        return tags


class IdTagDistribution:
    """One station's idTag picker."""

    def __init__(self, rule: str, station_index: int, id_tags: Sequence[str]) -> None:
        self.rule = rule
        self.station_index = station_index
        self.id_tags: Sequence[str] = id_tags
        self._next = 0

    def replace_tags(self, id_tags: Sequence[str]) -> None:
        self.id_tags = id_tags
        if self._next >= len(id_tags):
            self._next = 0

    def pick(self, connector_id: int, rng: Rng) -> str:
        tags = self.id_tags
        if not tags:
            return DEFAULT_ID_TAG
        if self.rule == "round-robin":
            tag = tags[self._next % len(tags)]
            self._next = (self._next + 1) % len(tags)
            return tag
        if self.rule == "connector-affinity":
            return tags[affinity_index(self.station_index, connector_id, len(tags))]
        return tags[rng.randrange(len(tags))]


def affinity_index(station_index: int, connector_id: int, count: int) -> int:
    """connector-affinity: the tag of connector `connector_id` of station `station_index`."""
    return (station_index - 1 + connector_id - 1) % count


__all__ = ["DEFAULT_ID_TAG", "IdTagDistribution", "IdTagsCache", "affinity_index", "load_id_tags"]
