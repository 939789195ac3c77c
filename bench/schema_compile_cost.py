"""What compiling a version's payload validators costs a process: the figures behind which
schemas the forkserver preload compiles (simulator/station/host.py: 1.6's, all of them) and
which it leaves to the worker that needs them (2.0.1's, ocpp201/schemas.py).

`python -m bench.schema_compile_cost` imports the preload as a worker does, then compiles the
dozen 2.0.1 validators of a station's day and then the rest, printing seconds and the growth
of the resident set.
"""

from __future__ import annotations

import time

import simulator.station.host  # noqa: F401  (the forkserver preload: 1.6 compiled there)
from simulator.station.ocpp201.schemas import SCHEMAS201

DAILY_ACTIONS = (
    "BootNotification",
    "Heartbeat",
    "StatusNotification",
    "Authorize",
    "TransactionEvent",
    "MeterValues",
)


def resident_mib() -> float:
    with open("/proc/self/statm", encoding="ascii") as statm:
        return int(statm.read().split()[1]) * 4096 / 2**20


def main() -> None:
    daily = [name for action in DAILY_ACTIONS for name in (action, f"{action}Response")]
    before, started = resident_mib(), time.perf_counter()
    SCHEMAS201.precompile(daily)
    print(
        f"2.0.1, {len(daily)} daily validators: {time.perf_counter() - started:.2f} s, "
        f"{resident_mib() - before:.1f} MiB"
    )
    started = time.perf_counter()
    SCHEMAS201.precompile()
    print(
        f"2.0.1, all {len(SCHEMAS201.schema_names())}: {time.perf_counter() - started:.2f} s "
        f"more, {resident_mib() - before:.1f} MiB in all"
    )


if __name__ == "__main__":
    main()
