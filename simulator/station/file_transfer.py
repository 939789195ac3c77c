"""Moving files to and from the locations a CSMS names in UpdateFirmware / GetDiagnostics
(OCPP 1.6 sections 5.9, 5.19): file://, http(s):// and ftp:// URLs.

Every function here blocks: callers run them with `asyncio.to_thread`, never on the event loop.
"""

from __future__ import annotations

import ftplib
import io
import urllib.request
from pathlib import Path, PurePosixPath
from urllib.parse import SplitResult, unquote, urlsplit

# A firmware image is fetched for real only where that is cheap and local: a file, or a
# server on this machine. Anything else is simulated by the caller (a delay).
_LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
_TIMEOUT_SECONDS = 30.0


class TransferError(Exception):
    """A download or upload that failed: what and where, in one line."""


def fetchable(location: str) -> bool:
    """Is the firmware at `location` fetched for real (file://, or http(s):// on this host)?"""
    parts = urlsplit(location)
    if parts.scheme == "file":
        return True
    return parts.scheme in ("http", "https") and parts.hostname in _LOCAL_HOSTS


def fetch(location: str) -> bytes:
    """The bytes at a file:// or http(s):// URL; TransferError when they cannot be read."""
    parts = urlsplit(location)
    try:
        if parts.scheme == "file":
            return Path(unquote(parts.path)).read_bytes()
        with urllib.request.urlopen(location, timeout=_TIMEOUT_SECONDS) as response:
            data: bytes = response.read()
            return data
    except OSError as exc:
        raise TransferError(f"cannot download {location}: {exc}") from exc


def upload_target(location: str, file_name: str) -> str:
    """The URL a file named `file_name` goes to: `location` names a directory."""
    return location.rstrip("/") + "/" + file_name


def upload(location: str, file_name: str, data: bytes) -> None:
    """Store `data` as `file_name` under the directory URL `location`: write the file
    (file://), PUT it (http(s)://) or STOR it (ftp://, credentials from the URL, else
    anonymous). TransferError when that fails or the scheme is none of these."""
    target = upload_target(location, file_name)
    parts = urlsplit(target)
    try:
        if parts.scheme == "file":
            path = Path(unquote(parts.path))
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        elif parts.scheme in ("http", "https"):
            request = urllib.request.Request(target, data=data, method="PUT")
            request.add_header("Content-Type", "application/octet-stream")
            with urllib.request.urlopen(request, timeout=_TIMEOUT_SECONDS):
                pass  # urlopen raises HTTPError for a 4xx / 5xx answer
        elif parts.scheme == "ftp":
            _ftp_store(parts, data)
        else:
            raise TransferError(f"cannot upload to {location}: unsupported scheme")
    except (OSError, ftplib.Error) as exc:
        raise TransferError(f"cannot upload to {target}: {exc}") from exc


def _ftp_store(parts: SplitResult, data: bytes) -> None:
    path = PurePosixPath(unquote(parts.path))
    with ftplib.FTP(timeout=_TIMEOUT_SECONDS) as ftp:
        ftp.connect(parts.hostname or "", parts.port or 21)
        ftp.login(unquote(parts.username or "anonymous"), unquote(parts.password or ""))
        if str(path.parent) not in ("", "/"):
            ftp.cwd(str(path.parent))
        ftp.storbinary(f"STOR {path.name}", io.BytesIO(data))
