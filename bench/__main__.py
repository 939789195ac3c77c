"""`make bench`: load scenarios; prints markdown tables and writes bench-results.json."""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from bench.fleet import CsmsProcess, FleetResult, cpu_count, fleet_worker, run_fleet
from bench.mv_profile import EVSIM, OCPP201, profile_table, ratio_to_floor, run_profile
from bench.reconnect_storm import DEFAULT_RATE, StormResult, run_reconnect_storm, storm_table
from bench.stations import idle_template

IDLE_HEARTBEAT = 300


REFERENCE_HEARTBEAT = 30
# The TypeScript simulator's bench profile (issue 10): about 0.42 messages/s per station.
REFERENCE_RATE_PER_STATION = 0.42


def reference_template() -> dict[str, Any]:
    """2 AC connectors, ATG sessions of 30-60 s 5-15 s apart with Authorize, MeterValues every
    10 s (Voltage, Current.Import, Energy.Active.Import.Register), heartbeat 30 s."""
    measurands = "Voltage,Current.Import,Energy.Active.Import.Register"
    meter_values = [
        {"measurand": "Voltage", "unit": "V"},
        {"measurand": "Current.Import", "unit": "A"},
        {"measurand": "Energy.Active.Import.Register", "unit": "Wh"},
    ]
    return {
        **idle_template(),
        "baseName": "BENCH-REF",
        "Configuration": {
            "configurationKey": [
                {"key": "HeartbeatInterval", "value": str(REFERENCE_HEARTBEAT)},
                {"key": "MeterValueSampleInterval", "value": "10"},
                {"key": "MeterValuesSampledData", "value": measurands},
            ]
        },
        "AutomaticTransactionGenerator": {
            "enable": True,
            "minDuration": 30,
            "maxDuration": 60,
            "minDelayBetweenTwoTransactions": 5,
            "maxDelayBetweenTwoTransactions": 15,
            "probabilityOfStart": 1,
            "stopAfterHours": 24,
            "stopOnConnectionFailure": False,
            "requireAuthorize": True,
            "idTagDistribution": "random",
        },
        "authorizationFile": "idtags.json",
        "Connectors": {
            "0": {},
            "1": {"MeterValues": meter_values},
            "2": {"MeterValues": meter_values},
        },
    }


QUIET_HEARTBEAT = 300
QUIET_SAMPLE_INTERVAL = 60


def quiet_template() -> dict[str, Any]:
    """Issue 10's quiet profile: heartbeat 300 s, sparse sessions (5-15 min, 0-20 min apart,
    no Authorize) metered every 60 s: a large fleet mostly idle."""
    return {
        **idle_template(),
        "baseName": "BENCH-QUIET",
        "Configuration": {
            "configurationKey": [
                {"key": "HeartbeatInterval", "value": str(QUIET_HEARTBEAT)},
                {"key": "MeterValueSampleInterval", "value": str(QUIET_SAMPLE_INTERVAL)},
            ]
        },
        "AutomaticTransactionGenerator": {
            "enable": True,
            "minDuration": 300,
            "maxDuration": 900,
            "minDelayBetweenTwoTransactions": 0,
            "maxDelayBetweenTwoTransactions": 1200,
            "probabilityOfStart": 1,
            "stopAfterHours": 24,
            "stopOnConnectionFailure": False,
            "requireAuthorize": False,
        },
    }


# At steady state a connector charges half the time (sessions of 10 min on average, 10 min
# apart): 2 x 1/2 MeterValues a minute, plus a start, a stop and their statuses per 20 min.
QUIET_RATE_PER_STATION = 1 / QUIET_HEARTBEAT + 2 * (0.5 / QUIET_SAMPLE_INTERVAL + 4 / 1200)


