"""The typed envelopes that cross process boundaries, and the events a pool reports.

Every envelope is a frozen, slotted dataclass so it pickles cheaply and cannot be changed after
it has been handed to a queue (a `multiprocessing.Queue` pickles in its feeder thread, later).
Element specs, payloads, replies and element events are opaque to `workers/`: they only have to
be picklable.

Parent -> worker (one inbox per worker): `AddElements`, `RemoveElements`, `Request`, `StopWorker`.
Worker -> parent (one shared outbox): `WorkerStarted`, `ElementEvents`, `ElementsAdded`,
`ElementsRemoved`, `Reply`, `WorkerFailed`.
Made by the parent: `WorkerExited`, `RequestTimeout`.
"""

from __future__ import annotations

import traceback
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class RemoteError:
    """An exception raised in a worker, carried back as a value.

    `type_name` is the exception's class name (`ValueError`), or `WorkerExited` when the worker
    died before it answered.
    """

    type_name: str
    message: str
    traceback: str = ""

    @classmethod
    def from_exception(cls, exc: BaseException) -> RemoteError:
        return cls(
            type_name=type(exc).__name__,
            message=str(exc),
            traceback="".join(traceback.format_exception(exc)),
        )

    def __str__(self) -> str:
        return f"{self.type_name}: {self.message}"


@dataclass(frozen=True, slots=True)
class RequestTimeout:
    """The value a request yields for a worker that did not answer in time."""

    worker_id: int
    timeout: float


@dataclass(frozen=True, slots=True)
class NewElement:
    element_id: str
    spec: Any


@dataclass(frozen=True, slots=True)
class ElementFailure:
    element_id: str
    error: RemoteError


# Parent -> worker


@dataclass(frozen=True, slots=True)
class AddElements:
    request_id: int
    elements: tuple[NewElement, ...]


@dataclass(frozen=True, slots=True)
class RemoveElements:
    request_id: int
    element_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Request:
    request_id: int
    element_ids: tuple[str, ...] | None
    payload: Any


@dataclass(frozen=True, slots=True)
class StopWorker:
    """Stop the host gracefully, flush the pending events and exit with code 0."""


InboxMessage = AddElements | RemoveElements | Request | StopWorker


# Worker -> parent


@dataclass(frozen=True, slots=True)
class WorkerStarted:
    """The worker built its host and is serving; also reported as a pool event."""

    worker_id: int
    pid: int


@dataclass(frozen=True, slots=True)
class ElementEvents:
    """One batch of the events a worker's elements emitted; also reported as a pool event."""

    worker_id: int
    events: tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class ElementsAdded:
    worker_id: int
    request_id: int
    failed: tuple[ElementFailure, ...]


@dataclass(frozen=True, slots=True)
class ElementsRemoved:
    worker_id: int
    request_id: int
    failed: tuple[ElementFailure, ...]


@dataclass(frozen=True, slots=True)
class Reply:
    """The host's answer to a `Request`: its return value, or a `RemoteError`."""

    worker_id: int
    request_id: int
    value: Any


@dataclass(frozen=True, slots=True)
class WorkerFailed:
    """The worker could not build or stop its host; it exits with a non-zero code next."""

    worker_id: int
    error: RemoteError


OutboxMessage = (
    WorkerStarted | ElementEvents | ElementsAdded | ElementsRemoved | Reply | WorkerFailed
)


# Made by the parent


@dataclass(frozen=True, slots=True)
class WorkerExited:
    """A worker process ended. `exitcode` is negative when a signal killed it (-9: SIGKILL).

    `error` is set when the worker reported why it failed before exiting.
    """

    worker_id: int
    exitcode: int | None
    error: RemoteError | None = None


PoolEvent = ElementEvents | WorkerStarted | WorkerExited
