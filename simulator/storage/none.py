"""performanceStorage type `none`: records are computed for the logs and dropped."""

from __future__ import annotations

from simulator.storage.sink import PerformanceRecord, PerformanceStorage


class NoStorage(PerformanceStorage):
    kind = "none"

    def _open(self) -> None:
        pass

    def _write(self, records: list[PerformanceRecord]) -> None:
        pass

    def _read(self) -> list[PerformanceRecord]:
        return []

    def _close(self) -> None:
        pass
