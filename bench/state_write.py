"""What writing a station's state file costs: README "Persistence" (in place against a rename).

`python -m bench.state_write` builds stations of the idle profile (bench/stations.py), takes
each one's persisted state as the store does (snapshot + orjson), then writes every document
`--rounds` times two ways, into files that already exist:

The snapshot is timed twice: the first (every section encoded) and, per message, again after a
connector changed (station_state.StateDocument re-encodes only what changed, issue 16).

1. in place, as simulator/station/persistence.py does once the file holds the document's fixed
   part (the configuration keys and the other sections a transaction message leaves alone):
   one pwrite of the padded rest after it, through a descriptor kept open (OpenFiles);
2. in place, the whole document (a station's first write, a reopened file, or its fixed part
   changed): the fixed part's pieces joined with the padded rest, one pwrite (a pwritev of the
   pieces measured slower);
3. the fallback they replaced: a temporary file renamed over the old one (atomic_file).

Wall-clock microseconds per write (the writes run on the worker's loop, so their time, not
only their CPU, is what the loop waits); the best of `--repeats` runs is kept. The rename's
figure is the floor the in-place write is measured against, taken in the same run.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench.stations import bench_specs
from simulator.atomic_file import write_atomic
from simulator.station.clock import SystemClock
from simulator.station.persistence import Fixed, OpenFiles, state_path
from simulator.station.station import ChargingStation

Document = tuple[Path, Fixed, bytes]  # the file, the document's fixed part and the rest


def documents(directory: Path, stations: int) -> tuple[list[Document], float, float]:
    """Each station's state file and document, and the snapshot's microseconds per station:
    the first, then one after a connector changed (the document before a transaction message)."""
    specs = bench_specs(directory, "ws://127.0.0.1:9", stations)
    built = [ChargingStation(s, clock=SystemClock(), on_change=lambda s, d: None) for s in specs]
    started = time.perf_counter()
    data = [station.persisted_parts() for station in built]
    snapshot_us = (time.perf_counter() - started) / stations * 1e6
    started = time.perf_counter()
    for station in built:
        station.connectors[1].locked = True
        station.persisted_parts()
    again_us = (time.perf_counter() - started) / stations * 1e6
    state_dir = directory / "state"
    (state_dir / "configurations").mkdir(parents=True, exist_ok=True)
    paths = [state_path(state_dir, spec.hash_id) for spec in specs]
    batch = [(path, fixed, rest) for path, (fixed, rest) in zip(paths, data, strict=True)]
    return batch, snapshot_us, again_us


def per_write_us(batch: list[Document], rounds: int, write: Callable[..., None]) -> float:
    for path, fixed, rest in batch:  # the files exist, as after a station's first write
        write(path, fixed, rest)
    started = time.perf_counter()
    for _ in range(rounds):
        for path, fixed, rest in batch:
            write(path, fixed, rest)
    return (time.perf_counter() - started) / (rounds * len(batch)) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--stations", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=20, help="writes of each document per run")
    parser.add_argument("--repeats", type=int, default=5, help="runs per way (best kept)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="evsim-bench-state-") as name:
        batch, snapshot_us, again_us = documents(Path(name), args.stations)
        files = OpenFiles(max_open=args.stations)

        def rest_only(path: Path, fixed: Fixed, rest: bytes) -> None:
            files.write(path, rest, fixed)

        def whole(path: Path, fixed: Fixed, rest: bytes) -> None:
            files.write(path, rest, (*fixed,))  # another tuple: written whole

        wholes = {path: b"".join((*fixed, rest)) for path, fixed, rest in batch}

        def renamed_over(path: Path, fixed: Fixed, rest: bytes) -> None:
            write_atomic(path, wholes[path])

        runs = range(args.repeats)
        in_place = min(per_write_us(batch, args.rounds, rest_only) for _ in runs)
        in_place_whole = min(per_write_us(batch, args.rounds, whole) for _ in runs)
        files.close_all()
        renamed = min(per_write_us(batch, args.rounds, renamed_over) for _ in runs)
    size = sum(len(whole) for whole in wholes.values()) / len(batch)
    rest_size = sum(len(rest) for _, _, rest in batch) / len(batch)
    print(f"{args.stations} station documents of {size:,.0f} bytes, {rest_size:,.0f} moving")
    print(f"snapshot + orjson per station:       {snapshot_us:.1f} us")
    print(f"again, after a connector changed:    {again_us:.1f} us")
    print(f"in place, the moving part:           {in_place:.1f} us a write")
    print(f"in place, the whole document:        {in_place_whole:.1f} us a write")
    print(f"temporary file renamed over the old: {renamed:.1f} us a write")
    print(f"rename / in place:                   {renamed / in_place:.0f}x")


if __name__ == "__main__":
    main()
