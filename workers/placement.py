"""Where elements go: pure functions of the current per-worker element counts.

No I/O and no clock: the pool passes in the loads (worker id -> number of elements it holds, live
workers only) and applies the `Plan` it gets back, so every rule here is tested without processes.

Strategies take poolifier's names, which the reference simulator's `poolStrategy` uses. Two are
modelled; the others map to the closest one, because an element here is a long-lived station,
not a short task, so the busy-time and event-loop-utilisation measures poolifier uses for tasks
are best approximated by how many stations a worker holds:

==================================  =============  ========================================
poolifier strategy                  modelled as    why
==================================  =============  ========================================
ROUND_ROBIN                         ROUND_ROBIN
WEIGHTED_ROUND_ROBIN                ROUND_ROBIN    all workers are identical: equal weights
INTERLEAVED_WEIGHTED_ROUND_ROBIN    ROUND_ROBIN    same, interleaving changes nothing
LEAST_USED                          LEAST_USED     fewest elements
LEAST_BUSY                          LEAST_USED     a worker's load grows with its stations
LEAST_ELU                           LEAST_USED     same
FAIR_SHARE                          LEAST_USED     same
==================================  =============  ========================================
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

Loads = Mapping[int, int]
"""Worker id -> number of elements it holds."""


class Strategy(StrEnum):
    ROUND_ROBIN = "ROUND_ROBIN"
    LEAST_USED = "LEAST_USED"
    LEAST_BUSY = "LEAST_BUSY"
    LEAST_ELU = "LEAST_ELU"
    FAIR_SHARE = "FAIR_SHARE"
    WEIGHTED_ROUND_ROBIN = "WEIGHTED_ROUND_ROBIN"
    INTERLEAVED_WEIGHTED_ROUND_ROBIN = "INTERLEAVED_WEIGHTED_ROUND_ROBIN"


_MODELLED = {
    Strategy.ROUND_ROBIN: Strategy.ROUND_ROBIN,
    Strategy.WEIGHTED_ROUND_ROBIN: Strategy.ROUND_ROBIN,
    Strategy.INTERLEAVED_WEIGHTED_ROUND_ROBIN: Strategy.ROUND_ROBIN,
    Strategy.LEAST_USED: Strategy.LEAST_USED,
    Strategy.LEAST_BUSY: Strategy.LEAST_USED,
    Strategy.LEAST_ELU: Strategy.LEAST_USED,
    Strategy.FAIR_SHARE: Strategy.LEAST_USED,
}


class NoWorkerError(LookupError):
    """There is no live worker to place an element on and the pool may not open one."""


def parse_strategy(name: str) -> Strategy:
    """The strategy named `name` (poolifier spelling), or ValueError listing the accepted names."""
    try:
        return Strategy(name)
    except ValueError:
        accepted = ", ".join(s.value for s in Strategy)
        raise ValueError(f"unknown pool strategy {name!r}; expected one of {accepted}") from None


def modelled(strategy: Strategy) -> Strategy:
    """The strategy actually applied: ROUND_ROBIN or LEAST_USED (see the module docstring)."""
    return _MODELLED[strategy]


def round_robin(worker_ids: Iterable[int], last: int | None) -> int:
    """The lowest worker id above `last`, wrapping around to the lowest.

    Keyed on the last id rather than on a position so it stays fair while workers come and go.
    """
    ids = sorted(worker_ids)
    if not ids:
        raise NoWorkerError("no worker to choose from")
    if last is not None:
        for worker_id in ids:
            if worker_id > last:
                return worker_id
    return ids[0]


def least_used(loads: Loads) -> int:
    """The worker holding the fewest elements; the lowest id on a tie, so results are stable."""
    if not loads:
        raise NoWorkerError("no worker to choose from")
    return min(loads, key=lambda worker_id: (loads[worker_id], worker_id))


def pick(strategy: Strategy, loads: Loads, last: int | None) -> int:
    if modelled(strategy) is Strategy.ROUND_ROBIN:
        return round_robin(loads, last)
    return least_used(loads)


class Policy(Protocol):
    def choose(self, loads: Loads, last: int | None) -> int | None:
        """The worker for the next element, or None to open a new worker for it.

        `last` is the worker chosen for the previous element.
        """
        ...


@dataclass(frozen=True, slots=True)
class WorkerSetPolicy:
    """Fill workers in id order; open a new one when every worker holds `elements_per_worker`."""

    elements_per_worker: int

    def __post_init__(self) -> None:
        if self.elements_per_worker < 1:
            raise ValueError(f"elements_per_worker must be >= 1, got {self.elements_per_worker}")

    def choose(self, loads: Loads, last: int | None) -> int | None:
        for worker_id in sorted(loads):
            if loads[worker_id] < self.elements_per_worker:
                return worker_id
        return None


@dataclass(frozen=True, slots=True)
class StaticPolicy:
    """A fixed set of workers: place by strategy, never open a worker."""

    strategy: Strategy

    def choose(self, loads: Loads, last: int | None) -> int | None:
        return pick(self.strategy, loads, last)


@dataclass(frozen=True, slots=True)
class DynamicPolicy:
    """Place by strategy among the workers below `capacity`; open a worker (up to `max_size`)
    only when every worker is full. At `max_size`, workers take more than `capacity`."""

    capacity: int
    max_size: int
    strategy: Strategy

    def __post_init__(self) -> None:
        if self.capacity < 1:
            raise ValueError(f"capacity must be >= 1, got {self.capacity}")
        if self.max_size < 1:
            raise ValueError(f"max_size must be >= 1, got {self.max_size}")

    def choose(self, loads: Loads, last: int | None) -> int | None:
        with_room = {w: n for w, n in loads.items() if n < self.capacity}
        if with_room:
            return pick(self.strategy, with_room, last)
        if len(loads) < self.max_size:
            return None
        return pick(self.strategy, loads, last)


@dataclass(frozen=True, slots=True)
class Plan:
    assignments: dict[str, int]
    """Element id -> worker id, in the order the elements were given."""
    opened: tuple[int, ...]
    """Ids of the workers to open, in order; they appear in `assignments` and `loads`."""
    loads: dict[int, int]
    last: int | None


def plan(
    policy: Policy,
    element_ids: Iterable[str],
    loads: Loads,
    last: int | None,
    next_worker_id: int,
) -> Plan:
    """Place `element_ids` one after the other, as if each were added alone.

    New workers get consecutive ids from `next_worker_id`. Raises ValueError on a duplicate id
    and NoWorkerError when the policy has nowhere to put an element.
    """
    current = dict(loads)
    assignments: dict[str, int] = {}
    opened: list[int] = []
    for element_id in element_ids:
        if element_id in assignments:
            raise ValueError(f"element {element_id!r} given twice")
        worker_id = policy.choose(current, last)
        if worker_id is None:
            worker_id = next_worker_id
            next_worker_id += 1
            opened.append(worker_id)
            current[worker_id] = 0
        current[worker_id] += 1
        assignments[element_id] = worker_id
        last = worker_id
    return Plan(assignments=assignments, opened=tuple(opened), loads=current, last=last)


def idle_surplus(
    idle_since: Mapping[int, float],
    live_workers: int,
    now: float,
    idle_timeout: float,
    min_size: int,
) -> list[int]:
    """The workers to stop: empty for at least `idle_timeout`, never going below `min_size`.

    `idle_since` maps each empty live worker to the time it became empty. The newest workers go
    first, so the long-lived low ids stay.
    """
    surplus = live_workers - min_size
    if surplus <= 0:
        return []
    expired = [w for w, since in idle_since.items() if now - since >= idle_timeout]
    return sorted(expired, reverse=True)[:surplus]
