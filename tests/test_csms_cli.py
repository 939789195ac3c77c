"""`evsim csms` as a user runs it: arguments, start-up, signals, exit statuses."""

import json
import os
import re
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from simulator.csms.cli import build_parser, main

REPO = Path(__file__).resolve().parents[1]
WAIT = 10.0


@pytest.mark.parametrize(
    "argv",
    [
        ["--port", "eighty"],
        ["--port", "70000"],
        ["--heartbeat-interval", "0"],
        ["--boot-status-sequence", "Pending,Maybe"],
        ["--log-level", "chatty"],
        ["--basic-auth", "no-colon"],
        ["--no-such-option"],
    ],
)
def test_a_bad_argument_exits_2_with_one_line(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("evsim csms: ")


def test_arguments_map_to_the_central_system_options() -> None:
    args = build_parser().parse_args(
        [
            "--boot-status-sequence",
            "Pending, Accepted",
            "--reject-id-tags",
            "a,b",
            "--heartbeat-interval",
            "30",
            "--basic-auth",
            "cs:pa:ss",
        ]
    )
    assert args.boot_status_sequence == ["Pending", "Accepted"]
    assert args.reject_id_tags == ["a", "b"]
    assert args.heartbeat_interval == 30
    assert args.basic_auth == ("cs", "pa:ss")
    assert (args.host, args.port) == ("127.0.0.1", 8180)


def test_retransmissions_are_recognised_unless_the_flag_turns_it_off() -> None:
    assert build_parser().parse_args([]).recognise_retransmissions is True
    args = build_parser().parse_args(["--no-recognise-retransmissions"])
    assert args.recognise_retransmissions is False


@pytest.fixture
def run_csms() -> Iterator[list[subprocess.Popen[str]]]:
    started: list[subprocess.Popen[str]] = []
    yield started
    for process in started:
        if process.poll() is None:
            process.kill()
            process.wait(WAIT)


def spawn(started: list[subprocess.Popen[str]], *argv: str) -> subprocess.Popen[str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "simulator.csms", *argv],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        stderr=subprocess.PIPE,
        text=True,
    )
    started.append(process)
    return process


def test_runs_until_sigterm_then_writes_the_report_and_exits_0(
    run_csms: list[subprocess.Popen[str]], tmp_path: Path
) -> None:
    report = tmp_path / "report.json"
    process = spawn(run_csms, "--port", "0", "--report", str(report), "--log-level", "INFO")
    assert process.stderr is not None
    url = None
    for line in process.stderr:  # bounded by the test timeout
        match = re.search(r"listening on (ws://\S+)", line)
        if match:
            url = match.group(1)
            break
    assert url is not None
    host, port = url.removeprefix("ws://").split(":")
    with socket.create_connection((host, int(port)), timeout=WAIT):
        pass  # it accepts connections

    process.send_signal(signal.SIGTERM)
    assert process.wait(WAIT) == 0
    assert json.loads(report.read_text())["totals"]["stations"] == 0


def test_a_port_in_use_exits_1_with_one_line(run_csms: list[subprocess.Popen[str]]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        process = spawn(run_csms, "--port", str(port), "--log-level", "WARNING")
        assert process.wait(WAIT) == 1
    assert process.stderr is not None
    err = process.stderr.read()
    assert err.count("\n") == 1
    assert f"cannot start on 127.0.0.1:{port}" in err
