"""A CSMS restart under a connected fleet: how long until every station is booted again, and the
peak rate of new connections the CSMS sees (DESIGN.md: the per-worker token bucket keeps a
restart from becoming a storm).

N idle stations boot against a lean CSMS process; the CSMS is killed (SIGKILL: the kernel
resets every connection, as when a CSMS host dies) and started again on the same port after
`downtime` seconds. Run alone: `python -m bench.reconnect_storm --stations 1000 --rate 0`.
"""

from __future__ import annotations

import argparse
import json
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bench.fleet import free_port, raise_open_file_limit, start_lean_csms
from simulator.config import Settings

HEARTBEAT_INTERVAL = 300
DEFAULT_RATE = float(Settings.model_fields["connection_rate_per_worker"].default)
POLL_SECONDS = 0.1


def storm_template() -> dict[str, Any]:
    """Idle stations (boot, status, heartbeat every 300 s) that reconnect with the capped
    exponential back-off: the connections are all the load there is."""
    return {
        "baseName": "STORM",
        "chargePointVendor": "evsim",
        "chargePointModel": "Bench AC",
        "chargePointSerialNumberPrefix": "S-",
        "power": 22080,
        "numberOfConnectors": 2,
        "reconnectExponentialDelay": True,
        "autoReconnectMaxRetries": -1,
        "Configuration": {
            "configurationKey": [{"key": "HeartbeatInterval", "value": str(HEARTBEAT_INTERVAL)}]
        },
        "Connectors": {"0": {}, "1": {}, "2": {}},
    }


class RestartableCsms:
    """A lean CSMS process on a fixed port, killed and started again on that port; the latest
    counters of the running process are read from its stdout by a thread."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.counters: dict[str, Any] = {}
        self.listening = threading.Event()
        self.process: subprocess.Popen[str] | None = None

    def start(self) -> None:
        self.counters = {}
        self.listening.clear()
        self.process = start_lean_csms(self.port, HEARTBEAT_INTERVAL)
        threading.Thread(target=self._read, args=(self.process,), daemon=True).start()

    def _read(self, process: subprocess.Popen[str]) -> None:
        assert process.stdout is not None
        for line in process.stdout:
            data = json.loads(line)
            if process is not self.process:
                return  # a killed process's last lines
            if "listening" in data:
                self.listening.set()
            else:
                self.counters = data

    def kill(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()

    def booted(self) -> int:
        return int(self.counters.get("booted", 0))

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"


@dataclass
class StormResult:
    stations: int
    rate_per_worker: float
    downtime_seconds: float
    ramp_seconds: float | None = None
    ramp_peak_connections_per_second: int = 0
    rebooted_seconds: float | None = None
    """From the kill to the last station booted again (includes the downtime)."""
    storm_peak_connections_per_second: int = 0
    storm_connections: int = 0
    """Connections the restarted CSMS accepted until all stations were booted again."""
    error: str = ""


def _wait_booted(csms: RestartableCsms, stations: int, deadline: float) -> bool:
    while time.monotonic() < deadline:
        if csms.booted() >= stations:
            return True
        time.sleep(POLL_SECONDS)
    return False


def run_reconnect_storm(
    *, stations: int, rate_per_worker: float, downtime: float = 2.0
) -> StormResult:
    result = StormResult(stations, rate_per_worker, downtime)
    raise_open_file_limit()
    csms = RestartableCsms(free_port())
    csms.start()
    directory = Path(tempfile.mkdtemp(prefix="evsim-storm-"))
    (directory / "station.json").write_text(json.dumps(storm_template()))
    config = {
        "supervisionUrls": [csms.url],
        "logStatisticsInterval": 0,
        "logConsole": False,
        "logFile": "",
        "logErrorFile": "simulator-errors.log",
        "uiServer": {"enabled": False},
        "worker": {"processType": "workerSet", "elementsPerWorker": "auto"},
        "connectionRatePerWorker": rate_per_worker,
        "stateDir": str(directory / "state"),
        "stationTemplateUrls": [{"file": "station.json", "numberOfStations": stations}],
    }
    config_path = directory / "config.json"
    config_path.write_text(json.dumps(config))
    csms.listening.wait(30)
    simulator: subprocess.Popen[bytes] | None = None
    try:
        started = time.monotonic()
        simulator = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "simulator",
                "run",
                "--config",
                str(config_path),
                "--no-progress",
            ],
            stdout=subprocess.DEVNULL,
            stderr=(directory / "simulator-stderr.log").open("w"),
        )
        if not _wait_booted(csms, stations, started + 60 + stations / 100):
            result.error = f"ramp: only {csms.booted()} of {stations} booted"
            return result
        result.ramp_seconds = time.monotonic() - started
        time.sleep(1)  # the counters are printed every 0.5 s: the ramp's last peak
        result.ramp_peak_connections_per_second = int(csms.counters["peakConnectionRate"])
        killed = time.monotonic()
        csms.kill()
        time.sleep(downtime)
        csms.start()
        if not _wait_booted(csms, stations, killed + 120 + stations / 50):
            result.error = f"restart: only {csms.booted()} of {stations} booted again"
            return result
        result.rebooted_seconds = time.monotonic() - killed
        time.sleep(1)
        result.storm_peak_connections_per_second = int(csms.counters["peakConnectionRate"])
        result.storm_connections = int(csms.counters["opened"])
        return result
    finally:
        if simulator is not None:
            simulator.send_signal(signal.SIGTERM)
            try:
                simulator.wait(60)
            except subprocess.TimeoutExpired:
                simulator.kill()
                simulator.wait()
        csms.stop()


def storm_table(results: list[StormResult]) -> str:
    lines = [
        "| stations | connectionRatePerWorker | ramp: all booted in | ramp: peak conn/s "
        "| restart: all booted again in | restart: peak conn/s | note |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in results:
        rate = f"{r.rate_per_worker:g}" if r.rate_per_worker > 0 else "0 (no limit)"
        ramp = f"{r.ramp_seconds:.1f} s" if r.ramp_seconds is not None else "-"
        again = f"{r.rebooted_seconds:.1f} s" if r.rebooted_seconds is not None else "-"
        lines.append(
            f"| {r.stations} | {rate} | {ramp} | {r.ramp_peak_connections_per_second} "
            f"| {again} | {r.storm_peak_connections_per_second} | {r.error} |"
        )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--stations", type=int, default=1_000)
    parser.add_argument(
        "--rate", type=float, action="append", help="connectionRatePerWorker (repeatable; 0: none)"
    )
    parser.add_argument("--downtime", type=float, default=2.0, help="seconds the CSMS is down")
    args = parser.parse_args()
    results = [
        run_reconnect_storm(stations=args.stations, rate_per_worker=rate, downtime=args.downtime)
        for rate in args.rate or [0.0]
    ]
    print(storm_table(results))
    print(json.dumps([asdict(r) for r in results], indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
