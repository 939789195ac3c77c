"""What the transactions of the core say and read, in core terms: the events of a transaction,
the port they go out through (`Outbox`) and the settings they read (`Settings`). Each OCPP
version's adapter implements both: 1.6 as StartTransaction / MeterValues / StopTransaction and
its configuration keys, 2.0.1 as TransactionEvent and its device-model variables."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum, StrEnum
from typing import Any, Protocol

from simulator.station.core.tokens import IdToken, Verdict


class TxKind(Enum):
    STARTED = "started"
    UPDATED = "updated"
    ENDED = "ended"


class TxCause(Enum):
    """What made the event (2.0.1's triggerReason; 1.6 sends no such field). The causes
    after STOPPED come only from a core given `TxRules` (2.0.1's transaction points)."""

    AUTHORIZED = "authorized"
    METER_BEGIN = "meter_begin"  # the Transaction.Begin values, a boundary of the transaction
    METER_PERIODIC = "meter_periodic"
    METER_CLOCK = "meter_clock"
    STOPPED = "stopped"  # ENDED: why is the event's `reason`
    REMOTE_START = "remote_start"  # the authorization a CSMS's remote start gave
    EV_PLUGGED = "ev_plugged"  # the cable was plugged in (at the station or the EV)
    EV_UNPLUGGED = "ev_unplugged"  # the EV is no longer connected
    CHARGING_STATE = "charging_state"  # only the charging state changed
    # The authorization ended (why: the event's `reason`), the transaction goes on: its stop
    # points do not end it there.
    AUTHORIZATION_ENDED = "authorization_ended"
    # Asked for: a CSMS's TriggerMessage (2.0.1 F06.FR.07), the UI's transactionEvent.
    TRIGGERED = "triggered"


class ChargeState(Enum):
    """Where the EV's charging stands after the event (2.0.1 ChargingStateEnumType)."""

    CHARGING = "charging"
    EV_CONNECTED = "ev_connected"  # connected, no energy offered (not authorized)
    SUSPENDED_EV = "suspended_ev"
    SUSPENDED_EVSE = "suspended_evse"
    IDLE = "idle"  # no EV connected


class TxPoint(StrEnum):
    """A moment that starts or ends a transaction (2.0.1 TxStartPoint / TxStopPoint values,
    their spelling). 1.6's transactions are PowerPathClosed ones ending at EVConnected or
    Authorized (Part 2 section E 1.1.2)."""

    PARKING_BAY_OCCUPANCY = "ParkingBayOccupancy"
    EV_CONNECTED = "EVConnected"
    AUTHORIZED = "Authorized"
    DATA_SIGNED = "DataSigned"
    POWER_PATH_CLOSED = "PowerPathClosed"
    ENERGY_TRANSFER = "EnergyTransfer"


class StopReason(StrEnum):
    """Why a transaction ended. The values are OCPP's spelling where the versions share it (1.6
    section 7.42 Reason, 2.0.1 ReasonEnumType), so a caller may pass the string; an adapter
    spells each member itself (1.6 HardReset is 2.0.1 ImmediateReset, ...)."""

    DE_AUTHORIZED = "DeAuthorized"
    EMERGENCY_STOP = "EmergencyStop"
    EV_DISCONNECTED = "EVDisconnected"
    HARD_RESET = "HardReset"
    LOCAL = "Local"
    OTHER = "Other"
    POWER_LOSS = "PowerLoss"
    REBOOT = "Reboot"
    REMOTE = "Remote"
    SOFT_RESET = "SoftReset"
    UNLOCK_COMMAND = "UnlockCommand"
    # 2.0.1 only (ReasonEnumType); 1.6 never gives them.
    ENERGY_LIMIT_REACHED = "EnergyLimitReached"
    GROUND_FAULT = "GroundFault"
    IMMEDIATE_RESET = "ImmediateReset"
    LOCAL_OUT_OF_CREDIT = "LocalOutOfCredit"
    MASTER_PASS = "MasterPass"
    OVERCURRENT_FAULT = "OvercurrentFault"
    POWER_QUALITY = "PowerQuality"
    SOC_LIMIT_REACHED = "SOCLimitReached"
    STOPPED_BY_EV = "StoppedByEV"
    TIME_LIMIT_REACHED = "TimeLimitReached"
    TIMEOUT = "Timeout"


Samples = Sequence[dict[str, Any]]  # meter values as the adapter's SampleFormat made them


@dataclass(slots=True)
class TxEvent:
    """What happened to a transaction. Not frozen: one is made per meter value sent, and a
    frozen dataclass's __init__ costs several times a plain one's."""

    kind: TxKind
    ref: int  # the station's own reference of the transaction
    connector: int
    at: str  # ISO 8601 UTC, as clock.iso_timestamp makes it (both versions' dateTime)
    cause: TxCause
    offline: bool = False  # made while the link was down
    token: IdToken | None = None
    meter_wh: int | None = None  # the register at the start / the end
    # UPDATED: the meter values to send; ENDED: the transaction's kept samples, its end value
    # last (None: the template keeps none, transactionDataMeterValues false).
    samples: Samples | None = None
    # ENDED: the Transaction.End values to send beside the end (beginEndMeterValues).
    end_samples: Samples = ()
    reason: StopReason | None = None
    reservation_id: int | None = None
    # Given by a core with TxRules (2.0.1): the charging state after the event, and the
    # remote start (its id) whose authorization this event carries.
    state: ChargeState | None = None
    remote_start_id: int | None = None
    # UPDATED, TRIGGERED by the UI: the fields it asked for, as the version spells them
    # (2.0.1's transactionEvent procedure: triggerReason, chargingState, meterValue, idToken).
    overrides: dict[str, Any] | None = None


class Outbox(Protocol):
    """Where the transactions' messages go. Those of a transaction pass the station's queue
    (in order, never lost); the rest are sent now or not at all."""

    def online(self) -> bool: ...

    def can_start(self) -> bool:
        """The station may send a start at all (the template's commandsSupport)."""
        ...

    async def transaction(self, event: TxEvent) -> Verdict:
        """Queue the event's message(s) and deliver what waits. STARTED awaits the answer
        (Verdict.status None: none now, the transaction runs offline) and raises what the
        session raises when the CSMS kept refusing the start; ENDED awaits its answer too and
        raises nothing; UPDATED returns at once with no answer, but for one carrying a token
        (an authorization during the transaction), which is answered like a start."""
        ...

    def start_answered(self, token: IdToken | None, verdict: Verdict) -> int | str | None:
        """A start's answer arrived: what the adapter keeps of it (the token's status in the
        authorization cache) and the id the CSMS knows the transaction by (None: the one the
        queue gave at the start stays, `TransactionQueue.transaction_id`)."""
        ...

    async def meter_report(self, connector: int, samples: Samples) -> None:
        """Meter values of no transaction: sent now, or (offline, refused) not at all."""
        ...

    async def connector_changed(self, connector: int) -> None:
        """The connector's status changed: reported as the version does (never raises)."""
        ...


class Settings(Protocol):
    """What the transactions read of the station's settings, at each use: a change by the
    CSMS applies from the next reading."""

    def sample_interval(self) -> int:
        """Seconds between two periodic meter values of a transaction; 0: none."""
        ...

    def sampled_measurands(self) -> str:
        """Comma-separated measurands of the periodic meter values."""
        ...

    def ended_measurands(self) -> str:
        """Of the periodic samples kept for the transaction's end ("": none kept)."""
        ...

    def aligned_interval(self) -> int:
        """Seconds between clock-aligned meter values, counted from midnight; 0: none."""
        ...

    def aligned_measurands(self) -> str: ...

    def ended_aligned_measurands(self) -> str: ...

    def stop_on_invalid_id(self) -> bool:
        """A transaction whose token the CSMS refuses stops (True) or stays suspended."""
        ...

    def max_energy_on_invalid_id(self) -> int:
        """Wh a suspended transaction of a refused token may still draw."""
        ...

    def amperage_limit(self) -> str | None:
        """The raw value of the template's amperage limitation setting, if it names one."""
        ...


class TxRules(Protocol):
    """What a version whose transactions start and end at configured points reads (2.0.1
    TxCtrlr and the Started / Ended meter data), at each use. A core given none runs 1.6's
    transactions: one per authorization, no event for a change of charging state."""

    def start_points(self) -> frozenset[TxPoint]: ...

    def stop_points(self) -> frozenset[TxPoint]: ...

    def started_measurands(self) -> str:
        """Of the Started event's meter values ("": none)."""
        ...

    def ended_interval(self) -> int:
        """Seconds between two samples kept for the end (0: its begin and end only)."""
        ...

    def ended_aligned_interval(self) -> int:
        """Seconds between two clock-aligned samples kept for the end (0: none)."""
        ...

    def aligned_only_when_idle(self) -> bool:
        """Clock-aligned meter values are sent only while no transaction runs."""
        ...


__all__ = [
    "ChargeState",
    "Outbox",
    "Samples",
    "Settings",
    "StopReason",
    "TxCause",
    "TxEvent",
    "TxKind",
    "TxPoint",
    "TxRules",
]
