"""One watchdog observer for the files the supervisor reloads: config.json, station templates,
authorization tag files.

Editors and atomic writers replace a file rather than write it in place (a temporary file
renamed over it), so modified, created and moved-onto events all count. A burst of events for
one file (truncate, write, close) becomes one change after a short quiet period. Changes are
handled one at a time on the event loop, in the order they settled.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path

from loguru import logger
from watchdog.events import (
    EVENT_TYPE_CREATED,
    EVENT_TYPE_MODIFIED,
    EVENT_TYPE_MOVED,
    FileSystemEvent,
    FileSystemEventHandler,
)
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver, ObservedWatch

DEBOUNCE_SECONDS = 0.2

OnChange = Callable[[Path], Awaitable[None]]


class FileWatcher(FileSystemEventHandler):
    def __init__(self, on_change: OnChange, *, debounce: float = DEBOUNCE_SECONDS) -> None:
        self._on_change = on_change
        self._debounce = debounce
        # Read by the observer thread: always replaced whole, never mutated.
        self._files: frozenset[Path] = frozenset()
        self._watches: dict[Path, ObservedWatch] = {}
        self._timers: dict[Path, asyncio.TimerHandle] = {}
        self._queue: asyncio.Queue[Path] = asyncio.Queue()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._observer: BaseObserver | None = None
        self._consumer: asyncio.Task[None] | None = None

    @property
    def files(self) -> frozenset[Path]:
        return self._files

    def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._observer = Observer()
        self._observer.daemon = True
        self._observer.start()
        self._consumer = asyncio.create_task(self._consume(), name="file watcher")

    def watch(self, paths: Iterable[Path]) -> None:
        """Watch exactly these files (their directories, since files get replaced)."""
        observer = self._observer
        if observer is None:
            raise RuntimeError("the watcher is not started")
        files = frozenset(path.resolve() for path in paths)
        directories = {path.parent for path in files}
        for directory in directories - self._watches.keys():
            if directory.is_dir():
                self._watches[directory] = observer.schedule(self, str(directory))
        for directory in self._watches.keys() - directories:
            observer.unschedule(self._watches.pop(directory))
        self._files = files

    async def stop(self) -> None:
        observer, self._observer = self._observer, None
        if observer is not None:
            observer.stop()
            await asyncio.to_thread(observer.join)
        for timer in self._timers.values():
            timer.cancel()
        self._timers.clear()
        self._watches.clear()
        consumer, self._consumer = self._consumer, None
        if consumer is not None:
            consumer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await consumer

    # -- observer thread --------------------------------------------------------------------

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.is_directory or event.event_type not in (
            EVENT_TYPE_MODIFIED,
            EVENT_TYPE_CREATED,
            EVENT_TYPE_MOVED,
        ):
            return
        target = event.dest_path if event.event_type == EVENT_TYPE_MOVED else event.src_path
        path = Path(os.fsdecode(target))
        loop = self._loop
        if path in self._files and loop is not None:
            loop.call_soon_threadsafe(self._touched, path)

    # -- event loop -------------------------------------------------------------------------

    def _touched(self, path: Path) -> None:
        timer = self._timers.pop(path, None)
        if timer is not None:
            timer.cancel()
        loop = asyncio.get_running_loop()
        self._timers[path] = loop.call_later(self._debounce, self._settled, path)

    def _settled(self, path: Path) -> None:
        self._timers.pop(path, None)
        self._queue.put_nowait(path)

    async def _consume(self) -> None:
        while True:
            path = await self._queue.get()
            try:
                await self._on_change(path)
            except Exception:  # a bug in a reload must not stop the watching
                logger.exception("Reload after a change of {} failed", path)
