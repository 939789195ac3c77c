"""Reset, OCPP 2.0.1 B11 (no transaction runs) and B12 (one does), of the station or of one EVSE.

Immediate: the transactions in scope end with reason ImmediateReset (B12.FR.04/08), then the
station reboots (B11.FR.03/04: it boots again with reason RemoteReset) or the EVSE resets (it is
Unavailable for the template's resetTime, then as it was: B11.FR.08, B12.FR.06). OnIdle with a
transaction running: answered Scheduled (B12.FR.01); the EVSEs in scope go Unavailable (the busy
ones when their transaction ends) so that no new one starts, and the reset follows once the last
transaction in scope has ended by itself (B12.FR.03/07). What ChangeAvailability set survives
either (B11.FR.02, B12.FR.06): a reset's hold on the EVSEs is released before the reboot."""

from __future__ import annotations

from typing import Any, Final, Protocol

from simulator.station.core.errors import TransactionError
from simulator.station.core.tx_ports import StopReason
from simulator.station.ocpp201.availability import AvailabilityStation, apply_levels
from simulator.station.ocpp201.evses import EvseMap
from simulator.station.ocpp201.ports import WithVariables
from simulator.station.ports import GeneratorView, WithTemplate
from simulator.station.rpc import CallFailed, ConnectionLost

IMMEDIATE: Final = "Immediate"
ON_IDLE: Final = "OnIdle"
REMOTE_RESET: Final = "RemoteReset"  # BootReasonEnumType of the boot after the reboot
# How often an OnIdle reset looks whether the transactions in scope have ended.
IDLE_POLL_SECONDS: Final = 1.0
# The core's kind of reboot (lifecycle.reboot): its stop reason for what still runs.
_REBOOT_KIND: Final = {IMMEDIATE: "Hard", ON_IDLE: "Soft"}
_STOP_FAILURES: Final = (TransactionError, TimeoutError, CallFailed, ConnectionLost)


class ResetTransactions(Protocol):
    async def stop(self, connector_id: int, reason: str = "Local") -> dict[str, Any] | None: ...

    async def stop_all(self, reason: str = "Local") -> None: ...


class ResetStation(AvailabilityStation, WithVariables, WithTemplate, Protocol):
    """What Reset uses of the station."""

    @property
    def atg(self) -> GeneratorView: ...

    @property
    def transactions(self) -> ResetTransactions: ...

    def rebooting(self, reason: str) -> None:
        """The next boot's reason (B01.FR.09)."""

    async def reset(self, kind: str) -> None:
        """Reboot the station: what runs ends, the connection closes, it boots again."""


def reset_answer(kind: str, *, busy: bool) -> str:
    """ResetResponse's status for a station or an EVSE that may be reset: Scheduled for an
    OnIdle reset while a transaction runs in scope (B12.FR.01), else Accepted (B11.FR.01,
    B12.FR.02)."""
    return "Scheduled" if kind == ON_IDLE and busy else "Accepted"


async def reset(station: ResetStation, payload: dict[str, Any]) -> dict[str, Any]:
    """B11/B12: Rejected for an EVSE the station does not have, or one whose EVSE.AllowReset
    is false (B11.FR.09/10, B12.FR.09); else `reset_answer`, the reset following it."""
    kind = payload["type"]
    evse_id = payload.get("evseId")
    evses = EvseMap(station.spec.evses)
    if evse_id is None:
        scope = [cid for cid in sorted(station.connectors) if cid > 0]
    else:
        scope = list(evses.connectors_of(evse_id))
        if not scope:
            return {"status": "Rejected", "statusInfo": {"reasonCode": "UnknownEvse"}}
        if not station.variables.boolean("EVSE", "AllowReset", True, evse=evse_id):
            return {"status": "Rejected"}
    busy = any(station.connectors[cid].transaction_started for cid in scope)
    answer = reset_answer(kind, busy=busy)
    owner = object()  # this reset, as the holder of the EVSEs it waits on
    hold_id = 0 if evse_id is None else evse_id
    if answer == "Scheduled":
        # B12 3a: no new transaction in scope while the running ones finish.
        station.availability_levels.hold(hold_id, owner)
        apply_levels(station, evses, scope)
        station.spawn(_reset_when_idle(station, evse_id, scope, owner))
    elif evse_id is None:
        station.spawn(reset_station(station, kind))
    else:
        station.spawn(reset_evse(station, evse_id, scope, owner))
    return {"status": answer}


