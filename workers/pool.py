"""Worker pools: WorkerSet, StaticPool and DynamicPool behind one interface, `WorkerPool`.

A pool places opaque elements on worker processes (`workers.placement` decides where), forwards
requests to the workers that own the addressed elements and reports what the workers emit.
It is used from one asyncio loop, the supervisor's.

Processes come from the "forkserver" start method, with the factory's module preloaded in the
fork server so the element stack is imported once and shared by every worker. Each worker has an
inbox queue for commands and an outbox pipe for its answers and events (see workers.process for
why the outbox is not shared), read by a daemon thread that hands each message to the loop.

A worker's exit is reported once its process has ended and its outbox has been read to the end,
so its last events and answers always come before its `WorkerExited`.

The parent keeps, for every worker, the elements it holds and their specs, also after the worker
died: that is what a respawn will re-add.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
from abc import ABC, abstractmethod
from collections import defaultdict
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import Enum, auto
from functools import partial
from typing import Any, Literal

from loguru import logger

from workers import placement
from workers.messages import (
    AddElements,
    ElementEvents,
    ElementsAdded,
    ElementsRemoved,
    InboxMessage,
    NewElement,
    OutboxMessage,
    PoolEvent,
    RemoteError,
    RemoveElements,
    Reply,
    Request,
    RequestTimeout,
    StopWorker,
    WorkerExited,
    WorkerFailed,
    WorkerStarted,
)
from workers.process import WorkerConfig, WorkerProcess, factory_module

ProcessType = Literal["workerSet", "staticPool", "dynamicPool"]

ADD_CHUNK = 500
"""Elements per `AddElements` message: big enough to save round trips, small enough that a
worker acknowledges progress while it ramps up with an element start delay."""

_EXIT_DRAIN_TIMEOUT = 2.0
_TERMINATE_GRACE = 1.0
_KILL_GRACE = 5.0


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


class WorkerPool(ABC):
    """The pool interface the supervisor uses. Not thread-safe: call it from one loop."""

    @abstractmethod
    async def start(self) -> None:
        """Start the initial workers and wait until their hosts are built.

        Raises WorkerStartError (after stopping whatever started) when one of them fails.
        """

    @abstractmethod
    async def add(self, element_id: str, spec: Any) -> int:
        """Place one element and wait until its host added it; the worker id.

        Raises ElementError when the host refused it, ValueError when the id is already placed.
        """

    @abstractmethod
    async def add_many(self, elements: Iterable[tuple[str, Any]]) -> AddOutcome:
        """Place many elements: one message per worker and chunk, acknowledgements awaited
        together. Raises ValueError, before placing anything, when an id is already placed."""

    @abstractmethod
    async def remove(self, element_id: str) -> None:
        """Remove one element. KeyError when unknown, ElementError when its host raised (the pool
        forgets the element all the same)."""

    @abstractmethod
    async def remove_many(self, element_ids: Iterable[str]) -> dict[str, RemoteError]:
        """Remove many elements, one message per worker; the host failures, by element id."""

    @abstractmethod
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

    @abstractmethod
    def events(self) -> AsyncIterator[PoolEvent]:
        """Element event batches and worker lifecycle events, until the pool has stopped.

        Meant for one consumer, which must keep reading: events wait in an unbounded queue.
        """

    @abstractmethod
    def owner(self, element_id: str) -> int | None:
        """The worker holding `element_id`, also when that worker has died; None if unknown."""

    @property
    @abstractmethod
    def element_count(self) -> int:
        """Elements placed, including those of workers that died."""

    @property
    @abstractmethod
    def worker_count(self) -> int:
        """Worker processes starting or running."""

    @abstractmethod
    async def stop(self, timeout: float = 10) -> None:
        """Ask every worker to stop its host and wait up to `timeout` seconds; then SIGTERM,
        then SIGKILL whatever is left, and join every process."""


class _State(Enum):
    NEW = auto()
    RUNNING = auto()
    STOPPING = auto()
    STOPPED = auto()


class _Phase(Enum):
    STARTING = auto()
    RUNNING = auto()
    RETIRING = auto()
    EXITED = auto()


@dataclass(eq=False, slots=True)
class _Worker:
    handle: WorkerProcess
    ready: asyncio.Future[bool]
    exited: asyncio.Future[int | None]
    elements: dict[str, Any] = field(default_factory=dict)
    phase: _Phase = _Phase.STARTING
    error: RemoteError | None = None
    idle_since: float | None = None
    ended: bool = False
    """The process has ended (its sentinel fired)."""
    drained: bool = False
    """Its outbox has been read to the end."""
    drain_timer: asyncio.TimerHandle | None = None

    @property
    def live(self) -> bool:
        return self.phase in (_Phase.STARTING, _Phase.RUNNING)


@dataclass(eq=False, slots=True)
class _Pending:
    worker_id: int
    future: asyncio.Future[Any]


class ProcessPool(WorkerPool):
    """The process machinery shared by the pool kinds, which decide placement and sizing."""

    def __init__(
        self,
        factory: str,
        *,
        element_start_delay_ms: float = 0,
        host_options: Mapping[str, Any] | None = None,
        use_uvloop: bool = True,
        event_flush_interval: float = 0.1,
        start_timeout: float = 60,
        respawn: bool = False,
        respawn_delay: float = 1.0,
    ) -> None:
        factory_module(factory)  # a malformed path fails here, not in every worker
        self._respawn = respawn
        self._respawn_delay = respawn_delay
        self.respawns = 0
        """How many dead workers were replaced."""
        self._respawning: set[asyncio.Task[None]] = set()
        self._factory = factory
        self._host_options = dict(host_options or {})
        self._use_uvloop = use_uvloop
        self._event_flush_interval = event_flush_interval
        self._element_start_delay = element_start_delay_ms / 1000
        self._start_timeout = start_timeout
        self._ctx = multiprocessing.get_context("forkserver")
        self._state = _State.NEW
        self._stopping = asyncio.Event()
        self._stopped = asyncio.Event()
        self._workers: dict[int, _Worker] = {}
        self._owners: dict[str, int] = {}
        self._next_worker_id = 0
        self._last_choice: int | None = None
        self._pending: dict[int, _Pending] = {}
        self._next_request_id = 0
        self._events: asyncio.Queue[PoolEvent | None] = asyncio.Queue()
        self._spawns: set[asyncio.Task[None]] = set()
        self._spawn_lock = asyncio.Lock()
        self._last_spawn: float | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._background: asyncio.Task[None] | None = None

    # -- what the pool kinds decide

    @abstractmethod
    def _policy(self) -> placement.Policy: ...

    @abstractmethod
    def _initial_size(self) -> int: ...

    def _start_delay(self) -> float:
        """Seconds between two worker starts."""
        return 0.0

    async def _run_background(self) -> None:
        """Runs from start() to stop(); a pool that resizes itself does it here."""

    # -- interface

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
        self._background = self._loop.create_task(self._run_background())

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
            self._policy(),
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

    async def stop(self, timeout: float = 10) -> None:
        if self._state is _State.NEW:
            self._state = _State.STOPPED
            self._events.put_nowait(None)
            return
        if self._state is not _State.RUNNING:
            await self._stopped.wait()
            return
        self._state = _State.STOPPING
        self._stopping.set()
        if self._background is not None:
            self._background.cancel()
            await asyncio.gather(self._background, return_exceptions=True)
        for task in self._respawning:
            task.cancel()
        await asyncio.gather(*self._respawning, return_exceptions=True)
        # A spawn already talking to the fork server must finish, or its process would escape.
        await asyncio.gather(*self._spawns, return_exceptions=True)

        running = [w for w in self._workers.values() if w.phase is not _Phase.EXITED]
        for worker in running:
            if worker.handle.started:
                worker.handle.send(StopWorker())
            else:
                self._mark_exited(worker, None)
        for escalate, grace in (
            (None, timeout),
            (WorkerProcess.terminate, _TERMINATE_GRACE),
            (WorkerProcess.kill, _KILL_GRACE),
        ):
            left = [w for w in running if not w.exited.done()]
            if not left:
                break
            if escalate is not None:
                logger.warning(
                    "workers {} did not stop in time: {}",
                    [w.handle.worker_id for w in left],
                    escalate.__name__,
                )
                for worker in left:
                    escalate(worker.handle)
            await asyncio.wait([w.exited for w in left], timeout=grace)

        for pending in self._pending.values():
            if not pending.future.done():
                pending.future.set_result(RemoteError("PoolStopped", "the pool stopped"))
        self._pending.clear()
        self._state = _State.STOPPED
        self._stopped.set()
        self._events.put_nowait(None)

    # -- machinery

    def _require_running(self) -> None:
        if self._state is not _State.RUNNING:
            raise RuntimeError(f"the pool is {self._state.name.lower()}, not running")

    def _open_worker(self) -> _Worker:
        assert self._loop is not None
        worker_id = self._next_worker_id
        self._next_worker_id += 1
        config = WorkerConfig(
            worker_id=worker_id,
            factory=self._factory,
            host_options=self._host_options,
            use_uvloop=self._use_uvloop,
            event_flush_interval=self._event_flush_interval,
            element_start_delay=self._element_start_delay,
        )
        worker = _Worker(
            handle=WorkerProcess(self._ctx, config),
            ready=self._loop.create_future(),
            exited=self._loop.create_future(),
            idle_since=self._loop.time(),
        )
        self._workers[worker_id] = worker
        # Commands sent meanwhile wait in the inbox, so callers need not wait for the spawn.
        task = self._loop.create_task(self._spawn(worker))
        self._spawns.add(task)
        task.add_done_callback(self._spawns.discard)
        return worker

    async def _spawn(self, worker: _Worker) -> None:
        assert self._loop is not None
        async with self._spawn_lock:
            delay = self._start_delay()
            if self._last_spawn is not None and delay > 0:
                wait = self._last_spawn + delay - self._loop.time()
                if wait > 0:
                    # Wake up early when the pool stops: this worker is not needed any more.
                    with contextlib.suppress(TimeoutError):
                        async with asyncio.timeout(wait):
                            await self._stopping.wait()
            if self._stopping.is_set():
                return
            try:
                await worker.handle.start(
                    self._loop, self._on_message, partial(self._on_drained, worker)
                )
            except Exception as exc:
                logger.exception("worker {} could not be started", worker.handle.worker_id)
                worker.error = RemoteError.from_exception(exc)
                self._mark_exited(worker, None)
                return
            finally:
                self._last_spawn = self._loop.time()
        self._loop.add_reader(worker.handle.sentinel, self._on_sentinel, worker)

    def _send_request(
        self, worker_id: int, make: Callable[[int], InboxMessage]
    ) -> asyncio.Future[Any]:
        """Send `make(request_id)` to a worker; the future of its answer.

        A worker that is dead, or dies before answering, answers a `RemoteError` named
        `WorkerExited`.
        """
        assert self._loop is not None
        future: asyncio.Future[Any] = self._loop.create_future()
        worker = self._workers[worker_id]
        if worker.phase is _Phase.EXITED:
            future.set_result(self._exited_error(worker))
            return future
        request_id = self._next_request_id
        self._next_request_id += 1
        self._pending[request_id] = _Pending(worker_id, future)
        future.add_done_callback(lambda _: self._pending.pop(request_id, None))
        worker.handle.send(make(request_id))
        return future

    def _forget(self, element_id: str, worker_id: int) -> None:
        if self._owners.get(element_id) != worker_id:
            return  # removed, or removed and placed again, while its add was in flight
        del self._owners[element_id]
        worker = self._workers.get(worker_id)
        if worker is None:
            return
        worker.elements.pop(element_id, None)
        if worker.live and not worker.elements:
            assert self._loop is not None
            worker.idle_since = self._loop.time()

    def _on_message(self, message: OutboxMessage) -> None:
        match message:
            case ElementEvents():
                self._events.put_nowait(message)
            case ElementsAdded() | ElementsRemoved() | Reply():
                pending = self._pending.get(message.request_id)
                if pending is not None and not pending.future.done():
                    pending.future.set_result(
                        message.value if isinstance(message, Reply) else message
                    )
            case WorkerStarted():
                worker = self._workers.get(message.worker_id)
                if worker is not None and not worker.ready.done():
                    if worker.phase is _Phase.STARTING:
                        worker.phase = _Phase.RUNNING
                    worker.ready.set_result(True)
                    self._events.put_nowait(message)
            case WorkerFailed():
                worker = self._workers.get(message.worker_id)
                if worker is not None:
                    worker.error = message.error
                logger.error("worker {} failed: {}", message.worker_id, message.error)

    def _on_sentinel(self, worker: _Worker) -> None:
        assert self._loop is not None
        self._loop.remove_reader(worker.handle.sentinel)
        worker.ended = True
        if worker.drained:
            self._reap(worker)
        else:
            # A process the worker started may still hold the outbox open: do not wait forever.
            worker.drain_timer = self._loop.call_later(_EXIT_DRAIN_TIMEOUT, self._reap, worker)

    def _on_drained(self, worker: _Worker) -> None:
        worker.drained = True
        if worker.ended:
            self._reap(worker)

    def _reap(self, worker: _Worker) -> None:
        if worker.phase is _Phase.EXITED:
            return
        if worker.drain_timer is not None:
            worker.drain_timer.cancel()
        exitcode = worker.handle.reap()
        expected = worker.phase is _Phase.RETIRING or self._state is not _State.RUNNING
        if not expected:
            logger.warning(
                "worker {} exited with code {} holding {} elements",
                worker.handle.worker_id,
                exitcode,
                len(worker.elements),
            )
        self._mark_exited(worker, exitcode)
        if not expected and self._respawn and worker.elements:
            assert self._loop is not None
            task = self._loop.create_task(self._replace(worker))
            self._respawning.add(task)
            task.add_done_callback(self._respawning.discard)

    async def _replace(self, dead: _Worker) -> None:
        """Give a dead worker's elements to a new worker, re-adding them from their specs.

        The pause keeps a worker that dies at once (a bad host, memory exhaustion) from
        turning into a fork loop.
        """
        await asyncio.sleep(self._respawn_delay)
        if self._state is not _State.RUNNING:
            return
        elements = dict(dead.elements)
        dead.elements.clear()
        self._workers.pop(dead.handle.worker_id, None)
        replacement = self._open_worker()
        new_id = replacement.handle.worker_id
        replacement.elements.update(elements)
        replacement.idle_since = None
        for element_id in elements:
            self._owners[element_id] = new_id
        self.respawns += 1
        logger.warning(
            "worker {} replaced by worker {} with its {} elements",
            dead.handle.worker_id,
            new_id,
            len(elements),
        )
        items = [NewElement(element_id, spec) for element_id, spec in elements.items()]
        futures = [
            self._send_request(
                new_id, partial(AddElements, elements=tuple(items[i : i + ADD_CHUNK]))
            )
            for i in range(0, len(items), ADD_CHUNK)
        ]
        for answer in await asyncio.gather(*futures):
            if isinstance(answer, ElementsAdded):
                for failure in answer.failed:
                    logger.error("element {} not restored: {}", failure.element_id, failure.error)
                    self._forget(failure.element_id, new_id)

    def _mark_exited(self, worker: _Worker, exitcode: int | None) -> None:
        worker_id = worker.handle.worker_id
        started = worker.handle.started
        worker.phase = _Phase.EXITED
        worker.idle_since = None
        if not started:
            worker.handle.close_inbox()
        error = self._exited_error(worker, exitcode)
        for pending in list(self._pending.values()):
            if pending.worker_id == worker_id and not pending.future.done():
                pending.future.set_result(error)
        if not worker.ready.done():
            worker.ready.set_result(False)
        if not worker.exited.done():
            worker.exited.set_result(exitcode)
        if not worker.elements:
            del self._workers[worker_id]
        if started:
            self._events.put_nowait(WorkerExited(worker_id, exitcode, worker.error))

    @staticmethod
    def _exited_error(worker: _Worker, exitcode: int | None = None) -> RemoteError:
        if exitcode is None and worker.exited.done():
            exitcode = worker.exited.result()
        return RemoteError(
            "WorkerExited", f"worker {worker.handle.worker_id} exited with code {exitcode}"
        )

    def _retire(self, worker_id: int) -> None:
        worker = self._workers[worker_id]
        worker.phase = _Phase.RETIRING
        worker.idle_since = None
        worker.handle.send(StopWorker())


class WorkerSet(ProcessPool):
    """Workers of `elements_per_worker` elements each, opened as they fill up.

    Starts one worker; opens the next when every worker is full, waiting `start_delay_ms`
    between two worker starts. Workers are never stopped before the pool.
    """

    def __init__(
        self,
        factory: str,
        *,
        elements_per_worker: int = 1,
        start_delay_ms: float = 500,
        element_start_delay_ms: float = 0,
        **process_options: Any,
    ) -> None:
        super().__init__(factory, element_start_delay_ms=element_start_delay_ms, **process_options)
        self._placement = placement.WorkerSetPolicy(elements_per_worker)
        self._start_delay_s = start_delay_ms / 1000

    def _policy(self) -> placement.Policy:
        return self._placement

    def _initial_size(self) -> int:
        return 1

    def _start_delay(self) -> float:
        return self._start_delay_s


class StaticPool(ProcessPool):
    """`size` workers started together; elements placed by `strategy` (see workers.placement
    for how poolifier's strategy names are modelled)."""

    def __init__(
        self,
        factory: str,
        *,
        size: int,
        strategy: placement.Strategy | str = placement.Strategy.ROUND_ROBIN,
        element_start_delay_ms: float = 0,
        **process_options: Any,
    ) -> None:
        if size < 1:
            raise ValueError(f"pool size must be >= 1, got {size}")
        super().__init__(factory, element_start_delay_ms=element_start_delay_ms, **process_options)
        self._size = size
        self._placement = placement.StaticPolicy(placement.parse_strategy(strategy))

    def _policy(self) -> placement.Policy:
        return self._placement

    def _initial_size(self) -> int:
        return self._size


class DynamicPool(ProcessPool):
    """Between `min_size` and `max_size` workers.

    Elements go, by `strategy`, to the workers holding fewer than `capacity_per_worker`; when every
    worker is full a worker is added, up to `max_size` (then workers take more than their
    capacity). A worker that has held no element for `idle_timeout` seconds is stopped while there
    are more than `min_size`.
    """

    def __init__(
        self,
        factory: str,
        *,
        min_size: int,
        max_size: int,
        capacity_per_worker: int = 1,
        strategy: placement.Strategy | str = placement.Strategy.ROUND_ROBIN,
        idle_timeout: float = 60,
        element_start_delay_ms: float = 0,
        **process_options: Any,
    ) -> None:
        if not 0 <= min_size <= max_size:
            raise ValueError(f"need 0 <= min_size <= max_size, got {min_size} and {max_size}")
        super().__init__(factory, element_start_delay_ms=element_start_delay_ms, **process_options)
        self._min_size = min_size
        self._idle_timeout = idle_timeout
        self._placement = placement.DynamicPolicy(
            capacity_per_worker, max_size, placement.parse_strategy(strategy)
        )

    def _policy(self) -> placement.Policy:
        return self._placement

    def _initial_size(self) -> int:
        return self._min_size

    async def _run_background(self) -> None:
        assert self._loop is not None
        period = min(1.0, max(self._idle_timeout / 4, 0.01))
        while True:
            await asyncio.sleep(period)
            live = {wid: w for wid, w in self._workers.items() if w.live}
            idle = {wid: w.idle_since for wid, w in live.items() if w.idle_since is not None}
            for worker_id in placement.idle_surplus(
                idle, len(live), self._loop.time(), self._idle_timeout, self._min_size
            ):
                self._retire(worker_id)


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
