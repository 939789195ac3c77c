"""A real MongoDB wire-protocol server for the storage tests: secantusdb (test extras only).

`mongodb_uri` is one in-process server for the whole session on an ephemeral 127.0.0.1 port,
in memory. `MongoProcess` runs one as a separate process on a chosen port, so that a test can
kill it (SIGKILL, as a crash would) and start another on the same port.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest
from secantus import SecantusDBServer

START_TIMEOUT = 30.0


@pytest.fixture(scope="session")
def mongodb_uri() -> Iterator[str]:
    """mongodb://127.0.0.1:<port>/ of a server that lives for the test session."""
    server = SecantusDBServer(host="127.0.0.1", port=0, storage_path=":memory:")
    server.start()
    try:
        yield server.uri
    finally:
        server.stop()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _accepts(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


class MongoProcess:
    """`python -m secantus` on 127.0.0.1:port, in memory."""

    def __init__(self, port: int) -> None:
        self.port = port
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def uri(self) -> str:
        return f"mongodb://127.0.0.1:{self.port}/evsim"

    def start(self) -> None:
        self._process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "secantus",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--storage-path",
                ":memory:",
                "--log-level",
                "WARNING",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + START_TIMEOUT
        while not _accepts(self.port):
            if self._process.poll() is not None:
                raise RuntimeError(f"secantusdb exited with code {self._process.returncode}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"secantusdb not listening on {self.port}")
            time.sleep(0.05)

    def kill(self) -> None:
        if self._process is not None:
            self._process.kill()
            self._process.wait(10)
            self._process = None
