"""mv-1000 (issue 16, target 1): CPU per MeterValues round trip of an evsim fleet on a per-station
timer, against the floor of bare clients doing the same exchange, measured in the same run.

The profile: N stations, 1 three-phase connector, one long transaction each, MeterValues every
second (the template's 10 entries, expanded by evsim to 16 sampled values with the totals and the
line-to-line voltages), heartbeat 60 s, validation on, state persisted (the defaults). Each round
starts a lean CSMS (bench/lean_csms.py) and one contender in processes of their own, waits for
the steady state, and reads the CPU time of the contender's whole process tree from /proc over
the window; the MeterValues counted are those the CSMS answered in that window. Rounds alternate
(floor, [picows,] evsim, floor, ...) so that a change in the machine's load hits every contender.
The floor sends the exact MeterValues frame an evsim station sends, captured from one first.

    python -m bench.mv_profile --stations 1000 --rounds 5 --seconds 40

With `--ocpp 2.0.1` the same profile on 2.0.1 stations: the meter values go out as
TransactionEvent Updated (SampledDataCtrlr.TxUpdatedInterval 1 s, the same measurands), and
the floor sends that captured frame on `ocpp2.0.1` connections.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.fleet import CsmsProcess, fleet_worker, raise_open_file_limit, total
from bench.processes import usage
from bench.stations import idle_template

SAMPLE_INTERVAL = 1
HEARTBEAT = 60
MEASURANDS = "Energy.Active.Import.Register,Power.Active.Import,Current.Import,Voltage"
SETTLE_SECONDS = 5.0
FLOOR = "floor"
PICOWS = "picows"
EVSIM = "evsim"


OCPP16 = "1.6"
OCPP201 = "2.0.1"


def mv_template(ocpp: str = OCPP16) -> dict[str, Any]:
    """1 three-phase AC connector, 10 MeterValues entries, an ATG whose one session outlasts the
    run, heartbeat 60 s, MeterValues every second; validation and persistence as by default.
    2.0.1: the TypeScript simulator's 2.0.1 template form (Evses, Component.Variable keys)."""
    phases = ("L1", "L2", "L3")
    meter_values = [
        {"measurand": "Energy.Active.Import.Register", "unit": "Wh"},
        {
            "measurand": "Power.Active.Import",
            "unit": "W",
            "value": "11040",
            "fluctuationPercent": "10",
        },
        *(
            {"measurand": "Power.Active.Import", "unit": "W", "phase": f"{p}-N", "value": "3680"}
            for p in phases
        ),
        *({"measurand": "Current.Import", "unit": "A", "phase": p, "value": "16"} for p in phases),
        {"measurand": "Voltage", "unit": "V", "phase": "L1-N", "value": "230"},
        {"measurand": "Voltage", "unit": "V", "phase": "L1-L2", "value": "400"},
    ]
    template: dict[str, Any] = {
        **idle_template(),
        "baseName": "BENCH-MV",
        "numberOfConnectors": 1,
        "numberOfPhases": 3,
        "currentOutType": "AC",
        "voltageOut": 230,
        "mainVoltageMeterValues": True,
        "phaseLineToLineVoltageMeterValues": True,
        "Configuration": {
            "configurationKey": [
                {"key": "HeartbeatInterval", "value": str(HEARTBEAT)},
                {"key": "MeterValueSampleInterval", "value": str(SAMPLE_INTERVAL)},
                {"key": "MeterValuesSampledData", "value": MEASURANDS},
            ]
        },
        "AutomaticTransactionGenerator": {
            "enable": True,
            "minDuration": 86_400,
            "maxDuration": 86_400,
            "minDelayBetweenTwoTransactions": 0,
            "maxDelayBetweenTwoTransactions": 2,
            "probabilityOfStart": 1,
            "stopAfterHours": 24,
            "stopOnConnectionFailure": False,
            "requireAuthorize": False,
        },
        "Connectors": {"0": {}, "1": {"MeterValues": meter_values}},
    }
    if ocpp == OCPP201:
        del template["Connectors"]
        template["ocppVersion"] = OCPP201
        template["Evses"] = {
            "0": {"Connectors": {"0": {}}},
            "1": {"Connectors": {"1": {"MeterValues": meter_values}}},
        }
        template["Configuration"] = {
            "configurationKey": [
                {"key": "OCPPCommCtrlr.HeartbeatInterval", "value": str(HEARTBEAT)},
                {"key": "SampledDataCtrlr.TxUpdatedInterval", "value": str(SAMPLE_INTERVAL)},
                {"key": "SampledDataCtrlr.TxUpdatedMeasurands", "value": MEASURANDS},
            ]
        }
    return template


@dataclass
class RoundResult:
    contender: str
    round: int
    cpu_us_per_round_trip: float | None = None
    meter_values_per_second: float = 0.0
    pss_kib_per_station: float = 0.0
    boot_seconds: float | None = None
    load_average: float = 0.0
    processes: int = 0
    error: str = ""


