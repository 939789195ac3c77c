"""One worker process: an asyncio loop hosting many elements made by a factory.

The worker side is `worker_main`, the target of every worker process. The parent side is
`WorkerProcess`, the parent's handle on one worker.

Each worker has an inbox (a `multiprocessing.Queue` only the parent writes to) and an outbox (a
one-way pipe only that worker writes to). Both sides read with a daemon thread that hands every
message to their asyncio loop with `call_soon_threadsafe`, and write from a thread too (the
queue's feeder, the outbox's sender), so a full pipe never blocks a loop.

The outbox is one pipe per worker rather than one queue shared by all workers: a worker killed in
the middle of a write (SIGKILL, the OOM killer) leaves a shared queue's write lock taken and half a
message in its pipe, which silently cuts every other worker off from the parent. With a pipe of
its own, the parent reads the dead worker's pipe up to its end-of-file, which also tells it that
every message the worker sent has been delivered before it reports the exit.

Inside a worker:

- the host is built once, in the running loop, by the factory named `package.module:Name`;
- adds and removes run one after the other, in arrival order, so a remove never overtakes the add
  of the same element; successive adds are spaced by the element start delay (the worker, not the
  parent, applies it, so the parent can send a whole batch at once and workers ramp up in
  parallel);
- requests run concurrently with each other and with adds and removes;
- events the elements emit are buffered and sent as one `ElementEvents` batch at most every
  `event_flush_interval` seconds: the first event after a flush arms a timer, the timer sends
  everything emitted meanwhile;
- SIGINT is ignored (the parent handles Ctrl-C and stops its workers);
- the garbage collector's first threshold is raised (collector.py: measured, the default cost a
  worker a sixth of its time);
- `StopWorker` stops the host gracefully, for as long as the host needs: the parent bounds it;
- SIGTERM stops the host gracefully too, but a SIGTERM during a stop kills the worker at once,
  which is how the parent escalates when a graceful stop hangs;
- when nobody is there to escalate (a SIGTERM from outside the pool, a parent that died) the
  worker dies on its own after `STOP_GRACE` seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import multiprocessing
import os
import pickle
import queue
import signal
import sys
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from multiprocessing.context import ForkServerContext, ForkServerProcess
from multiprocessing.queues import Queue
from typing import Any, Protocol

from loguru import logger

from workers.collector import resettle, settle, tune_collector
from workers.messages import (
    AddElements,
    ElementEvents,
    ElementFailure,
    ElementsAdded,
    ElementsRemoved,
    InboxMessage,
    OutboxMessage,
    RemoteError,
    RemoveElements,
    Reply,
    Request,
    StopWorker,
    WorkerFailed,
    WorkerStarted,
)

Emit = Callable[[Any], None]

STOP_GRACE = 10.0
"""Seconds a worker gives its host to stop when nobody will escalate."""
_OUTBOX_FLUSH_TIMEOUT = 5.0
# Stations added between two moves of what is alive out of the collector's sight (collector.py).
_SETTLE_EVERY = 200


class ElementHost(Protocol):
    """What a factory builds in each worker: the elements of that worker, behind four calls."""

    async def add(self, element_id: str, spec: Any) -> None: ...

    async def remove(self, element_id: str) -> None: ...

    async def request(self, element_ids: list[str] | None, payload: Any) -> Any:
        """Answer `payload` for `element_ids`, or for every element of this worker when None."""
        ...

    async def stop(self) -> None:
        """Close every element gracefully."""
        ...


class HostFactory(Protocol):
    """Called once per worker, in its running loop, so it may create tasks."""

    def __call__(self, emit: Emit, options: dict[str, Any]) -> ElementHost: ...


def factory_module(path: str) -> str:
    """The module part of a `package.module:Name` factory path; ValueError when malformed."""
    module, sep, name = path.partition(":")
    if not sep or not module or not name.isidentifier():
        raise ValueError(f"factory path {path!r} is not of the form 'package.module:Name'")
    return module


def load_factory(path: str) -> HostFactory:
    module = importlib.import_module(factory_module(path))
    factory: HostFactory = getattr(module, path.partition(":")[2])
    return factory


@dataclass(frozen=True, slots=True)
class WorkerConfig:
    worker_id: int
    factory: str
    host_options: Mapping[str, Any] = field(default_factory=dict)
    use_uvloop: bool = True
    event_flush_interval: float = 0.1
    element_start_delay: float = 0.0
    """Seconds between two successive `host.add` calls in this worker."""


def start_queue_reader(
    inbox: Queue[Any],
    loop: asyncio.AbstractEventLoop,
    deliver: Callable[[Any], None],
    name: str,
) -> threading.Thread:
    """Hand every message of `inbox` to `deliver`, called in `loop`.

    A daemon thread, because `Queue.get` blocks and cannot be awaited; it ends when the queue
    breaks or the loop closes.
    """

    def run() -> None:
        while True:
            try:
                message = inbox.get()
            except (EOFError, OSError):
                return
            try:
                loop.call_soon_threadsafe(deliver, message)
            except RuntimeError:  # the loop is closed: nobody is left to read
                return

    thread = threading.Thread(target=run, name=name, daemon=True)
    thread.start()
    return thread


def start_pipe_reader(
    conn: Connection,
    loop: asyncio.AbstractEventLoop,
    deliver: Callable[[Any], None],
    closed: Callable[[], None],
    name: str,
) -> threading.Thread:
    """Hand every message read from `conn` to `deliver`, then call `closed`, both in `loop`.

    `closed` comes after the last message, once the writer has closed its end or died.
    """

    def run() -> None:
        while True:
            try:
                data = conn.recv_bytes()
            except (EOFError, OSError):
                break
            try:
                message = pickle.loads(data)
            except Exception:
                logger.exception("{}: dropped a message that does not unpickle", name)
                continue
            try:
                loop.call_soon_threadsafe(deliver, message)
            except RuntimeError:
                return
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(closed)

    thread = threading.Thread(target=run, name=name, daemon=True)
    thread.start()
    return thread


class _Outbox:
    """The worker's sending end: pickles and writes from a thread, in order."""

    def __init__(self, conn: Connection, worker_id: int) -> None:
        self._conn = conn
        self._worker_id = worker_id
        self._queue: queue.SimpleQueue[OutboxMessage | None] = queue.SimpleQueue()
        # daemon: a parent that stopped reading must not keep this process from exiting.
        self._thread = threading.Thread(
            target=self._run, name=f"evsim-worker-{worker_id}-outbox", daemon=True
        )
        self._thread.start()

    def put(self, message: OutboxMessage) -> None:
        self._queue.put(message)

    def close(self) -> None:
        """Send what is queued (waiting a bounded time), then close the pipe."""
        self._queue.put(None)
        self._thread.join(_OUTBOX_FLUSH_TIMEOUT)
        self._conn.close()

    def _run(self) -> None:
        while (message := self._queue.get()) is not None:
            try:
                data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
            except Exception:
                logger.exception(
                    "worker {}: dropped a {} that does not pickle",
                    self._worker_id,
                    type(message).__name__,
                )
                continue
            try:
                self._conn.send_bytes(data)
            except OSError:  # the parent is gone
                return


