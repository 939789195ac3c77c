"""The settings the core's transactions read, as OCPP 2.0.1 device-model variables (Part 2
appendix 3: SampledDataCtrlr, AlignedDataCtrlr, TxCtrlr, OCPPCommCtrlr), read at each use so a
SetVariables applies from the next reading.

`Settings201` is both the core's `Settings` and its `TxRules` (the transaction points and the
Started / Ended meter data); `retry_policy` is the queue host's (E13); `ends_on_ev_unplug` is
what the EV plugs' StopTxOnEVSideDisconnect setting means once the stop points are counted.
"""

from __future__ import annotations

from simulator.station.core.metering import ENERGY
from simulator.station.core.queue import DEFAULT_ATTEMPTS, DEFAULT_RETRY_INTERVAL
from simulator.station.core.tx_points import SUPPORTED_POINTS, ends_on_unplug
from simulator.station.core.tx_ports import TxPoint
from simulator.station.parts import Variables

DEFAULT_SAMPLE_INTERVAL = 60
# Part 2 E 1.1.2, table 95: the defaults, transactions as 1.6 made them.
DEFAULT_START_POINTS = frozenset({TxPoint.POWER_PATH_CLOSED})
DEFAULT_STOP_POINTS = frozenset({TxPoint.EV_CONNECTED, TxPoint.AUTHORIZED})
# The valuesList TxStartPoint / TxStopPoint may take here: the points the core's events reach
# (core/tx_points.py); ParkingBayOccupancy and DataSigned need hardware evsim does not model.
SUPPORTED_POINT_VALUES = ",".join(p.value for p in TxPoint if p in SUPPORTED_POINTS)


def parse_points(raw: str | None, default: frozenset[TxPoint]) -> frozenset[TxPoint]:
    """A TxStartPoint / TxStopPoint MemberList; values evsim does not reach are left out (a
    SetVariables offers only the supported ones), none left: the default."""
    if raw is None:
        return default
    names = {name.strip() for name in raw.split(",")}
    points = frozenset(p for p in SUPPORTED_POINTS if p.value in names)
    return points or default


def retry_policy(variables: Variables) -> tuple[int, int]:
    """(MessageAttemptsTransactionEvent, MessageAttemptIntervalTransactionEvent), E13.FR.01:
    the queue gives an event up after that many failures, waiting the interval times the
    transmissions so far between two (E13.FR.03: 60 s, then 120 s, ...)."""
    return (
        variables.integer("OCPPCommCtrlr", "MessageAttempts", DEFAULT_ATTEMPTS, "TransactionEvent"),
        variables.integer(
            "OCPPCommCtrlr", "MessageAttemptInterval", DEFAULT_RETRY_INTERVAL, "TransactionEvent"
        ),
    )


def ends_on_ev_unplug(variables: Variables) -> bool:
    """The EV cable's leaving ends the transaction (E06.FR.02, E09) rather than suspending it
    (E10): the EV plugs' `stop_on_ev_side_disconnect` for a 2.0.1 station."""
    return ends_on_unplug(
        parse_points(variables.value("TxCtrlr", "TxStopPoint"), DEFAULT_STOP_POINTS),
        stop_on_ev_side=variables.boolean("TxCtrlr", "StopTxOnEVSideDisconnect", True),
    )


class Settings201:
    __slots__ = ("_variables",)

    def __init__(self, variables: Variables) -> None:
        self._variables = variables

    def _sampled(self) -> bool:
        return self._variables.boolean("SampledDataCtrlr", "Enabled", True)

    def _aligned(self) -> bool:
        return self._variables.boolean("AlignedDataCtrlr", "Enabled", True)

    def _measurands(self, component: str, variable: str, fallback: str) -> str:
        # An empty list means none (E02.FR.10: "no meter values are sent"), not the default.
        value = self._variables.value(component, variable)
        return fallback if value is None else value

    # -- the core's Settings ----------------------------------------------------------------

    def sample_interval(self) -> int:
        if not self._sampled():
            return 0
        return self._variables.integer(
            "SampledDataCtrlr", "TxUpdatedInterval", DEFAULT_SAMPLE_INTERVAL
        )

    def sampled_measurands(self) -> str:
        return self._measurands("SampledDataCtrlr", "TxUpdatedMeasurands", ENERGY)

    def ended_measurands(self) -> str:
        if not self._sampled():
            return ""
        return self._measurands("SampledDataCtrlr", "TxEndedMeasurands", "")

    def aligned_interval(self) -> int:
        if not self._aligned():
            return 0
        return self._variables.integer("AlignedDataCtrlr", "Interval", 0)

    def aligned_only_when_idle(self) -> bool:
        """AlignedDataCtrlr.SendDuringIdle: clock-aligned values only while no transaction
        runs (J01.FR.19/20; the variable is the station's, so J01.FR.20 applies)."""
        return self._variables.boolean("AlignedDataCtrlr", "SendDuringIdle", False)

    def aligned_measurands(self) -> str:
        return self._measurands("AlignedDataCtrlr", "Measurands", "")

    def ended_aligned_measurands(self) -> str:
        if not self._aligned():
            return ""
        return self._measurands("AlignedDataCtrlr", "TxEndedMeasurands", "")

    def stop_on_invalid_id(self) -> bool:
        return self._variables.boolean("TxCtrlr", "StopTxOnInvalidId", True)

    def max_energy_on_invalid_id(self) -> int:
        return self._variables.integer("TxCtrlr", "MaxEnergyOnInvalidId", 0)

    def amperage_limit(self) -> str | None:
        return None  # 2.0.1 limits the current by charging profiles only

    # -- the core's TxRules -----------------------------------------------------------------

    def start_points(self) -> frozenset[TxPoint]:
        return parse_points(self._variables.value("TxCtrlr", "TxStartPoint"), DEFAULT_START_POINTS)

    def stop_points(self) -> frozenset[TxPoint]:
        return parse_points(self._variables.value("TxCtrlr", "TxStopPoint"), DEFAULT_STOP_POINTS)

    def started_measurands(self) -> str:
        if not self._sampled():
            return ""
        return self._measurands("SampledDataCtrlr", "TxStartedMeasurands", "")

    def ended_interval(self) -> int:
        if not self._sampled():
            return 0
        return self._variables.integer("SampledDataCtrlr", "TxEndedInterval", 0)

    def ended_aligned_interval(self) -> int:
        if not self._aligned():
            return 0
        return self._variables.integer("AlignedDataCtrlr", "TxEndedInterval", 0)


__all__ = [
    "DEFAULT_START_POINTS",
    "DEFAULT_STOP_POINTS",
    "SUPPORTED_POINT_VALUES",
    "Settings201",
    "Variables",
    "ends_on_ev_unplug",
    "parse_points",
    "retry_policy",
]
