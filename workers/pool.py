"""Worker pools: one pool machine, `ProcessPool`, behind one interface, `WorkerPool`, with the
three models of the seed's `worker.processType` as data (`PoolModel`): WorkerSet, StaticPool and
DynamicPool differ only in placement policy, initial size, start delay and idle retirement.

A pool places opaque elements on worker processes (`workers.placement` decides where), forwards
requests to the workers that own the addressed elements and reports what the workers emit.
It is used from one asyncio loop, the supervisor's. The processes themselves (spawn, exit,
respawn, stop) are `workers.worker_lifecycle`'s.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import AsyncIterator, Iterable, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Protocol

from workers import placement
from workers.messages import (
    AddElements,
    ElementsAdded,
    ElementsRemoved,
    NewElement,
    PoolEvent,
    RemoteError,
    RemoveElements,
    Request,
    RequestTimeout,
)
from workers.process import factory_module
from workers.worker_lifecycle import (
    ADD_CHUNK,
    PoolModel,
    ProcessType,
    WorkerLifecycle,
    _Phase,
    _State,
)


class WorkerStartError(RuntimeError):
    """A worker of the initial set could not start its host; the pool was stopped again."""


class ElementError(Exception):
    """The host refused to add or remove an element."""

    def __init__(self, element_id: str, error: RemoteError) -> None:
        super().__init__(f"element {element_id!r}: {error}")
        self.element_id = element_id
        self.error = error


@dataclass(frozen=True, slots=True)
class AddOutcome:
    placed: dict[str, int]
    """Element id -> worker id, for the elements the hosts accepted."""
    failed: dict[str, RemoteError]
    """Elements that are not running: the host raised, or the worker died first. The pool has
    forgotten them."""


class WorkerPool(Protocol):
    """The pool interface the supervisor uses. Not thread-safe: call it from one loop."""

    async def start(self) -> None:
        """Start the initial workers and wait until their hosts are built.

        Raises WorkerStartError (after stopping whatever started) when one of them fails.
        """

    async def add(self, element_id: str, spec: Any) -> int:
        """Place one element and wait until its host added it; the worker id.

        Raises ElementError when the host refused it, ValueError when the id is already placed.
        """

    async def add_many(self, elements: Iterable[tuple[str, Any]]) -> AddOutcome:
        """Place many elements: one message per worker and chunk, acknowledgements awaited
        together. Raises ValueError, before placing anything, when an id is already placed."""

    async def remove(self, element_id: str) -> None:
        """Remove one element. KeyError when unknown, ElementError when its host raised (the pool
        forgets the element all the same)."""

    async def remove_many(self, element_ids: Iterable[str]) -> dict[str, RemoteError]:
        """Remove many elements, one message per worker; the host failures, by element id."""

    async def request(
        self,
        payload: Any,
        element_ids: list[str] | None = None,
        timeout: float = 30,
    ) -> dict[int, Any]:
        """Send `payload` once to each worker owning one of `element_ids` (unknown ids are
        ignored), or to every live worker when None; the answers by worker id.

        A host exception comes back as a `RemoteError` value, a worker that died as a
        `RemoteError` named `WorkerExited`, no answer within `timeout` seconds as `RequestTimeout`.
        """

    def events(self) -> AsyncIterator[PoolEvent]:
        """Element event batches and worker lifecycle events, until the pool has stopped.

        Meant for one consumer, which must keep reading: events wait in an unbounded queue.
        """

    def owner(self, element_id: str) -> int | None:
        """The worker holding `element_id`, also when that worker has died; None if unknown."""

    @property
    def element_count(self) -> int:
        """Elements placed, including those of workers that died."""

    @property
    def worker_count(self) -> int:
        """Worker processes starting or running."""

    async def stop(self, timeout: float = 10) -> None:
        """Ask every worker to stop its host and wait up to `timeout` seconds; then SIGTERM,
        then SIGKILL whatever is left, and join every process."""


# -- the three models ------------------------------------------------------------------------------


def worker_set_model(elements_per_worker: int = 1, start_delay_ms: float = 500) -> PoolModel:
    """Workers of `elements_per_worker` elements each, opened as they fill up: one at the start,
    the next when every worker is full, `start_delay_ms` between two worker starts. Workers are
    never stopped before the pool."""
    return PoolModel(
        "workerSet",
        placement.WorkerSetPolicy(elements_per_worker),
        initial_size=1,
        start_delay=start_delay_ms / 1000,
    )


def static_pool_model(
    size: int, strategy: placement.Strategy | str = placement.Strategy.ROUND_ROBIN
) -> PoolModel:
    """`size` workers started together; elements placed by `strategy` (see workers.placement
    for how poolifier's strategy names are modelled)."""
    if size < 1:
        raise ValueError(f"pool size must be >= 1, got {size}")
    policy = placement.StaticPolicy(placement.parse_strategy(strategy))
    return PoolModel("staticPool", policy, initial_size=size)


def dynamic_pool_model(
    min_size: int,
    max_size: int,
    capacity_per_worker: int = 1,
    strategy: placement.Strategy | str = placement.Strategy.ROUND_ROBIN,
    idle_timeout: float = 60,
) -> PoolModel:
    """Between `min_size` and `max_size` workers. Elements go, by `strategy`, to the workers
    holding fewer than `capacity_per_worker`; when every worker is full a worker is added, up to
    `max_size` (then workers take more than their capacity). A worker that has held no element
    for `idle_timeout` seconds is stopped while there are more than `min_size`."""
    if not 0 <= min_size <= max_size:
        raise ValueError(f"need 0 <= min_size <= max_size, got {min_size} and {max_size}")
    policy = placement.DynamicPolicy(
        capacity_per_worker, max_size, placement.parse_strategy(strategy)
    )
    return PoolModel(
        "dynamicPool", policy, initial_size=min_size, idle_timeout=idle_timeout, min_size=min_size
    )


# -- the machine -----------------------------------------------------------------------------------


class ProcessPool(WorkerLifecycle):
    """The one pool machine; its `PoolModel` decides placement and sizing."""

    def __init__(self, factory: str, model: PoolModel, **process_options: Any) -> None:
        super().__init__(factory, model, **process_options)
        self._last_choice: int | None = None

    async def start(self) -> None:
        if self._state is not _State.NEW:
            raise RuntimeError("a pool starts once")
        self._loop = asyncio.get_running_loop()
        # Later pools share the fork server already running: its preload is set once.
        self._ctx.set_forkserver_preload(["workers.process", factory_module(self._factory)])
        self._state = _State.RUNNING
        initial = [self._open_worker() for _ in range(self._initial_size())]
        try:
            async with asyncio.timeout(self._start_timeout):
                started = await asyncio.gather(*(w.ready for w in initial))
        except TimeoutError:
            await self.stop(timeout=1)
            raise WorkerStartError(
                f"workers did not start within {self._start_timeout} s"
            ) from None
        if not all(started):
            errors = {w.handle.worker_id: w.error for w in initial if not w.ready.result()}
            await self.stop(timeout=1)
            reasons = "; ".join(f"worker {i}: {e or 'exited'}" for i, e in errors.items())
            raise WorkerStartError(f"factory {self._factory!r} failed to start: {reasons}")
        self._background = self._loop.create_task(self._retire_idle())

    async def add(self, element_id: str, spec: Any) -> int:
        outcome = await self.add_many([(element_id, spec)])
        if element_id in outcome.failed:
            raise ElementError(element_id, outcome.failed[element_id])
        return outcome.placed[element_id]

    async def add_many(self, elements: Iterable[tuple[str, Any]]) -> AddOutcome:
        self._require_running()
        items = list(elements)
        taken = [element_id for element_id, _ in items if element_id in self._owners]
        if taken:
            raise ValueError(f"elements already placed: {', '.join(map(repr, taken[:10]))}")
        loads = {wid: len(w.elements) for wid, w in self._workers.items() if w.live}
        plan = placement.plan(
            self._model.policy,
            (element_id for element_id, _ in items),
            loads,
            self._last_choice,
            self._next_worker_id,
        )
        for _ in plan.opened:
            self._open_worker()
        self._last_choice = plan.last

        batches: dict[int, list[NewElement]] = defaultdict(list)
        for element_id, spec in items:
            worker_id = plan.assignments[element_id]
            worker = self._workers[worker_id]
            worker.elements[element_id] = spec
            worker.idle_since = None
            self._owners[element_id] = worker_id
            batches[worker_id].append(NewElement(element_id, spec))

        sent: list[tuple[tuple[NewElement, ...], asyncio.Future[Any]]] = []
        for worker_id, batch in batches.items():
            for start in range(0, len(batch), ADD_CHUNK):
                chunk = tuple(batch[start : start + ADD_CHUNK])
                future = self._send_request(worker_id, partial(AddElements, elements=chunk))
                sent.append((chunk, future))
        answers = await asyncio.gather(*(future for _, future in sent))

        failed: dict[str, RemoteError] = {}
        for (chunk, _), answer in zip(sent, answers, strict=True):
            if isinstance(answer, ElementsAdded):
                failed.update((f.element_id, f.error) for f in answer.failed)
            else:  # the worker died before it answered: none of the chunk is running
                failed.update((element.element_id, answer) for element in chunk)
        for element_id in failed:
            self._forget(element_id, plan.assignments[element_id])
        placed = {eid: wid for eid, wid in plan.assignments.items() if eid not in failed}
        return AddOutcome(placed=placed, failed=failed)

    async def remove(self, element_id: str) -> None:
        if element_id not in self._owners:
            raise KeyError(element_id)
        failed = await self.remove_many([element_id])
        if element_id in failed:
            raise ElementError(element_id, failed[element_id])

    async def remove_many(self, element_ids: Iterable[str]) -> dict[str, RemoteError]:
        self._require_running()
        batches: dict[int, list[str]] = defaultdict(list)
        for element_id in element_ids:
            worker_id = self._owners.get(element_id)
            if worker_id is None:
                continue
            worker = self._workers[worker_id]
            self._forget(element_id, worker_id)
            # A dead worker's elements are gone with it: only the record had to go.
            if worker.phase is not _Phase.EXITED:
                batches[worker_id].append(element_id)
        futures = [
            self._send_request(wid, partial(RemoveElements, element_ids=tuple(ids)))
            for wid, ids in batches.items()
        ]
        failed: dict[str, RemoteError] = {}
        for answer in await asyncio.gather(*futures):
            # A worker that died meanwhile took the elements with it: removed all the same.
            if isinstance(answer, ElementsRemoved):
                failed.update((f.element_id, f.error) for f in answer.failed)
        return failed

    async def request(
        self,
        payload: Any,
        element_ids: list[str] | None = None,
        timeout: float = 30,
    ) -> dict[int, Any]:
        self._require_running()
        targets: dict[int, tuple[str, ...] | None]
        if element_ids is None:
            targets = {wid: None for wid, w in self._workers.items() if w.live}
        else:
            grouped: dict[int, list[str]] = defaultdict(list)
            for element_id in element_ids:
                worker_id = self._owners.get(element_id)
                if worker_id is not None:
                    grouped[worker_id].append(element_id)
            targets = {wid: tuple(ids) for wid, ids in grouped.items()}

        async def answer(worker_id: int, ids: tuple[str, ...] | None) -> Any:
            future = self._send_request(
                worker_id, partial(Request, element_ids=ids, payload=payload)
            )
            try:
                async with asyncio.timeout(timeout):
                    return await future
            except TimeoutError:
                return RequestTimeout(worker_id, timeout)

        answers = await asyncio.gather(*(answer(wid, ids) for wid, ids in targets.items()))
        return dict(zip(targets, answers, strict=True))

    async def events(self) -> AsyncIterator[PoolEvent]:
        while True:
            event = await self._events.get()
            if event is None:
                # Later iterators (and a second consumer) see the end too.
                self._events.put_nowait(None)
                return
            yield event

    def owner(self, element_id: str) -> int | None:
        return self._owners.get(element_id)

    @property
    def element_count(self) -> int:
        return len(self._owners)

    @property
    def worker_count(self) -> int:
        return sum(1 for w in self._workers.values() if w.live)

    def _require_running(self) -> None:
        if self._state is not _State.RUNNING:
            raise RuntimeError(f"the pool is {self._state.name.lower()}, not running")


# The names of the three models, for the callers and tests that build one directly.


class WorkerSet(ProcessPool):
    def __init__(
        self,
        factory: str,
        *,
        elements_per_worker: int = 1,
        start_delay_ms: float = 500,
        **process_options: Any,
    ) -> None:
        model = worker_set_model(elements_per_worker, start_delay_ms)
        super().__init__(factory, model, **process_options)


class StaticPool(ProcessPool):
    def __init__(
        self,
        factory: str,
        *,
        size: int,
        strategy: placement.Strategy | str = placement.Strategy.ROUND_ROBIN,
        **process_options: Any,
    ) -> None:
        super().__init__(factory, static_pool_model(size, strategy), **process_options)


class DynamicPool(ProcessPool):
    def __init__(
        self,
        factory: str,
        *,
        min_size: int,
        max_size: int,
        capacity_per_worker: int = 1,
        strategy: placement.Strategy | str = placement.Strategy.ROUND_ROBIN,
        idle_timeout: float = 60,
        **process_options: Any,
    ) -> None:
        model = dynamic_pool_model(min_size, max_size, capacity_per_worker, strategy, idle_timeout)
        super().__init__(factory, model, **process_options)


@dataclass(frozen=True, slots=True)
class PoolOptions:
    """How to build a pool; the fields follow the `worker` section of the simulator's config."""

    factory: str
    """`package.module:Name` of the ElementHost factory run in every worker."""
    process_type: ProcessType = "workerSet"
    elements_per_worker: int = 1
    start_delay_ms: float = 500
    """workerSet only: between two worker starts."""
    element_start_delay_ms: float = 0
    """Between two element starts within one worker, applied by the worker."""
    pool_min_size: int = 4
    pool_max_size: int = 16
    """staticPool: its size. dynamicPool: its upper bound."""
    pool_strategy: str = "ROUND_ROBIN"
    capacity_per_worker: int | None = None
    """dynamicPool: elements per worker before it grows; None means elements_per_worker."""
    idle_timeout: float = 60
    """dynamicPool: seconds a worker stays without elements before it is stopped."""
    respawn: bool = True
    """Replace a worker that dies unexpectedly and re-add its elements from their specs."""
    host_options: Mapping[str, Any] = field(default_factory=dict)
    use_uvloop: bool = True
    event_flush_interval: float = 0.1
    start_timeout: float = 60


def make_pool(options: PoolOptions) -> WorkerPool:
    """The pool `options.process_type` names. ValueError for an unknown type or strategy."""
    common: dict[str, Any] = {
        "element_start_delay_ms": options.element_start_delay_ms,
        "host_options": options.host_options,
        "use_uvloop": options.use_uvloop,
        "event_flush_interval": options.event_flush_interval,
        "start_timeout": options.start_timeout,
        "respawn": options.respawn,
    }
    match options.process_type:
        case "workerSet":
            return WorkerSet(
                options.factory,
                elements_per_worker=options.elements_per_worker,
                start_delay_ms=options.start_delay_ms,
                **common,
            )
        case "staticPool":
            return StaticPool(
                options.factory,
                size=options.pool_max_size,
                strategy=options.pool_strategy,
                **common,
            )
        case "dynamicPool":
            return DynamicPool(
                options.factory,
                min_size=options.pool_min_size,
                max_size=options.pool_max_size,
                capacity_per_worker=options.capacity_per_worker or options.elements_per_worker,
                strategy=options.pool_strategy,
                idle_timeout=options.idle_timeout,
                **common,
            )
        case other:
            raise ValueError(
                f"unknown worker processType {other!r}; expected workerSet, staticPool or "
                "dynamicPool"
            )
