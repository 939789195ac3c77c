"""A small seeded random generator for stations: SplitMix64 in 8 bytes of state.

`random.Random` carries the Mersenne Twister's 2.5 KiB of state; a station holds one, plus one
per connector for its meter and one for its ATG loop: up to 12 KiB a station, a fifth of its
memory, for a few draws a minute. SplitMix64 (Steele, Lea, Flood 2014) passes BigCrush and
needs one 64-bit integer; each stream is seeded from a hash of its name, so streams stay
independent and a seed replays the same draws on every machine.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any, Protocol, TypeVar

_MASK = (1 << 64) - 1
_GOLDEN = 0x9E3779B97F4A7C15
_T = TypeVar("_T")


class Rng(Protocol):
    """What stations draw from: `random.Random` and LightRandom both fit."""

    def random(self) -> float: ...

    def uniform(self, a: float, b: float) -> float: ...

    def randint(self, a: int, b: int) -> int: ...

    def randrange(self, start: int, stop: int | None = ...) -> int: ...

    def choice(self, seq: Sequence[_T]) -> _T: ...

    def getstate(self) -> Any: ...

    def setstate(self, state: Any) -> None: ...


class LightRandom:
    __slots__ = ("_state",)

    def __init__(self, seed: object) -> None:
        digest = hashlib.blake2b(str(seed).encode(), digest_size=8).digest()
        self._state = int.from_bytes(digest, "big")

    def _next(self) -> int:
        self._state = state = (self._state + _GOLDEN) & _MASK
        z = ((state ^ (state >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
        return z ^ (z >> 31)

    def random(self) -> float:
        """A float in [0, 1) with 53 random bits."""
        return (self._next() >> 11) * (1.0 / (1 << 53))

    def uniform(self, a: float, b: float) -> float:
        return a + (b - a) * self.random()

    def randrange(self, start: int, stop: int | None = None) -> int:
        low, high = (0, start) if stop is None else (start, stop)
        if high <= low:
            raise ValueError(f"empty range [{low}, {high})")
        # The modulo bias of a 64-bit draw over ranges this small is below 1e-15.
        return low + self._next() % (high - low)

    def randint(self, a: int, b: int) -> int:
        return self.randrange(a, b + 1)

    def choice(self, seq: Sequence[_T]) -> _T:
        if not seq:
            raise IndexError("cannot choose from an empty sequence")
        return seq[self.randrange(len(seq))]

    def getstate(self) -> int:
        return self._state

    def setstate(self, state: int) -> None:
        self._state = state


__all__ = ["LightRandom", "Rng"]