async def _reset_when_idle(
    station: ResetStation, evse_id: int | None, scope: list[int], owner: object
) -> None:
    """B12.FR.03/07: the reset once every transaction in scope has ended, unless another
    reset took the EVSEs over meanwhile (an Immediate one, or the reboot of the station)."""
    hold_id = 0 if evse_id is None else evse_id
    while any(station.connectors[cid].transaction_started for cid in scope):
        await station.clock.sleep(IDLE_POLL_SECONDS)
        if not station.availability_levels.holds(hold_id, owner):
            return
    if not station.availability_levels.holds(hold_id, owner):
        return
    if evse_id is None:
        await reset_station(station, ON_IDLE)
    else:
        await reset_evse(station, evse_id, scope, owner)


async def reset_station(station: ResetStation, kind: str) -> None:
    """The reboot (B11.FR.03/04, B12.FR.04/05): the holds released, the transactions ended
    (ImmediateReset), then the reset, retried up to OCPPCommCtrlr.ResetRetries times when it
    fails. The template's resetFailedAttempts makes its first attempts fail (failure injection:
    a simulated reset cannot fail otherwise); one that never succeeds leaves the station as it
    is, online. The boot after it says RemoteReset (B01.FR.09)."""
    attempts = 1 + max(station.variables.integer("OCPPCommCtrlr", "ResetRetries", 0), 0)
    failing = station.template.reset_failed_attempts
    station.availability_levels.release_all()
    connectors = [cid for cid in station.connectors if cid > 0]
    # Statuses the boot after the reboot reports anyway are not reported before it.
    apply_levels(station, EvseMap(station.spec.evses), connectors, report=failing >= attempts)
    station.atg.stop()
    await station.transactions.stop_all(StopReason.HARD_RESET)
    for attempt in range(1, attempts + 1):
        if attempt > failing:
            station.rebooting(REMOTE_RESET)
            await station.reset(_REBOOT_KIND[kind])
            return
        station.log.warning("{} reset attempt {} of {} failed", kind, attempt, attempts)
    station.log.warning("{} reset failed {} times; the station goes on", kind, attempts)


async def reset_evse(station: ResetStation, evse_id: int, scope: list[int], owner: object) -> None:
    """The EVSE's reset (B11.FR.08, B12.FR.08): held Unavailable, its transaction ended with
    reason ImmediateReset, the template's resetTime, then back to what ChangeAvailability left
    (B12.FR.06), each change of status reported."""
    evses = EvseMap(station.spec.evses)
    levels = station.availability_levels
    levels.hold(evse_id, owner)
    apply_levels(station, evses, scope)
    for cid in scope:
        if station.connectors[cid].transaction_started:
            try:
                await station.transactions.stop(cid, StopReason.HARD_RESET)
            except _STOP_FAILURES as exc:  # stopped meanwhile by something else
                station.log.debug("Reset of EVSE {}, connector {}: {}", evse_id, cid, exc)
    await station.clock.sleep(station.template.reset_time)
    if levels.holds(evse_id, owner):
        levels.release(evse_id, owner)
        apply_levels(station, evses, scope)


__all__ = [
    "IDLE_POLL_SECONDS",
    "ResetStation",
    "ResetTransactions",
    "reset",
    "reset_answer",
    "reset_evse",
    "reset_station",
]
