"""Log sinks of one process (loguru): console, combined file, error file, from the config."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from loguru import logger

SIMPLE_FORMAT = (
    "{time:YYYY-MM-DD HH:mm:ss.SSS} | {level: <7} | {extra[process]} | "
    "{extra[station]: <14} | {message}"
)


def configure_logging(
    *,
    level: str,
    console: bool,
    log_file: Path | None = None,
    error_file: Path | None = None,
    json_format: bool = False,
    rotate: bool = False,
    max_files: int = 7,
    process: str = "main",
) -> None:
    """Replace every sink of this process. Called once per process (supervisor, each worker)."""
    logger.remove()
    logger.configure(extra={"process": process, "station": "-"})
    common: dict[str, Any] = {"serialize": json_format}
    if not json_format:
        common["format"] = SIMPLE_FORMAT
    if console:
        logger.add(sys.stderr, level=level, **common)
    files: dict[str, Any] = {"encoding": "utf-8"}
    if rotate:
        files.update(rotation="00:00", retention=max_files)
    if log_file is not None:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        logger.add(log_file, level=level, **common, **files)
    if error_file is not None:
        error_file.parent.mkdir(parents=True, exist_ok=True)
        logger.add(error_file, level="ERROR", **common, **files)
