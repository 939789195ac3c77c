"""Run `evsim run` against lean CSMS processes and measure the fleet from outside."""

from __future__ import annotations

import json
import math
import os
import resource
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from bench.processes import usage

STATIONS_PER_CSMS = 12_000  # below the per-process open-file limit and the ephemeral ports


def raise_open_file_limit() -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


_TIME_WAIT = "06"  # the state column of /proc/net/tcp
QUIET_TIME_WAIT = 1000


def time_wait_sockets() -> int:
    """Sockets in TIME_WAIT on this machine (IPv4 and IPv6)."""
    count = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as lines:
                next(lines, None)
                count += sum(1 for line in lines if line.split()[3] == _TIME_WAIT)
        except OSError:
            continue
    return count


def wait_for_closed_connections(timeout: float = 75.0) -> float:
    """Until the connections of an earlier run have left TIME_WAIT (60 s on Linux): with
    tens of thousands of them, finding a free ephemeral port makes every connect() of the next
    run cost more, in the kernel, charged to the simulator (measured on this machine: 10,000
    stations booted in 15-24 s from a quiet start, 29-37 s right after another run). The
    seconds waited."""
    started = time.monotonic()
    while time_wait_sockets() > QUIET_TIME_WAIT and time.monotonic() - started < timeout:
        time.sleep(1.0)
    return time.monotonic() - started


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return cast(int, probe.getsockname()[1])


def start_lean_csms(
    port: int, heartbeat_interval: int, capture: Path | None = None
) -> subprocess.Popen[str]:
    """bench/lean_csms.py in a process of its own, its counters on its stdout."""
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "bench.lean_csms",
            "--port",
            str(port),
            "--heartbeat-interval",
            str(heartbeat_interval),
            *(["--capture", str(capture)] if capture else []),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )


class CsmsProcess:
    """One lean CSMS process; its latest counters are read from its stdout by a thread."""

    def __init__(self, heartbeat_interval: int, capture: Path | None = None) -> None:
        self.port = free_port()
        self.process = start_lean_csms(self.port, heartbeat_interval, capture)
        self.counters: dict[str, Any] = {}
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            data = json.loads(line)
            if "listening" not in data:
                self.counters = data

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()


def total(csms: list[CsmsProcess], key: str) -> float:
    return sum(float(c.counters.get(key, 0)) for c in csms)


def messages(csms: list[CsmsProcess]) -> int:
    return sum(sum(c.counters.get("received", {}).values()) for c in csms)


@dataclass
class FleetResult:
    profile: str
    stations: int
    worker: str
    booted: int = 0
    boot_seconds: float | None = None
    cpu_percent: float = 0.0
    messages_per_second: float = 0.0
    scheduled_per_second: float = 0.0
    cpu_ms_per_message: float | None = None
    pss_mb: float = 0.0
    kib_per_station: float = 0.0
    csms_cpu_percent: float = 0.0
    stop_seconds: float | None = None
    duplicate_stops: int = 0
    error: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def run_fleet(
    *,
    profile: str,
    template: dict[str, Any],
    stations: int,
    worker: dict[str, Any],
    scheduled_per_station: float,
    window: float,
    warmup: float,
    heartbeat_interval: int,
    files: dict[str, Any] | None = None,
    config_overrides: dict[str, Any] | None = None,
) -> FleetResult:
    """`config_overrides`: config.json keys over the bench's (e.g. stateWriteAhead)."""
    worker_label = str(worker.get("processType", "workerSet"))
    result = FleetResult(profile, stations, worker_label)
    result.scheduled_per_second = scheduled_per_station * stations
    raise_open_file_limit()
    waited = wait_for_closed_connections()
    if waited >= 1.0:
        result.extra["waited for TIME_WAIT s"] = round(waited, 1)
    csms = [CsmsProcess(heartbeat_interval) for _ in range(math.ceil(stations / STATIONS_PER_CSMS))]
    directory = Path(tempfile.mkdtemp(prefix="evsim-bench-"))
    (directory / "station.json").write_text(json.dumps(template))
    for name, content in (files or {}).items():
        (directory / name).write_text(json.dumps(content))
    config = {
        "supervisionUrls": [c.url for c in csms],
        "supervisionUrlDistribution": "round-robin",
        "logStatisticsInterval": 0,
        "logConsole": False,
        "logFile": "",
        "logErrorFile": "simulator-errors.log",
        "uiServer": {"enabled": False},
        "worker": worker,
        "stationTemplateUrls": [{"file": "station.json", "numberOfStations": stations}],
        **(config_overrides or {}),
    }
    config_path = directory / "config.json"
    config_path.write_text(json.dumps(config))
    time.sleep(0.5)  # let the CSMS processes bind
    started = time.monotonic()
    simulator = subprocess.Popen(
        [sys.executable, "-m", "simulator", "run", "--config", str(config_path), "--no-progress"],
        stdout=subprocess.DEVNULL,
        stderr=(directory / "simulator-stderr.log").open("w"),
    )
    try:
        deadline = started + 60 + stations / 100
        while total(csms, "booted") < stations and time.monotonic() < deadline:
            if simulator.poll() is not None:
                result.error = f"simulator exited with {simulator.returncode}"
                return result
            time.sleep(0.2)
        result.booted = int(total(csms, "booted"))
        if result.booted < stations:
            result.error = f"only {result.booted} of {stations} booted"
            return result
        result.boot_seconds = time.monotonic() - started
        time.sleep(warmup)
        before, messages_before, csms_before = (
            usage(simulator.pid),
            messages(csms),
            total(csms, "cpuSeconds"),
        )
        t0 = time.monotonic()
        time.sleep(window)
        elapsed = time.monotonic() - t0
        after, messages_after = usage(simulator.pid), messages(csms)
        cpu = after.cpu_seconds - before.cpu_seconds
        sent = messages_after - messages_before
        result.cpu_percent = 100 * cpu / elapsed
        result.messages_per_second = sent / elapsed
        result.cpu_ms_per_message = 1000 * cpu / sent if sent else None
        result.pss_mb = after.pss_bytes / 2**20
        result.kib_per_station = after.pss_bytes / 1024 / stations
        result.csms_cpu_percent = 100 * (total(csms, "cpuSeconds") - csms_before) / elapsed
        stop_started = time.monotonic()
        simulator.send_signal(signal.SIGTERM)
        try:
            simulator.wait(120)
            result.stop_seconds = time.monotonic() - stop_started
        except subprocess.TimeoutExpired:
            result.error = "did not stop within 120 s"
        time.sleep(1)  # the CSMS counters are printed every 0.5 s
        result.duplicate_stops = int(total(csms, "duplicateStops"))
        result.extra["transactions"] = int(total(csms, "transactions"))
        return result
    finally:
        if simulator.poll() is None:
            simulator.kill()
            simulator.wait()
        for process in csms:
            process.stop()


def cpu_count() -> int:
    return os.cpu_count() or 1


# Descriptors a worker needs besides one socket per station: up to 1,024 state files kept open
# (simulator/station/persistence.py), logs, pipes, the loop.
WORKER_SPARE_FILES = 1_500


def fleet_worker(stations: int) -> dict[str, Any]:
    """One worker per core, or more when a worker's share of sockets would pass the open-file
    limit (often 20,000: 50,000 stations on 2 workers would need 25,000 each)."""
    per_worker = max(raise_open_file_limit() - WORKER_SPARE_FILES, 1)
    workers = max(cpu_count(), math.ceil(stations / per_worker))
    return {"processType": "workerSet", "elementsPerWorker": math.ceil(stations / workers)}
