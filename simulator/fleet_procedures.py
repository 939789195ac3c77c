"""The UI procedures the supervisor answers itself: the simulator's state, start and stop, its
templates, and the fleet (list, add, delete, performance statistics).

Each takes its parsed payload (simulator/procedure_payloads.py) and sees the supervisor through
`FleetControl`, so that the procedure table, which the worker host reads too, does not bring the
supervisor (its pool, its storage sinks) into the workers.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, Protocol

from simulator.config import Settings
from simulator.procedure_answers import SUCCESS, Answer, failure, on_stations
from simulator.procedure_payloads import AddChargingStations, DeleteChargingStations, Empty
from simulator.stats import Statistics, statistics_data


class PerformanceDocument(Protocol):
    def to_document(self) -> dict[str, Any]: ...


class StationRecords(Protocol):
    def record(self, hash_id: str, now: datetime) -> PerformanceDocument: ...


class Performance(Protocol):
    @property
    def stations(self) -> Mapping[str, StationRecords]: ...


class Placement(Protocol):
    """Where added stations went: the placed hashIds and, by hashId, why the others failed."""

    @property
    def placed(self) -> Collection[str]: ...

    @property
    def failed(self) -> Mapping[str, object]: ...


class FleetControl(Protocol):
    """What the fleet procedures use of the supervisor."""

    @property
    def settings(self) -> Settings: ...

    @property
    def started(self) -> bool: ...

    @property
    def stations(self) -> Mapping[str, dict[str, Any]]: ...

    @property
    def performance(self) -> Performance: ...

    @property
    def totals(self) -> Statistics: ...

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    def template_files(self) -> dict[str, Path]: ...

    def template_statistics(self) -> dict[str, dict[str, Any]]: ...

    async def add_stations(
        self,
        template_name: str,
        count: int,
        overrides: dict[str, Any],
        *,
        auto_start: bool = True,
    ) -> Placement: ...

    async def delete_stations(
        self, hash_ids: Iterable[str] | None, *, delete_configuration: bool = False
    ) -> tuple[list[str], dict[str, str]]: ...


def evsim_version() -> str:
    try:
        return version("evsim")
    except PackageNotFoundError:
        return "0+unknown"


async def start_simulator(fleet: FleetControl, request: Empty) -> Answer:
    await fleet.start()
    return {"status": SUCCESS}


async def stop_simulator(fleet: FleetControl, request: Empty) -> Answer:
    await fleet.stop()
    return {"status": SUCCESS}


async def simulator_state(fleet: FleetControl, request: Empty) -> Answer:
    return {
        "status": SUCCESS,
        "state": {
            "version": evsim_version(),
            # Passwords are not the UI's business: the configuration without secrets.
            "configuration": fleet.settings.model_dump(
                mode="json",
                by_alias=True,
                exclude={"ui_server": {"authentication": {"password"}}},
            ),
            "started": fleet.started,
            "templateStatistics": fleet.template_statistics(),
        },
    }


async def list_templates(fleet: FleetControl, request: Empty) -> Answer:
    return {"status": SUCCESS, "templates": sorted(fleet.template_files())}


async def list_charging_stations(fleet: FleetControl, request: Empty) -> Answer:
    return {"status": SUCCESS, "chargingStations": list(fleet.stations.values())}


async def add_charging_stations(fleet: FleetControl, request: AddChargingStations) -> Answer:
    if not fleet.started:
        return failure("cannot add stations while the simulator is stopped")
    if request.template not in fleet.template_files():
        return failure(f"template {request.template!r} not found")
    try:
        outcome = await fleet.add_stations(
            request.template,
            request.numberOfStations,
            request.options.template_overrides(),
            auto_start=request.options.autoStart,
        )
    except ValueError as exc:
        return failure(str(exc))
    return on_stations(
        outcome.placed,
        [{"hashId": hash_id, "error": str(error)} for hash_id, error in outcome.failed.items()],
    )


async def delete_charging_stations(fleet: FleetControl, request: DeleteChargingStations) -> Answer:
    if not fleet.started:
        return failure("cannot delete stations while the simulator is stopped")
    removed, failed = await fleet.delete_stations(
        request.hash_ids, delete_configuration=request.deleteConfiguration
    )
    return on_stations(removed, [{"hashId": h, "error": e} for h, e in failed.items()])


async def performance_statistics(fleet: FleetControl, request: Empty) -> Answer:
    """The TS simulator's answer (one performance record per station) and, as an evsim
    addition, the fleet's totals under `fleet`."""
    now = datetime.now(UTC)
    return {
        "status": SUCCESS,
        "performanceStatistics": [
            station.record(hash_id, now).to_document()
            for hash_id, station in sorted(fleet.performance.stations.items())
        ],
        "fleet": {"statisticsData": statistics_data(fleet.totals)},
    }