@dataclass
class ProfileResult:
    stations: int
    ocpp: str
    seconds: float
    frame_bytes: int
    sampled_values: int
    rounds: list[RoundResult] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)


def write_evsim_config(directory: Path, urls: list[str], stations: int, ocpp: str) -> Path:
    (directory / "station.json").write_text(json.dumps(mv_template(ocpp)))
    config = {
        "supervisionUrls": urls,
        "logStatisticsInterval": 0,
        "logConsole": False,
        "logFile": "",
        "logErrorFile": "simulator-errors.log",
        "uiServer": {"enabled": False},
        "worker": fleet_worker(stations),
        "stationTemplateUrls": [{"file": "station.json", "numberOfStations": stations}],
    }
    path = directory / "config.json"
    path.write_text(json.dumps(config))
    return path


def evsim_command(config: Path) -> list[str]:
    return [sys.executable, "-m", "simulator", "run", "--config", str(config), "--no-progress"]


def client_command(contender: str, url: str, stations: int, frame: Path, ocpp: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "bench.mv_picows" if contender == PICOWS else "bench.mv_clients",
        "--url",
        url,
        "--stations",
        str(stations),
        "--frame",
        str(frame),
        "--ocpp",
        ocpp,
    ]


def capture_frame(directory: Path, ocpp: str) -> str:
    """The first meter values frame one evsim station of the profile sends (MeterValues; 2.0.1:
    TransactionEvent Updated), as the CSMS got it."""
    path = directory / "frame.json"
    csms = CsmsProcess(HEARTBEAT, capture=path)
    time.sleep(0.5)
    run = directory / "capture"
    run.mkdir()
    simulator = subprocess.Popen(
        evsim_command(write_evsim_config(run, [csms.url], 1, ocpp)),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while not path.exists() or not path.read_text():
            if time.monotonic() > deadline or simulator.poll() is not None:
                raise RuntimeError("no MeterValues from the capture station within 60 s")
            time.sleep(0.2)
        return path.read_text()
    finally:
        _stop(simulator)
        csms.stop()
        shutil.rmtree(run, ignore_errors=True)


def _fresh(csms: CsmsProcess) -> dict[str, Any]:
    """The next counters line: the CPU sample taken right after it matches its counts."""
    seen = csms.counters
    deadline = time.monotonic() + 2.0
    while csms.counters is seen and time.monotonic() < deadline:
        time.sleep(0.005)
    return csms.counters


def _meter_values(counters: dict[str, Any]) -> int:
    received = counters.get("received", {})
    return int(received.get("MeterValues", 0)) + int(received.get("TransactionEvent.Updated", 0))


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def run_round(
    contender: str, number: int, stations: int, seconds: float, frame: Path, *, ocpp: str = OCPP16
) -> RoundResult:
    result = RoundResult(contender, number, load_average=os.getloadavg()[0])
    csms = CsmsProcess(HEARTBEAT)
    directory = Path(tempfile.mkdtemp(prefix="evsim-mv-"))
    time.sleep(0.5)  # let the CSMS bind
    if contender == EVSIM:
        command = evsim_command(write_evsim_config(directory, [csms.url], stations, ocpp))
    else:
        command = client_command(contender, csms.url, stations, frame, ocpp)
    started = time.monotonic()
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=(directory / "stderr.log").open("w")
    )
    try:
        # evsim: booted and every transaction started; a client: booted (it has no transaction).
        def ready() -> bool:
            if total([csms], "booted") < stations:
                return False
            return contender != EVSIM or total([csms], "transactions") >= stations

        deadline = started + 60 + stations / 50
        while not ready():
            if process.poll() is not None:
                result.error = f"exited with {process.returncode}"
                return result
            if time.monotonic() > deadline:
                result.error = f"not ready: {int(total([csms], 'booted'))} of {stations} booted"
                return result
            time.sleep(0.1)
        result.boot_seconds = time.monotonic() - started
        time.sleep(SETTLE_SECONDS)
        counters = _fresh(csms)
        before, t0 = usage(process.pid), time.monotonic()
        count_before = _meter_values(counters)
        time.sleep(seconds)
        counters = _fresh(csms)
        after, elapsed = usage(process.pid), time.monotonic() - t0
        round_trips = _meter_values(counters) - count_before
        if round_trips <= 0:
            result.error = "no MeterValues in the window"
            return result
        result.cpu_us_per_round_trip = 1e6 * (after.cpu_seconds - before.cpu_seconds) / round_trips
        result.meter_values_per_second = round_trips / elapsed
        result.pss_kib_per_station = after.pss_bytes / 1024 / stations
        result.processes = after.processes
        return result
    finally:
        _stop(process)
        csms.stop()
        shutil.rmtree(directory, ignore_errors=True)


def contenders() -> tuple[list[str], dict[str, str]]:
    names, skipped = [FLOOR], {}
    if importlib.util.find_spec("picows") is None:
        skipped[PICOWS] = "picows not installed (pip install -e '.[bench]')"
    elif importlib.util.find_spec("uvloop") is None:
        skipped[PICOWS] = "uvloop not installed (the `fast` extra)"
    else:
        names.append(PICOWS)
    names.append(EVSIM)
    return names, skipped


