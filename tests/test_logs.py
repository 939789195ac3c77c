"""The logging keys of config.json (logConsole, logFormat, logRotate, logMaxFiles, logLevel,
logFile, logErrorFile), through the sinks `evsim run` gives its main process and the options
its worker processes get."""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import os
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from loguru import logger

from simulator.cli import configure_main_logging
from simulator.config_loading import load_settings
from simulator.station.host import StationHost
from simulator.supervisor import pool_options

pytestmark = pytest.mark.timeout(30)


@pytest.fixture(autouse=True)
def restore_loguru() -> Iterator[None]:
    yield
    logger.remove()  # closes the files the test opened
    logger.add(sys.stderr)


def configure(tmp_path: Path, **keys: Any) -> Path:
    """Log sinks from a config.json holding `keys` (no console unless asked); its directory."""
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"logConsole": False, **keys}))
    configure_main_logging(load_settings(config, environ={}))
    return tmp_path


def lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


def days_later(days: int) -> Any:
    """A logger whose records carry a time `days` after now: a new day without waiting."""
    return logger.patch(lambda record: record.update(time=record["time"] + timedelta(days=days)))


def log_files(directory: Path, stem: str) -> list[Path]:
    return sorted(directory.glob(f"{stem}*.log"))


@pytest.mark.key("logConsole")
def test_log_console_writes_records_to_stderr(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    configure(tmp_path, logConsole=True, logFile="", logErrorFile="")
    logger.info("to the console")
    assert "to the console" in capsys.readouterr().err


@pytest.mark.key("logConsole")
def test_without_log_console_nothing_is_written_to_stderr(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    configure(tmp_path, logFile="", logErrorFile="")
    logger.error("not on the console")
    assert capsys.readouterr().err == ""


@pytest.mark.key("logFormat")
def test_simple_format_writes_one_text_line_per_record(tmp_path: Path) -> None:
    directory = configure(tmp_path, logFormat="simple")
    logger.info("a simple line")
    [line] = lines(directory / "combined.log")
    assert " | INFO    | main | " in line
    assert line.endswith("| a simple line")


@pytest.mark.key("logFormat")
def test_json_format_writes_one_json_object_per_line(tmp_path: Path) -> None:
    directory = configure(tmp_path, logFormat="json")
    logger.info("first")
    logger.warning("second")
    records = [json.loads(line)["record"] for line in lines(directory / "combined.log")]
    assert [(r["level"]["name"], r["message"]) for r in records] == [
        ("INFO", "first"),
        ("WARNING", "second"),
    ]


@pytest.mark.key("logFormat")
def test_a_winston_format_warns_and_logs_simple_lines(tmp_path: Path) -> None:
    warnings: list[str] = []
    sink = logger.add(lambda message: warnings.append(message.record["message"]), level="WARNING")
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"logConsole": False, "logFormat": "prettyPrint"}))
    settings = load_settings(config, environ={})
    logger.remove(sink)
    assert warnings == [
        "logFormat 'prettyPrint' is a winston format evsim does not have (simple, json): "
        "'simple' used"
    ]
    configure_main_logging(settings)
    logger.info("still logged")
    [line] = lines(tmp_path / "combined.log")
    assert line.endswith("| still logged")


@pytest.mark.key("logLevel")
def test_log_level_drops_records_below_it(tmp_path: Path) -> None:
    directory = configure(tmp_path, logLevel="warning")
    logger.info("dropped")
    logger.warning("kept")
    assert [line.rsplit("| ", 1)[1] for line in lines(directory / "combined.log")] == ["kept"]


@pytest.mark.key("logFile")
def test_log_file_is_relative_to_the_config_directory(tmp_path: Path) -> None:
    conf = tmp_path / "conf"
    conf.mkdir()
    configure(conf, logFile="logs/all.log")
    logger.info("in the named file")
    assert lines(conf / "logs" / "all.log")[0].endswith("| in the named file")
    assert not (conf / "combined.log").exists()


@pytest.mark.key("logErrorFile")
def test_log_error_file_receives_only_errors(tmp_path: Path) -> None:
    directory = configure(tmp_path, logErrorFile="errors/only.log")
    logger.warning("a warning")
    logger.error("an error")
    assert [line.rsplit("| ", 1)[1] for line in lines(directory / "errors" / "only.log")] == [
        "an error"
    ]
    assert len(lines(directory / "combined.log")) == 2


@pytest.mark.key("logErrorFile")
def test_empty_log_file_names_write_no_file(tmp_path: Path) -> None:
    directory = configure(tmp_path, logFile="", logErrorFile="")
    logger.error("nowhere")
    assert sorted(path.name for path in directory.iterdir()) == ["config.json"]


