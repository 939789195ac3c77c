"""`evsim` as a user runs it: real processes, real sockets on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import sys
from pathlib import Path

import pytest

from simulator.csms import CentralSystem
from tests.fleet import REPO, quick_template, write_fleet

pytestmark = [pytest.mark.integration, pytest.mark.process, pytest.mark.timeout(120)]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


async def evsim(*args: str, cwd: Path | None = None) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "simulator",
        *args,
        cwd=cwd,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "NO_COLOR": "1"},
    )


async def finished(
    process: asyncio.subprocess.Process, timeout: float = 60
) -> tuple[int, str, str]:
    out, err = await asyncio.wait_for(process.communicate(), timeout)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def test_bad_config_value_stops_with_one_line_and_exit_code_2(tmp_path: Path) -> None:
    path = write_fleet(
        tmp_path,
        "ws://127.0.0.1:1",
        {"t.json": (quick_template(), 1)},
        worker={"poolMaxSize": "many"},
    )
    code, _, err = await finished(await evsim("run", "--config", str(path)))
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert str(path) in lines[0] and "worker.poolMaxSize" in lines[0]


async def test_invalid_json_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    path.write_text('{\n  "logLevel": "info",\n}\n')
    code, _, err = await finished(await evsim("run", "--config", str(path)))
    assert code == 2 and "line 3" in err and "Traceback" not in err


async def test_missing_config_file_exits_2(tmp_path: Path) -> None:
    code, _, err = await finished(await evsim("run", "--config", str(tmp_path / "nope.json")))
    assert code == 2 and "nope.json" in err and "Traceback" not in err


async def test_unknown_template_file_names_the_key(tmp_path: Path) -> None:
    path = write_fleet(tmp_path, "ws://127.0.0.1:1", {"t.json": (quick_template(), 1)})
    config = json.loads(path.read_text())
    config["stationTemplateUrls"][0]["file"] = "missing.json"
    path.write_text(json.dumps(config))
    code, _, err = await finished(await evsim("run", "--config", str(path)))
    assert code == 2 and "stationTemplateUrls[0].file" in err


@pytest.mark.key("ocppVersion")
async def test_a_template_of_an_ocpp_version_evsim_does_not_speak_stops_run_with_one_line(
    tmp_path: Path,
) -> None:
    """ocppVersion is 1.6, 2.0 or 2.0.1 (each with its adapter): another is the user's mistake,
    said in one line naming the file and the key, exit 2, before any process starts."""
    path = write_fleet(
        tmp_path, "ws://127.0.0.1:1", {"t.json": (quick_template(ocppVersion="2.1"), 1)}
    )
    code, _, err = await finished(await evsim("run", "--config", str(path)))
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "t.json: ocppVersion:" in lines[0]


@pytest.mark.key("baseName", "ocppVersion")
async def test_a_2_0_1_station_id_over_48_characters_stops_run_with_exit_code_2(
    tmp_path: Path,
) -> None:
    """OCPP-J 2.0.1 3.1.1: at most 48 characters; refused before any process starts."""
    template = quick_template(ocppVersion="2.0.1", baseName="B" * 43)
    path = write_fleet(tmp_path, "ws://127.0.0.1:1", {"t.json": (template, 1)})
    code, _, err = await finished(await evsim("run", "--config", str(path)))
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "t.json: baseName: station id" in lines[0] and "at most 48" in lines[0]


async def test_templates_command_lists_the_configured_templates() -> None:
    code, out, _ = await finished(
        await evsim("templates", "--config", str(REPO / "config" / "config.json"))
    )
    assert code == 0
    assert "ac-22kw.json\t3 stations" in out and "5 stations in 2 templates" in out


@pytest.mark.key("uiServer", "uiServer.options.port", "uiServer.enabled", "uiServer.options")
async def test_run_boots_the_fleet_answers_the_ui_and_stops_cleanly_on_sigterm(
    tmp_path: Path,
) -> None:
    ui_port = free_port()
    async with CentralSystem() as csms:
        path = write_fleet(
            tmp_path,
            csms.url,
            {"t.json": (quick_template(), 6)},
            worker={"processType": "staticPool", "poolMaxSize": 2},
            uiServer={"enabled": True, "options": {"host": "127.0.0.1", "port": ui_port}},
            logStatisticsInterval=1,
        )
        process = await evsim("run", "--config", str(path), "--no-uvloop")
        try:
            await csms.wait_booted(6, 60)
            ui = await evsim("ui", "listChargingStations", "--url", f"ws://127.0.0.1:{ui_port}")
            code, out, err = await finished(ui)
            assert code == 0, err
            listed = json.loads(out)
            assert len(listed["chargingStations"]) == 6
        finally:
            process.send_signal(signal.SIGTERM)
            code, _, err = await finished(process)
        assert code == 0, err
        assert "Traceback" not in err
        await csms.wait_until(lambda: not csms.connected, 10, "every station disconnected")


async def test_run_stopped_by_sigterm_leaves_its_last_log_lines_written(tmp_path: Path) -> None:
    """`evsim run` ends without the interpreter's teardown (cli.exit_without_teardown), once
    the fleet is stopped and its log closed: the stop's last line is in the file."""
    log = tmp_path / "evsim.log"
    async with CentralSystem() as csms:
        path = write_fleet(tmp_path, csms.url, {"t.json": (quick_template(), 2)}, logFile=str(log))
        process = await evsim("run", "--config", str(path), "--no-uvloop")
        try:
            await csms.wait_booted(2, 60)
        finally:
            process.send_signal(signal.SIGTERM)
            code, _, err = await finished(process)
    assert code == 0, err
    assert log.read_text().splitlines()[-1].endswith("Simulator stopped")