def run_profile(stations: int, rounds: int, seconds: float, ocpp: str = OCPP16) -> ProfileResult:
    """The alternating rounds; each round's line is printed as it ends."""
    raise_open_file_limit()
    names, skipped = contenders()
    for name, reason in skipped.items():
        print(f"{name}: skipped, {reason}", flush=True)
    directory = Path(tempfile.mkdtemp(prefix="evsim-mv-frame-"))
    try:
        captured = capture_frame(directory, ocpp)
        frame = directory / "frame.json"
        sampled = len(json.loads(captured)[3]["meterValue"][0]["sampledValue"])
        result = ProfileResult(
            stations, ocpp, seconds, len(captured.encode()), sampled, skipped=skipped
        )
        print(
            f"OCPP {ocpp} frame: {result.frame_bytes} bytes, {sampled} sampled values; "
            f"{stations} stations x {rounds} rounds, {seconds:.0f} s windows",
            flush=True,
        )
        for number in range(1, rounds + 1):
            for name in names:
                outcome = run_round(name, number, stations, seconds, frame, ocpp=ocpp)
                result.rounds.append(outcome)
                print(round_line(outcome, stations), flush=True)
        return result
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def round_line(r: RoundResult, stations: int) -> str:
    if r.error:
        return f"round {r.round} {r.contender}: failed, {r.error}"
    boot = f", booted in {r.boot_seconds:.1f} s" if r.contender == EVSIM and r.boot_seconds else ""
    return (
        f"round {r.round} {r.contender}: {r.cpu_us_per_round_trip:.0f} us per round trip, "
        f"{r.meter_values_per_second:.0f} MeterValues/s (scheduled {stations}), "
        f"{r.pss_kib_per_station:.0f} KiB PSS per station{boot}, {r.processes} processes, "
        f"load {r.load_average:.2f}"
    )


def _spread(values: list[float], digits: int = 0) -> str:
    if not values:
        return "-"
    return (
        f"{statistics.median(values):.{digits}f} "
        f"({min(values):.{digits}f}-{max(values):.{digits}f})"
    )


def costs(result: ProfileResult, contender: str) -> list[float]:
    return [
        r.cpu_us_per_round_trip
        for r in result.rounds
        if r.contender == contender and r.cpu_us_per_round_trip is not None
    ]


def ratio_to_floor(result: ProfileResult, contender: str) -> tuple[float, list[float]] | None:
    """The ratio of the medians, and round by round (each against the floor of its round)."""
    floor = {r.round: r.cpu_us_per_round_trip for r in result.rounds if r.contender == FLOOR}
    pairs = [
        r.cpu_us_per_round_trip / base
        for r in result.rounds
        if r.contender == contender
        and r.cpu_us_per_round_trip is not None
        and (base := floor.get(r.round))
    ]
    if not pairs or not costs(result, FLOOR):
        return None
    return statistics.median(costs(result, contender)) / statistics.median(
        costs(result, FLOOR)
    ), pairs


def profile_table(result: ProfileResult) -> str:
    lines = [
        f"| mv-{result.stations} OCPP {result.ocpp} contender "
        "| CPU us per MeterValues round trip, median (range) "
        "| ratio to the floor (round by round) | MeterValues/s | PSS KiB per station | booted in |",
        "|---|---|---|---|---|---|",
    ]
    for name in (FLOOR, PICOWS, EVSIM):
        rounds = [r for r in result.rounds if r.contender == name and not r.error]
        if not rounds:
            continue
        ratio = ratio_to_floor(result, name)
        ratio_text = f"{ratio[0]:.2f}x ({min(ratio[1]):.2f}-{max(ratio[1]):.2f})" if ratio else "-"
        boots = [r.boot_seconds for r in rounds if r.boot_seconds is not None]
        boot = f"{statistics.median(boots):.1f} s" if name == EVSIM and boots else "-"
        lines.append(
            f"| {name} | {_spread(costs(result, name))} | {ratio_text} "
            f"| {_spread([r.meter_values_per_second for r in rounds])} "
            f"| {_spread([r.pss_kib_per_station for r in rounds])} | {boot} |"
        )
    failed = [r for r in result.rounds if r.error]
    for r in failed:
        lines.append(f"\n{r.contender} round {r.round} failed: {r.error}")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--stations", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=40.0, help="steady-state window")
    parser.add_argument("--ocpp", choices=(OCPP16, OCPP201), default=OCPP16)
    args = parser.parse_args()
    print(f"load average at start: {os.getloadavg()[0]:.2f}", flush=True)
    result = run_profile(args.stations, args.rounds, args.seconds, args.ocpp)
    print()
    print(profile_table(result))
    ratio = ratio_to_floor(result, EVSIM)
    if ratio:
        print(f"\nevsim / floor: {ratio[0]:.2f}x (target 1: at most 1.00x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
