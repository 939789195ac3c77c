"""Live reload: what a change of config.json, of a station template or of an authorization tag
file means for the running fleet. The supervisor owns one of these while it runs.

A change is validated in full first (settings, templates, the plan of stations, the storage
URI); a change that fails keeps the running configuration and logs one line saying why.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, Protocol

from loguru import logger

from simulator.config import Settings
from simulator.config_error import ConfigError
from simulator.file_watch import FileWatcher
from simulator.performance import open_storage_for
from simulator.plan import StationSpec, plan_stations


class Fleet(Protocol):
    """What live reload needs of the fleet it reloads: the supervisor satisfies it
    structurally, so this module does not import the supervisor that owns it."""

    @property
    def settings(self) -> Settings: ...

    @property
    def plan(self) -> list[StationSpec]: ...

    @property
    def started(self) -> bool: ...

    async def reconfigure(self, settings: Settings, plan: list[StationSpec]) -> list[str]: ...

    async def replan(self, plan: list[StationSpec]) -> list[str]: ...

    async def request(
        self, procedure: str, hash_ids: Iterable[str] | None, **payload: Any
    ) -> dict[str, Any]: ...


def read_id_tags(path: Path) -> list[str]:
    """An authorization file: a JSON array of id tag strings. Raises ConfigError."""
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise ConfigError(path, "", "file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(path, "", f"cannot read: {exc}") from None
    except json.JSONDecodeError as exc:
        raise ConfigError(
            path, "", f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
        ) from None
    if not isinstance(data, list) or not all(isinstance(tag, str) for tag in data):
        raise ConfigError(path, "", "expected a JSON array of id tag strings")
    return data


class LiveReload:
    def __init__(self, fleet: Fleet, reload_settings: Callable[[], Settings]) -> None:
        self._fleet = fleet
        self._reload_settings = reload_settings
        self._watcher: FileWatcher | None = None

    async def start(self) -> None:
        if self._watcher is None:
            self._watcher = FileWatcher(self._changed)
            self._watcher.start()
            self._watcher.watch(self._watched())

    async def stop(self) -> None:
        watcher, self._watcher = self._watcher, None
        if watcher is not None:
            await watcher.stop()

    # -- what is watched --------------------------------------------------------------------

    def _config_file(self) -> Path:
        return self._fleet.settings.config_path.resolve()

    def _template_files(self) -> set[Path]:
        settings = self._fleet.settings
        files = {Path(spec.template_path).resolve() for spec in self._fleet.plan}
        for index in range(len(settings.station_template_urls)):
            with contextlib.suppress(ConfigError):  # a missing one may appear later
                files.add(settings.template_path(index).resolve())
        return files

    def _authorization_files(self) -> dict[Path, set[str]]:
        """Resolved path -> the spellings the stations' specs use for it."""
        files: dict[Path, set[str]] = {}
        for spec in self._fleet.plan:
            if spec.authorization_file:
                files.setdefault(Path(spec.authorization_file).resolve(), set()).add(
                    spec.authorization_file
                )
        return files

    def _watched(self) -> set[Path]:
        return {self._config_file(), *self._template_files(), *self._authorization_files()}

    # -- what a change does -----------------------------------------------------------------

    async def _changed(self, path: Path) -> None:
        if path == self._config_file():
            await self.reload_config()
        elif path in self._template_files():
            await self.reload_templates(path)
        spellings = self._authorization_files().get(path)
        if spellings:
            await self.reload_id_tags(path, spellings)
        if self._watcher is not None:
            self._watcher.watch(self._watched())

    async def reload_config(self) -> None:
        path = self._config_file()
        try:
            settings = self._reload_settings()
            plan = plan_stations(settings)
            open_storage_for(settings)  # only to check the URI: it opens nothing yet
        except ConfigError as exc:
            logger.error("Configuration not reloaded, the running one is kept: {}", exc)
            return
        changes = await self._fleet.reconfigure(settings, plan)
        logger.info("Configuration {} reloaded: {}", path, ", ".join(changes) or "no change")

    async def reload_templates(self, path: Path) -> None:
        try:
            plan = plan_stations(self._fleet.settings)
        except ConfigError as exc:
            logger.error("Template not reloaded, the stations keep the previous one: {}", exc)
            return
        changes = await self._fleet.replan(plan)
        logger.info("Template {} reloaded: {}", path, ", ".join(changes) or "no station changed")

    async def reload_id_tags(self, path: Path, spellings: set[str]) -> None:
        try:
            tags = read_id_tags(path)
        except ConfigError as exc:
            logger.error("Authorization tags not reloaded, the stations keep theirs: {}", exc)
            return
        if not self._fleet.started:
            return
        for spelling in sorted(spellings):
            result = await self._fleet.request(
                "setIdTags", None, authorizationFile=spelling, idTags=tags
            )
            if result["failed"]:
                logger.warning(
                    "Authorization tags {} not applied on {} stations: {}",
                    path,
                    len(result["failed"]),
                    result["failed"][0].get("error"),
                )
            else:
                logger.info("Authorization tags {} reloaded: {} tags", path, len(tags))