def worker_main(config: WorkerConfig, inbox: Queue[Any], outbox: Connection) -> None:
    """Entry point of a worker process; exits 0 after a graceful stop, 1 when the host failed."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    tune_collector()
    sender = _Outbox(outbox, config.worker_id)
    try:
        with asyncio.Runner(loop_factory=_loop_factory(config.use_uvloop)) as runner:
            code = runner.run(_Worker(config, inbox, sender).serve())
    finally:
        sender.close()
    sys.exit(code)


def _loop_factory(use_uvloop: bool) -> Callable[[], asyncio.AbstractEventLoop] | None:
    if not use_uvloop:
        return None
    try:
        import uvloop  # noqa: PLC0415  (optional dependency, the `fast` extra)
    except ImportError:
        return None
    new_event_loop: Callable[[], asyncio.AbstractEventLoop] = uvloop.new_event_loop
    return new_event_loop


class _Worker:
    def __init__(self, config: WorkerConfig, inbox: Queue[Any], outbox: _Outbox) -> None:
        self._config = config
        self._id = config.worker_id
        self._inbox = inbox
        self._outbox = outbox
        self._host: ElementHost | None = None
        self._lifecycle: asyncio.Queue[AddElements | RemoveElements] = asyncio.Queue()
        self._stop_requested = asyncio.Event()
        self._requests: set[asyncio.Task[None]] = set()
        self._events: list[Any] = []
        self._flush_timer: asyncio.TimerHandle | None = None
        self._last_add: float | None = None

    async def serve(self) -> int:
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGTERM, self._on_sigterm)
        parent = multiprocessing.parent_process()
        if parent is not None and parent.sentinel is not None:
            loop.add_reader(parent.sentinel, self._on_parent_gone, parent.sentinel)
        try:
            self._host = load_factory(self._config.factory)(
                self._emit, dict(self._config.host_options)
            )
        except Exception as exc:
            self._send(WorkerFailed(self._id, RemoteError.from_exception(exc)))
            return 1
        start_queue_reader(self._inbox, loop, self._on_message, f"evsim-worker-{self._id}-inbox")
        self._send(WorkerStarted(self._id, os.getpid()))
        lifecycle = loop.create_task(self._run_lifecycle(self._host))

        await self._stop_requested.wait()
        # The host's stop closes every element, so pending adds and requests are abandoned.
        pending = [lifecycle, *self._requests]
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        code = 0
        try:
            await self._host.stop()
        except Exception as exc:
            self._send(WorkerFailed(self._id, RemoteError.from_exception(exc)))
            code = 1
        self._flush()
        return code

    def _on_message(self, message: object) -> None:
        match message:
            case AddElements() | RemoveElements():
                self._lifecycle.put_nowait(message)
            case Request():
                task = asyncio.get_running_loop().create_task(self._answer(message))
                self._requests.add(task)
                task.add_done_callback(self._requests.discard)
            case StopWorker():
                self._stop_requested.set()
            case _:
                logger.warning("worker {}: ignored unknown message {!r}", self._id, message)

    def _on_sigterm(self) -> None:
        if self._stop_requested.is_set():
            self._die()  # asked again while stopping: the graceful stop hangs
        self._stop_unattended()

    def _on_parent_gone(self, sentinel: int) -> None:
        asyncio.get_running_loop().remove_reader(sentinel)
        logger.warning("worker {}: the parent process is gone, stopping", self._id)
        self._stop_unattended()

    def _stop_unattended(self) -> None:
        if not self._stop_requested.is_set():
            self._stop_requested.set()
            asyncio.get_running_loop().call_later(STOP_GRACE, self._die)

    def _die(self) -> None:
        """End at once, as an unhandled SIGTERM would."""
        asyncio.get_running_loop().remove_signal_handler(signal.SIGTERM)
        signal.raise_signal(signal.SIGTERM)

    async def _run_lifecycle(self, host: ElementHost) -> None:
        while True:
            message = await self._lifecycle.get()
            failed: list[ElementFailure] = []
            if isinstance(message, AddElements):
                for count, element in enumerate(message.elements, 1):
                    await self._space_adds()
                    # A turn of the loop between two adds: the stations added so far connect
                    # and boot meanwhile, instead of after the last of thousands is built.
                    await asyncio.sleep(0)
                    try:
                        await host.add(element.element_id, element.spec)
                    except Exception as exc:
                        failed.append(
                            ElementFailure(element.element_id, RemoteError.from_exception(exc))
                        )
                    if count % _SETTLE_EVERY == 0:
                        settle()
                settle()
                self._send(ElementsAdded(self._id, message.request_id, tuple(failed)))
            else:
                for element_id in message.element_ids:
                    try:
                        await host.remove(element_id)
                    except Exception as exc:
                        failed.append(ElementFailure(element_id, RemoteError.from_exception(exc)))
                resettle()
                self._send(ElementsRemoved(self._id, message.request_id, tuple(failed)))

    async def _space_adds(self) -> None:
        delay = self._config.element_start_delay
        loop = asyncio.get_running_loop()
        if delay > 0 and self._last_add is not None:
            wait = self._last_add + delay - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
        self._last_add = loop.time()

    async def _answer(self, request: Request) -> None:
        assert self._host is not None
        element_ids = list(request.element_ids) if request.element_ids is not None else None
        value: Any
        try:
            value = await self._host.request(element_ids, request.payload)
        except Exception as exc:
            value = RemoteError.from_exception(exc)
        # The queue pickles in its feeder thread and only prints a failure there, which would
        # leave the parent waiting for its timeout: check here and say why instead.
        try:
            pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception as exc:
            value = RemoteError.from_exception(exc)
        self._send(Reply(self._id, request.request_id, value))

    def _emit(self, event: Any) -> None:
        self._events.append(event)
        if self._flush_timer is None:
            self._flush_timer = asyncio.get_running_loop().call_later(
                self._config.event_flush_interval, self._flush
            )

    def _flush(self) -> None:
        if self._flush_timer is not None:
            self._flush_timer.cancel()
            self._flush_timer = None
        if self._events:
            self._send(ElementEvents(self._id, tuple(self._events)))
            self._events = []

    def _send(self, message: OutboxMessage) -> None:
        self._outbox.put(message)


class WorkerProcess:
    """The parent's handle on one worker process, its inbox and its outbox."""

    def __init__(self, ctx: ForkServerContext, config: WorkerConfig) -> None:
        self.worker_id = config.worker_id
        self._inbox: Queue[Any] = ctx.Queue()
        self._outbox, self._outbox_writer = ctx.Pipe(duplex=False)
        # daemon: if the parent dies without stopping the pool, multiprocessing's exit handler
        # terminates the workers instead of waiting for them forever.
        self.process: ForkServerProcess = ctx.Process(
            target=worker_main,
            args=(config, self._inbox, self._outbox_writer),
            name=f"evsim-worker-{config.worker_id}",
            daemon=True,
        )
        self.started = False

    def send(self, message: InboxMessage) -> None:
        """Queue `message`; it waits in the inbox until the worker runs and reads it."""
        self._inbox.put(message)

    async def start(
        self,
        loop: asyncio.AbstractEventLoop,
        deliver: Callable[[Any], None],
        closed: Callable[[], None],
    ) -> None:
        """Start the process, then read its outbox: `deliver` each message, then `closed`."""
        try:
            # Starting talks to the fork server (and launches it the first time): off the loop.
            await asyncio.to_thread(self.process.start)
        except BaseException:
            self._outbox.close()
            self._outbox_writer.close()
            self.close_inbox()
            raise
        # Only the worker may hold the writing end, or its end-of-file would never come.
        self._outbox_writer.close()
        self.started = True
        start_pipe_reader(
            self._outbox, loop, deliver, closed, f"evsim-pool-outbox-{self.worker_id}"
        )

    @property
    def sentinel(self) -> int:
        return self.process.sentinel

    def reap(self) -> int | None:
        """The exit code of a process that has ended; releases its resources."""
        self.process.join(timeout=0)
        exitcode = self.process.exitcode
        with contextlib.suppress(ValueError):
            self.process.close()
        self.close_inbox()
        return exitcode

    def close_inbox(self) -> None:
        # Nobody reads a finished worker's inbox: do not let exit wait to flush it.
        self._inbox.cancel_join_thread()
        self._inbox.close()

    def terminate(self) -> None:
        with contextlib.suppress(ValueError, ProcessLookupError):
            self.process.terminate()

    def kill(self) -> None:
        with contextlib.suppress(ValueError, ProcessLookupError):
            self.process.kill()
