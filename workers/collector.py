"""The cyclic garbage collector of a worker process, tuned for a loop hosting many elements.

A worker allocates in bursts (a state document built, a message's sample dicts, a task per
send) and frees nearly all of it within the loop turn. CPython's default first threshold, 700
containers alive since the last collection, is reached at the top of such bursts many times a
second, and each of those collections walks every young object alive then; a tenth of them go
on to the second generation. Measured on mv-1000 (issue 16; 1,000 stations on 2 workers, 20 s
windows): 14-19 % of a worker's time in the collector at the default, none at 10,000 (no
collection in the window), the worker's CPU 15-18 % lower. Garbage in reference cycles is still
collected, once 10,000 containers more are alive than at the last collection: a bound of a few
MB, not a leak.

The stations themselves live as long as the worker, millions of containers at 10,000 stations,
which every collection of the older generations walks again: measured while 10,000 stations
of the reference profile booted (issue 16), the second generation's collections took 4.3 s of
the two workers' time and the third's paused a worker for up to 0.76 s at a time, while
connections and boots waited. `settle` moves what is alive out of the collector's sight as
stations are added (gc.freeze: O(1)); `resettle`, once stations are removed, gives it back for
one full collection, which frees the cycles they leave, and moves what survives out again.
"""

from __future__ import annotations

import gc

FIRST_GENERATION_THRESHOLD = 10_000


def tune_collector() -> None:
    """Raise the first generation's threshold; the older generations' stay as they are."""
    _, second, third = gc.get_threshold()
    gc.set_threshold(FIRST_GENERATION_THRESHOLD, second, third)


def settle() -> None:
    """What is alive now is kept (the stations just added): no collection walks it again.
    The young generations are collected first, so that their garbage in cycles (a failed
    connection's traceback) is not kept with it."""
    gc.collect(1)
    gc.freeze()


def resettle() -> None:
    """Stations were removed: what they leave in reference cycles is collected (one pause,
    about half a second at 10,000 stations), the rest kept out of sight again."""
    gc.unfreeze()
    gc.collect()
    gc.freeze()


__all__ = ["FIRST_GENERATION_THRESHOLD", "resettle", "settle", "tune_collector"]