async def test_run_stopped_by_sigterm_while_placing_stations_stops_without_placing_the_rest(
    tmp_path: Path,
) -> None:
    """A SIGTERM during the start (thousands of stations still to place) stops the fleet then,
    not once the last station is placed: here 60 stations 0.5 s apart, 30 s of placing."""
    log = tmp_path / "evsim.log"
    async with CentralSystem() as csms:
        path = write_fleet(
            tmp_path,
            csms.url,
            {"t.json": (quick_template(), 60)},
            logFile=str(log),
            worker={"elementStartDelay": 500},
        )
        process = await evsim("run", "--config", str(path), "--no-uvloop")
        try:
            await csms.wait_booted(1, 60)
        finally:
            process.send_signal(signal.SIGTERM)
            code, _, err = await finished(process, timeout=15)
        assert csms.report.booted < 60
    assert code == 0, err
    text = log.read_text()
    assert "Start ended by a stop" in text
    assert text.splitlines()[-1].endswith("Simulator stopped")


async def test_run_with_csms_starts_the_bundled_csms_on_the_supervision_url(
    tmp_path: Path,
) -> None:
    port = free_port()
    path = write_fleet(
        tmp_path, f"ws://127.0.0.1:{port}", {"t.json": (quick_template(), 3)}, logConsole=True
    )
    process = await evsim("run", "--config", str(path), "--with-csms", "--no-uvloop")
    assert process.stderr is not None
    try:
        seen = ""
        async with asyncio.timeout(60):
            while "All 3 stations booted" not in seen:
                line = await process.stderr.readline()
                assert line, f"evsim exited early: {seen}"
                seen += line.decode()
    finally:
        process.send_signal(signal.SIGINT)
        code, _, _ = await finished(process)
    assert code == 0


async def test_ui_command_fails_with_exit_1_when_nothing_listens() -> None:
    code, _, err = await finished(
        await evsim("ui", "listChargingStations", "--url", f"ws://127.0.0.1:{free_port()}")
    )
    assert code == 1 and "cannot reach" in err


def one_error_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    return lines[0]


@pytest.mark.key("uiServer.options.port")
async def test_a_busy_ui_server_port_stops_start_up_naming_the_key_and_the_port(
    tmp_path: Path,
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        path = write_fleet(
            tmp_path,
            "ws://127.0.0.1:1",
            {"t.json": (quick_template(), 1)},
            uiServer={"enabled": True, "options": {"host": "127.0.0.1", "port": port}},
        )
        code, _, err = await finished(await evsim("run", "--config", str(path)))
    assert code == 2
    line = one_error_line(err)
    assert str(path) in line and "uiServer.options.port" in line and f":{port}" in line


@pytest.mark.key("supervisionUrls")
async def test_a_busy_port_for_the_bundled_csms_stops_start_up_naming_the_key_and_the_port(
    tmp_path: Path,
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        path = write_fleet(tmp_path, f"ws://127.0.0.1:{port}", {"t.json": (quick_template(), 1)})
        code, _, err = await finished(await evsim("run", "--config", str(path), "--with-csms"))
    assert code == 2
    line = one_error_line(err)
    assert str(path) in line and "supervisionUrls" in line and f":{port}" in line
