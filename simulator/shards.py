"""Splitting a fleet over instances (shards): pure functions.

Every instance loads the same config; shard i of n takes the i-th contiguous block of each
template's station indexes. Station ids, hashIds and seeds come from the index, so the shards are
disjoint, their union is the unsharded fleet, and a restarted instance gets its stations back.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

_ORDINAL = re.compile(r"-(\d+)$")


def shard_block(count: int, shard_index: int, shard_count: int) -> range:
    """The 0-based positions, among `count` stations, that belong to one shard.

    Blocks differ in size by at most one, so a fleet of 10 over 3 shards is 3, 3, 4.
    """
    start = count * shard_index // shard_count
    end = count * (shard_index + 1) // shard_count
    return range(start, end)


def orchestrated_shard_index(environ: Mapping[str, str], hostname: str) -> int | None:
    """The shard index Kubernetes gives a pod: an Indexed Job's JOB_COMPLETION_INDEX, else a
    StatefulSet pod's ordinal (the number after the last dash of its hostname)."""
    completion = environ.get("JOB_COMPLETION_INDEX", "")
    if completion.isdigit():
        return int(completion)
    match = _ORDINAL.search(hostname)
    return int(match.group(1)) if match else None
