"""The settings the core's transactions read, as OCPP 1.6 configuration keys (section 9.1),
read at each use so a ChangeConfiguration applies from the next reading."""

from __future__ import annotations

from typing import Protocol

from simulator.station.core.metering import ENERGY
from simulator.station.ports import Configured, WithTemplate

DEFAULT_SAMPLE_INTERVAL = 60


class SettingsHost(Configured, WithTemplate, Protocol):
    """The station: its keys, and its template (which a reload replaces)."""


class Settings16:
    __slots__ = ("_station",)

    def __init__(self, station: SettingsHost) -> None:
        self._station = station

    def sample_interval(self) -> int:
        return self._station.configuration.get_int(
            "MeterValueSampleInterval", DEFAULT_SAMPLE_INTERVAL
        )

    def sampled_measurands(self) -> str:
        return self._station.configuration.get("MeterValuesSampledData") or ENERGY

    def ended_measurands(self) -> str:
        return self._station.configuration.get("StopTxnSampledData") or ""

    def aligned_interval(self) -> int:
        return self._station.configuration.get_int("ClockAlignedDataInterval", 0)

    def aligned_measurands(self) -> str:
        return self._station.configuration.get("MeterValuesAlignedData") or ""

    def ended_aligned_measurands(self) -> str:
        return self._station.configuration.get("StopTxnAlignedData") or ""

    def stop_on_invalid_id(self) -> bool:
        # Section 9.1.29: true by default; only an explicit false keeps the transaction.
        value = self._station.configuration.get("StopTransactionOnInvalidId") or ""
        return value.lower() != "false"

    def max_energy_on_invalid_id(self) -> int:
        return self._station.configuration.get_int("MaxEnergyOnInvalidId", 0)

    def amperage_limit(self) -> str | None:
        key = self._station.template.amperage_limitation_ocpp_key
        return self._station.configuration.get(key) if key else None


__all__ = ["Settings16"]
