"""Performance record sinks (performanceStorage): jsonfile, sqlite, mongodb, none."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlsplit

from simulator.config import PerformanceStorageSettings
from simulator.storage.jsonfile import JsonFileStorage
from simulator.storage.mongodb import MongoStorage
from simulator.storage.none import NoStorage
from simulator.storage.sink import PerformanceRecord, PerformanceStorage, StatisticsData
from simulator.storage.sqlite import SqliteStorage

DEFAULT_JSON_FILE = "performanceRecords.json"
DEFAULT_SQLITE_FILE = "performanceRecords.db"
DEFAULT_MONGODB_URI = "mongodb://localhost:27017/evsim"
# The TS simulator's default URI: a file beside its assets, not at the root of the disk.
TS_DEFAULT_URI = "file:///performanceRecords.json"


class StorageUriError(ValueError):
    """performanceStorage.uri does not fit performanceStorage.type."""


def _file_path(uri: str, scheme: str, base_dir: Path) -> Path:
    """`scheme:///abs/path` (file:) or `scheme:///rel/path` (sqlite:, as SQLAlchemy reads it),
    `scheme:rel`, or a plain path; relative paths are under base_dir."""
    parts = urlsplit(uri)
    if parts.scheme == "":
        path = Path(uri)
    elif parts.scheme != scheme:
        raise StorageUriError(f"{uri!r} is not a {scheme}: URI")
    elif parts.netloc not in ("", "localhost"):
        raise StorageUriError(f"{uri!r}: a {scheme}: URI names a local file, not a host")
    else:
        text = unquote(parts.path)
        if scheme == "sqlite" and text.startswith("/"):
            text = text[1:]  # sqlite:///rel.db is relative, sqlite:////abs.db absolute
        path = Path(text)
    return path if path.is_absolute() else base_dir / path


def storage_location(kind: str, uri: str | None, base_dir: Path) -> str:
    """Where a sink of `kind` writes: a file path, a MongoDB URI, or "" for none (pure)."""
    if kind == "none":
        return ""
    if kind == "jsonfile":
        if uri is None or uri == TS_DEFAULT_URI:
            return str(base_dir / DEFAULT_JSON_FILE)
        return str(_file_path(uri, "file", base_dir))
    if kind == "sqlite":
        if uri is None:
            return str(base_dir / DEFAULT_SQLITE_FILE)
        return str(_file_path(uri, "sqlite", base_dir))
    if kind == "mongodb":
        if uri is None:
            return DEFAULT_MONGODB_URI
        if urlsplit(uri).scheme not in ("mongodb", "mongodb+srv"):
            raise StorageUriError(f"{uri!r} is not a mongodb:// URI")
        return uri
    raise StorageUriError(f"unknown performance storage type {kind!r}")


_SINKS: dict[str, type[PerformanceStorage]] = {
    sink.kind: sink for sink in (JsonFileStorage, SqliteStorage, MongoStorage, NoStorage)
}


def make_storage(settings: PerformanceStorageSettings, base_dir: Path) -> PerformanceStorage:
    """The sink performanceStorage names (NoStorage when disabled). Raises StorageUriError."""
    kind = settings.type if settings.enabled else "none"
    return _SINKS[kind](storage_location(kind, settings.uri, base_dir))


__all__ = [
    "DEFAULT_MONGODB_URI",
    "JsonFileStorage",
    "MongoStorage",
    "NoStorage",
    "PerformanceRecord",
    "PerformanceStorage",
    "SqliteStorage",
    "StatisticsData",
    "StorageUriError",
    "make_storage",
    "storage_location",
]