def fleet_table(results: list[FleetResult]) -> str:
    lines = [
        "| profile | stations | workers | booted in | CPU % | msg/s (scheduled) | CPU ms/msg "
        "| PSS MB | KiB/station | CSMS CPU % | SIGTERM stop | duplicate stops | note |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        per_message = f"{r.cpu_ms_per_message:.3f}" if r.cpu_ms_per_message else "-"
        boot = f"{r.boot_seconds:.1f} s" if r.boot_seconds else "-"
        stop = f"{r.stop_seconds:.1f} s" if r.stop_seconds is not None else "-"
        lines.append(
            f"| {r.profile} | {r.stations} | {r.worker} | {boot} | {r.cpu_percent:.0f} "
            f"| {r.messages_per_second:.1f} ({r.scheduled_per_second:.1f}) | {per_message} "
            f"| {r.pss_mb:.0f} | {r.kib_per_station:.1f} | {r.csms_cpu_percent:.0f} | {stop} "
            f"| {r.duplicate_stops} | {r.error} |"
        )
    return "\n".join(lines)


def message_cost(connections: int, rounds: int) -> dict[str, float]:
    csms = CsmsProcess(heartbeat_interval=300)
    time.sleep(0.5)
    try:
        costs: dict[str, float] = {}
        for mode in ("floor", "evsim-validated", "evsim-unvalidated"):
            output = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "bench.message_cost",
                    "--url",
                    csms.url,
                    "--mode",
                    mode,
                    "--connections",
                    str(connections),
                    "--rounds",
                    str(rounds),
                ],
                capture_output=True,
                text=True,
                check=True,
                timeout=300,
            ).stdout
            costs[mode] = float(output.strip())
        return costs
    finally:
        csms.stop()


def cost_table(costs: dict[str, float]) -> str:
    floor = costs["floor"]
    lines = ["| client | CPU us per MeterValues round trip | ratio to floor |", "|---|---|---|"]
    for mode, seconds in costs.items():
        lines.append(f"| {mode} | {seconds * 1e6:.1f} | {seconds / floor:.2f} |")
    return "\n".join(lines)


