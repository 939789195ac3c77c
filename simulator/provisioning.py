"""config.json's stationTemplateUrls[].provisionedNumberOfStations (a key of the TypeScript
simulator 4.x): stations planned but not started.

A template entry's provisioned stations are the indexes right after its numberOfStations ones
(plan_stations numbers a file listed again after them), so their ids and hashIds, and with
them their persisted state, are the same on every run. They are not placed on a worker: the
UI's addChargingStations of the template takes them first, lowest index first, and only then
numbers new stations after every planned and provisioned one.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from simulator.config import Settings
from simulator.config_error import ConfigError
from simulator.plan import StationSpec, plan_added_stations
from simulator.template_model import StationTemplate


def provisioned_indexes(settings: Settings) -> dict[Path, list[int]]:
    """Per template file (resolved), the indexes of its provisioned stations."""
    last: dict[Path, int] = {}
    provisioned: dict[Path, list[int]] = {}
    for entry_index, entry in enumerate(settings.station_template_urls):
        try:
            path = settings.template_path(entry_index).resolve()
        except ConfigError:
            continue  # plan_stations reports it
        first = last.get(path, 0) + entry.number_of_stations + 1
        count = entry.provisioned_number_of_stations
        provisioned.setdefault(path, []).extend(range(first, first + count))
        last[path] = first + count - 1
    return provisioned


def indexes_to_add(taken: Iterable[int], provisioned: Sequence[int], count: int) -> list[int]:
    """The indexes `count` added stations get: the provisioned ones not `taken` (by a station
    planned or added already), lowest first, then new ones after every taken and provisioned
    index."""
    used = set(taken)
    free = [index for index in sorted(provisioned) if index not in used][:count]
    after = max((*used, *provisioned), default=0)
    return [*free, *range(after + 1, after + 1 + count - len(free))]


def _runs(indexes: Sequence[int]) -> list[tuple[int, int]]:
    """(first, count) of each run of consecutive indexes."""
    runs: list[tuple[int, int]] = []
    for index in indexes:
        if runs and runs[-1][0] + runs[-1][1] == index:
            runs[-1] = (runs[-1][0], runs[-1][1] + 1)
        else:
            runs.append((index, 1))
    return runs


def plan_additions(
    settings: Settings,
    path: Path,
    template: StationTemplate,
    count: int,
    plan: Sequence[StationSpec],
) -> list[StationSpec]:
    """Specs for `count` stations of `template` (from `path`, the UI's overrides applied) added
    to `plan`: the template's provisioned stations first (`indexes_to_add`)."""
    resolved = path.resolve()
    taken = [spec.index for spec in plan if Path(spec.template_path).resolve() == resolved]
    indexes = indexes_to_add(taken, provisioned_indexes(settings).get(resolved, []), count)
    if template.fixed_name or not indexes:
        # One station at most (plan_added_stations says so otherwise).
        first = indexes[0] if indexes else 1
        runs = [(first, count)]
    else:
        runs = _runs(indexes)
    specs: list[StationSpec] = []
    for first, run in runs:
        specs.extend(
            plan_added_stations(
                settings,
                path,
                template,
                first_index=first,
                count=run,
                first_global_index=len(plan) + len(specs),
            )
        )
    return specs


def provisioned_count(settings: Settings) -> int:
    return sum(entry.provisioned_number_of_stations for entry in settings.station_template_urls)


__all__ = ["indexes_to_add", "plan_additions", "provisioned_count", "provisioned_indexes"]
