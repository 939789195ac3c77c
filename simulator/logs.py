"""Log sinks of one process (loguru): console, combined file, error file, from the config."""

from __future__ import annotations

import sys
from datetime import date, datetime
from pathlib import Path
from typing import Any, TextIO

from loguru import logger

SIMPLE_FORMAT = (
    "{time:YYYY-MM-DD HH:mm:ss.SSS} | {level: <7} | {extra[process]} | "
    "{extra[station]: <14} | {message}"
)


class DailyRotation:
    """loguru's rotation test: a new file at the first record of a new day, and at start when
    the file holds an earlier day's records (the TS simulator's daily files).

    It reads the day from the record's own time, not from a clock of its own, so the file
    always holds one day of records."""

    def __init__(self) -> None:
        self._day: date | None = None

    def __call__(self, message: Any, file: TextIO) -> bool:
        record_time: datetime = message.record["time"]
        day = record_time.date()
        if self._day is None:
            self._day = day
            if file.tell() > 0:  # a file left by an earlier run: rotate when it is not today's
                stat = Path(file.name).stat()
                written = datetime.fromtimestamp(stat.st_mtime, tz=record_time.tzinfo)
                return written.date() != day
            return False
        if day != self._day:
            self._day = day
            return True
        return False


def configure_logging(
    *,
    level: str,
    console: bool,
    log_file: Path | None = None,
    error_file: Path | None = None,
    json_format: bool = False,
    rotate: bool = False,
    max_files: int = 7,
    follow: bool = False,
    process: str = "main",
) -> None:
    """Replace every sink of this process. Called once per process (supervisor, each worker).

    `max_files` counts the files of one log on disk, the current one included, as winston's
    daily rotation does; 0 keeps every file. `follow`: another process rotates the files;
    this one reopens a file once it was renamed away (rotate is then ignored)."""
    logger.remove()
    logger.configure(extra={"process": process, "station": "-"})
    common: dict[str, Any] = {"serialize": json_format}
    if not json_format:
        common["format"] = SIMPLE_FORMAT
    if console:
        logger.add(sys.stderr, level=level, **common)
    for path, path_level in ((log_file, level), (error_file, "ERROR")):
        if path is None:
            continue
        files: dict[str, Any] = {"encoding": "utf-8"}
        if follow:
            # Several processes renaming one file would rename each other's fresh file away:
            # one process rotates, the others reopen the path it left.
            files["watch"] = True
        elif rotate:
            # One rotation state per file: each decides when its own day began.
            files["rotation"] = DailyRotation()
            if max_files > 0:
                files["retention"] = max_files - 1
        path.parent.mkdir(parents=True, exist_ok=True)
        logger.add(path, level=path_level, **common, **files)