def reference_run(
    stations: int, window: float, warmup: float, overrides: dict[str, Any] | None = None
) -> FleetResult:
    """The reference profile at `stations`, with config.json `overrides` named in its label."""
    label = ", ".join(f"{key} {json.dumps(value)}" for key, value in (overrides or {}).items())
    return run_fleet(
        profile=f"reference, {label}" if label else "reference",
        template=reference_template(),
        stations=stations,
        worker=fleet_worker(stations),
        scheduled_per_station=REFERENCE_RATE_PER_STATION,
        window=window,
        warmup=warmup + 30,
        heartbeat_interval=REFERENCE_HEARTBEAT,
        files={"idtags.json": [f"TAG-{i:03d}" for i in range(100)]},
        config_overrides=overrides,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--full", action="store_true", help="the long rungs (tens of minutes)")
    parser.add_argument("--output", type=Path, default=Path("bench-results.json"))
    args = parser.parse_args()
    window, warmup = (60.0, 15.0) if args.full else (10.0, 3.0)
    idle_rungs = [10_000, 25_000, 50_000] if args.full else [1_000]
    models_at = 10_000 if args.full else 1_000
    print(f"machine: {platform.machine()}, {cpu_count()} cores, Python {platform.python_version()}")

    costs = message_cost(connections=50, rounds=400 if args.full else 200)
    print("\n## Per-message cost\n")
    print(cost_table(costs))

    # Issue 16's target 1: the fleet's cost per message on per-station timers, against the floor
    # measured in the same run; the default run a smaller rung of it.
    mv_stations, mv_rounds, mv_seconds = (1_000, 5, 40.0) if args.full else (200, 2, 15.0)
    print(f"\n## mv-{mv_stations}: CPU per MeterValues round trip against the floor\n", flush=True)
    mv = run_profile(mv_stations, mv_rounds, mv_seconds)
    print()
    print(profile_table(mv))
    if ratio := ratio_to_floor(mv, EVSIM):
        print(f"\nevsim / floor: {ratio[0]:.2f}x (target: at most 1.00x)", flush=True)
    # Issue 15: the same profile on 2.0.1 stations, their meter values as TransactionEvent.
    print(f"\n## mv-{mv_stations}, OCPP 2.0.1: TransactionEvent Updated every second\n", flush=True)
    mv201 = run_profile(mv_stations, mv_rounds, mv_seconds, OCPP201)
    print()
    print(profile_table(mv201))
    if ratio := ratio_to_floor(mv201, EVSIM):
        print(f"\nevsim 2.0.1 / floor: {ratio[0]:.2f}x", flush=True)

    results: list[FleetResult] = []
    print("\n## Reference profile (the TypeScript simulator's bench profile)\n", flush=True)
    for stations in [1_000, 5_000, 10_000, 20_000] if args.full else [1_000]:
        result = reference_run(stations, window, warmup)
        results.append(result)
        print(fleet_table([result]).splitlines()[-1], flush=True)
        if result.error:
            print(f"stopped at {stations}: {result.error}")
            break
    # What the write-ahead persistence of transaction messages costs (issue 5's guarantee);
    # FULL only, to keep `make bench` under 3 minutes.
    if args.full:
        lazy = reference_run(5_000, window, warmup, {"stateWriteAhead": False})
        results.append(lazy)
        print(fleet_table([lazy]).splitlines()[-1], flush=True)
    print("\n## Quiet profile (heartbeat 300 s, sparse sessions metered every 60 s)\n", flush=True)
    print(
        "(scheduled: the steady-state rate; in the first minutes fewer sessions have begun)\n",
        flush=True,
    )
    for stations in idle_rungs:
        result = run_fleet(
            profile="quiet",
            template=quiet_template(),
            stations=stations,
            worker=fleet_worker(stations),
            scheduled_per_station=QUIET_RATE_PER_STATION,
            window=window,
            warmup=warmup,
            heartbeat_interval=QUIET_HEARTBEAT,
        )
        results.append(result)
        print(fleet_table([result]).splitlines()[-1], flush=True)
        if result.error:
            print(f"stopped at {stations}: {result.error}")
            break
    print("\n## Worker models\n", flush=True)
    models: list[dict[str, Any]] = [
        {"processType": "workerSet", "elementsPerWorker": "auto"},
        {"processType": "staticPool", "poolMaxSize": cpu_count()},
        {"processType": "dynamicPool", "poolMinSize": 1, "poolMaxSize": cpu_count()},
    ]
    model_results = [
        run_fleet(
            profile="idle",
            template=idle_template(),
            stations=models_at,
            worker=worker,
            scheduled_per_station=1 / IDLE_HEARTBEAT,
            window=window,
            warmup=warmup,
            heartbeat_interval=IDLE_HEARTBEAT,
        )
        for worker in models
    ]
    print(fleet_table(model_results))
    results.extend(model_results)
    print("\n## All fleet runs\n")
    print(fleet_table(results))
    # Without the bucket, with the default connectionRatePerWorker, and with a low one whose
    # bound in the first second (workers x (burst + rate)) is below the fleet, so that it shows.
    print("\n## Reconnect storm (CSMS killed, down 2 s, restarted)\n", flush=True)
    storm_at = 10_000 if args.full else 1_000
    storms: list[StormResult] = []
    print(storm_table(storms))
    for rate in (0.0, DEFAULT_RATE, 100.0):
        storms.append(run_reconnect_storm(stations=storm_at, rate_per_worker=rate))
        print(storm_table(storms[-1:]).splitlines()[-1], flush=True)
    args.output.write_text(
        json.dumps(
            {
                "full": args.full,
                "messageCost": costs,
                "mvProfile": asdict(mv),
                "mvProfile201": asdict(mv201),
                "fleet": [asdict(r) for r in results],
                "reconnectStorm": [asdict(s) for s in storms],
            },
            indent=2,
        )
    )
    print(f"\nwritten: {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
