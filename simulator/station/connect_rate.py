"""A token bucket on new connections: one per worker process, shared by its stations.

DESIGN.md: a fleet ramp-up or a CSMS restart must not become a connection storm. Back-off
jitter spreads the stations of a worker over time; the bucket caps what they can still open
in the same instant, whatever their back-off says.
"""

from __future__ import annotations

from simulator.station.clock import Clock


class ConnectRate:
    """At most `burst + rate * t` connections in any window of t seconds, granted in the
    order they were asked for (FIFO).

    Tokens accrue at `rate` per second up to `burst`. A caller takes its token at once, even
    one not yet earned: the bucket goes into debt, and the caller waits until that token would
    have accrued. So a later caller always waits at least as long as an earlier one, and no
    queue of waiters is needed. A caller cancelled while waiting (its station stopped) does
    not give its token back: the bucket errs towards fewer connections, never more.
    """

    def __init__(self, rate: float, burst: float | None = None, *, clock: Clock) -> None:
        """`rate` tokens per second, 0 for no limit; `burst` defaults to one second's worth
        (at least one token, so a rate below 1/s can still open anything)."""
        if rate < 0:
            raise ValueError(f"connection rate {rate} is negative")
        self.rate = rate
        self.burst = max(burst if burst is not None else rate, 1.0)
        self._clock = clock
        self._tokens = self.burst
        self._updated = clock.monotonic()

    @property
    def limited(self) -> bool:
        return self.rate > 0

    def reserve(self) -> float:
        """Take a token; the seconds to wait before using it."""
        if not self.limited:
            return 0.0
        now = self._clock.monotonic()
        self._tokens = min(self.burst, self._tokens + (now - self._updated) * self.rate)
        self._updated = now
        self._tokens -= 1.0
        return 0.0 if self._tokens >= 0 else -self._tokens / self.rate

    async def acquire(self) -> None:
        """Wait for this caller's turn to open a connection."""
        wait = self.reserve()
        if wait > 0:
            await self._clock.sleep(wait)