@pytest.mark.key("logRotate")
def test_log_rotate_starts_a_new_file_on_a_new_day(tmp_path: Path) -> None:
    directory = configure(tmp_path, logRotate=True)
    logger.info("today")
    days_later(1).info("tomorrow")
    files = log_files(directory, "combined")
    assert len(files) == 2
    assert [line.rsplit("| ", 1)[1] for line in lines(directory / "combined.log")] == ["tomorrow"]


@pytest.mark.key("logRotate")
def test_without_log_rotate_a_new_day_keeps_the_file(tmp_path: Path) -> None:
    directory = configure(tmp_path, logRotate=False)
    logger.info("today")
    days_later(1).info("tomorrow")
    assert log_files(directory, "combined") == [directory / "combined.log"]
    assert len(lines(directory / "combined.log")) == 2


@pytest.mark.key("logRotate")
def test_a_file_left_from_an_earlier_day_is_rotated_at_start(tmp_path: Path) -> None:
    old = tmp_path / "combined.log"
    old.write_text("yesterday's record\n")
    yesterday = old.stat().st_mtime - 86400
    os.utime(old, (yesterday, yesterday))
    configure(tmp_path, logRotate=True)
    logger.info("today")
    assert len(log_files(tmp_path, "combined")) == 2
    assert [line.rsplit("| ", 1)[1] for line in lines(old)] == ["today"]


@pytest.mark.key("logRotate")
def test_a_file_of_today_is_continued_at_start(tmp_path: Path) -> None:
    (tmp_path / "combined.log").write_text("earlier today\n")
    configure(tmp_path, logRotate=True)
    logger.info("later today")
    assert log_files(tmp_path, "combined") == [tmp_path / "combined.log"]
    assert lines(tmp_path / "combined.log")[0] == "earlier today"


@pytest.mark.key("logMaxFiles")
def test_log_max_files_keeps_that_many_rotated_files(tmp_path: Path) -> None:
    """logMaxFiles counts the files of one log, the current one included (winston's rule)."""
    directory = configure(tmp_path, logRotate=True, logMaxFiles=3)
    for day in range(6):
        days_later(day).info("day {}", day)
    files = log_files(directory, "combined")
    assert len(files) == 3
    kept = sorted(line.rsplit("| ", 1)[1] for path in files for line in lines(path))
    assert kept == ["day 3", "day 4", "day 5"]


# --- worker processes ---------------------------------------------------------------------------


def worker_options(tmp_path: Path, **keys: Any) -> dict[str, Any]:
    """The options a worker host gets from a config.json holding `keys`."""
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"logConsole": False, **keys}))
    options = pool_options(load_settings(config, environ={}), 1, use_uvloop=False).host_options
    return {**options, "statistics_interval": 0, "worker_label": "1"}


def _log_an_error_in_a_worker(options: dict[str, Any]) -> None:
    async def run() -> None:
        host = StationHost(lambda event: None, options)
        logger.error("a worker failed")
        await host.stop()

    asyncio.run(run())
    logger.remove()  # flushes and closes the files


@pytest.mark.key("logErrorFile")
@pytest.mark.timeout(60)
def test_an_error_logged_in_a_worker_process_reaches_the_error_file(tmp_path: Path) -> None:
    options = worker_options(tmp_path, logErrorFile="errors/error.log")
    worker = multiprocessing.get_context("spawn").Process(
        target=_log_an_error_in_a_worker, args=(options,)
    )
    worker.start()
    worker.join(50)
    assert worker.exitcode == 0
    [line] = lines(tmp_path / "errors" / "error.log")
    assert " | ERROR   | worker-1 | " in line
    assert line.endswith("| a worker failed")


@pytest.mark.key("logRotate")
async def test_a_worker_writes_on_in_the_file_the_supervisor_rotated_in(tmp_path: Path) -> None:
    """With logRotate the supervisor renames the shared files; a worker reopens the path
    instead of writing on into the renamed file (or renaming the supervisor's new file)."""
    host = StationHost(lambda event: None, worker_options(tmp_path, logRotate=True))
    logger.info("before the rotation")
    (tmp_path / "combined.log").rename(tmp_path / "combined.yesterday.log")
    days_later(1).info("after the rotation")
    await host.stop()
    assert lines(tmp_path / "combined.yesterday.log")[0].endswith("| before the rotation")
    assert [line.rsplit("| ", 1)[1] for line in lines(tmp_path / "combined.log")] == [
        "after the rotation"
    ]
