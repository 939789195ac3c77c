"""The lifecycle of a pool's worker processes: spawn, sentinel, drain, reap, respawn, retire and
the escalation of a stop. `workers.pool.ProcessPool` builds on it and adds the elements.

Processes come from the "forkserver" start method, with the factory's module preloaded in the
fork server so the element stack is imported once and shared by every worker. Each worker has an
inbox queue for commands and an outbox pipe for its answers and events (see workers.process for
why the outbox is not shared), read by a daemon thread that hands each message to the loop.

A worker's exit is reported once its process has ended and its outbox has been read to the end,
so its last events and answers always come before its `WorkerExited`.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
from collections.abc import Callable, Mapping
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
    Reply,
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


@dataclass(frozen=True, slots=True)
class PoolModel:
    """What tells workerSet, staticPool and dynamicPool apart: the machine is the same."""

    kind: ProcessType
    policy: placement.Policy
    """Where new elements go and when a worker is opened for them."""
    initial_size: int
    """Workers started by `start()`."""
    start_delay: float = 0.0
    """Seconds between two worker starts."""
    idle_timeout: float | None = None
    """Seconds a worker may hold no element before it is retired; None: never retired."""
    min_size: int = 0
    """Workers kept however idle (with `idle_timeout`)."""


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


class WorkerLifecycle:
    """The worker processes of one pool, the requests in flight to them and their events.

    The parent keeps, for every worker, the elements it holds and their specs, also after the
    worker died: that is what a respawn re-adds."""

    def __init__(
        self,
        factory: str,
        model: PoolModel,
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
        self._model = model
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
        self._pending: dict[int, _Pending] = {}
        self._next_request_id = 0
        self._events: asyncio.Queue[PoolEvent | None] = asyncio.Queue()
        self._spawns: set[asyncio.Task[None]] = set()
        self._spawn_lock = asyncio.Lock()
        self._last_spawn: float | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._background: asyncio.Task[None] | None = None

    def _initial_size(self) -> int:
        return self._model.initial_size

    async def _retire_idle(self) -> None:
        """Runs from start() to stop() in a model with `idle_timeout` (dynamicPool)."""
        timeout = self._model.idle_timeout
        if timeout is None:
            return
        assert self._loop is not None
        period = min(1.0, max(timeout / 4, 0.01))
        while True:
            await asyncio.sleep(period)
            live = {wid: w for wid, w in self._workers.items() if w.live}
            idle = {wid: w.idle_since for wid, w in live.items() if w.idle_since is not None}
            for worker_id in placement.idle_surplus(
                idle, len(live), self._loop.time(), timeout, self._model.min_size
            ):
                self._retire(worker_id)

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
            delay = self._model.start_delay
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

    async def stop(self, timeout: float = 10) -> None:
        """Ask every worker to stop its host and wait up to `timeout` seconds; then SIGTERM,
        then SIGKILL whatever is left, and join every process."""
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
