"""A TCP proxy between stations and a CSMS: it records when connections arrive and can fall
silent, as a peer does when its host dies without closing anything."""

from __future__ import annotations

import asyncio
import contextlib


class TcpProxy:
    """Listens on 127.0.0.1 (ephemeral port) and forwards every connection to `upstream_port`.

    `accepted` holds the loop time of each accepted connection, including those whose upstream
    refuses (a CSMS down): every one was a connection attempt of a station. `freeze()` stops
    forwarding on the connections open at that moment, keeping their sockets open, so nothing
    but a timeout can tell the station its peer is gone; later connections forward normally.
    """

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.accepted: list[float] = []
        self._server: asyncio.Server | None = None
        self._frozen: list[asyncio.Event] = []
        self._pipes: set[asyncio.Task[None]] = set()
        self._writers: list[asyncio.StreamWriter] = []

    async def __aenter__(self) -> TcpProxy:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        return self

    async def __aexit__(self, *_: object) -> None:
        assert self._server is not None
        self._server.close()
        self.drop()
        for pipe in list(self._pipes):
            pipe.cancel()
        await asyncio.gather(*self._pipes, return_exceptions=True)

    @property
    def url(self) -> str:
        assert self._server is not None
        port = self._server.sockets[0].getsockname()[1]
        return f"ws://127.0.0.1:{port}"

    def freeze(self) -> None:
        for frozen in self._frozen:
            frozen.set()
        self._frozen.clear()

    def drop(self) -> None:
        """Abort every connection, both sides: the silent peer's host is back and resets them."""
        for writer in self._writers:
            writer.transport.abort()
        self._writers.clear()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.accepted.append(asyncio.get_running_loop().time())
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        except OSError:
            writer.close()
            return
        self._writers += [writer, up_writer]
        frozen = asyncio.Event()
        self._frozen.append(frozen)
        for source, sink in ((reader, up_writer), (up_reader, writer)):
            pipe = asyncio.create_task(self._pipe(source, sink, frozen))
            self._pipes.add(pipe)
            pipe.add_done_callback(self._pipes.discard)

    async def _pipe(
        self, source: asyncio.StreamReader, sink: asyncio.StreamWriter, frozen: asyncio.Event
    ) -> None:
        try:
            while data := await source.read(65536):
                if frozen.is_set():
                    await asyncio.Event().wait()  # silent until cancelled by __aexit__
                sink.write(data)
                await sink.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            if not frozen.is_set():
                with contextlib.suppress(ConnectionError, OSError):
                    sink.close()
