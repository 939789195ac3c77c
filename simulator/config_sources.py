"""The settings sources pydantic-settings merges into Settings, each keyed by field names.

A file says ``poolMaxSize`` where the environment says ``POOL_MAX_SIZE``: pydantic would keep
both keys and let the alias (the file) win over the environment, so every source is first
brought to field names. load_settings hands the parsed file and an injected environment to
the sources through `loading_inputs`, since Settings builds them inside its constructor.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, EnvSettingsSource, PydanticBaseSettingsSource
from pydantic_settings.sources.utils import parse_env_vars

from simulator.model_keys import by_field_name


@dataclass(frozen=True, slots=True)
class _LoadInputs:
    file_data: Mapping[str, Any]
    environ: Mapping[str, str] | None


# How load_settings hands the parsed file and the injected environment to the sources that
# settings_sources builds (from Settings.settings_customise_sources, inside the constructor).
_LOAD_INPUTS: ContextVar[_LoadInputs | None] = ContextVar("evsim_settings_inputs", default=None)


class _EnvironSource(EnvSettingsSource):
    """EVSIM_* variables from an injected mapping (tests) or os.environ."""

    def __init__(self, settings_cls: type[BaseSettings], environ: Mapping[str, str] | None):
        self._environ = environ
        super().__init__(settings_cls)

    def _load_env_vars(self) -> Mapping[str, str | None]:
        if self._environ is None:
            return super()._load_env_vars()
        env_vars: Mapping[str, str | None] = parse_env_vars(
            self._environ, self.case_sensitive, self.env_ignore_empty, self.env_parse_none_str
        )
        return env_vars


class _ByFieldName(PydanticBaseSettingsSource):
    """Another source's values, keyed by field names (see the module docstring)."""

    def __init__(self, settings_cls: type[BaseSettings], inner: PydanticBaseSettingsSource):
        super().__init__(settings_cls)
        self._inner = inner

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False  # unused: __call__ delegates to the inner source

    def __call__(self) -> dict[str, Any]:
        return by_field_name(self.settings_cls, self._inner())


class _FileSource(PydanticBaseSettingsSource):
    """The parsed config.json, keyed by field names."""

    def __init__(self, settings_cls: type[BaseSettings], data: Mapping[str, Any]):
        super().__init__(settings_cls)
        self._data = data

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        return by_field_name(self.settings_cls, self._data)


def settings_sources(
    settings_cls: type[BaseSettings], init_settings: PydanticBaseSettingsSource
) -> tuple[PydanticBaseSettingsSource, ...]:
    """Highest first: overrides (the constructor's arguments) > EVSIM_* environment > the file.

    Outside `loading_inputs` (a Settings built directly) the environment is os.environ and
    there is no file.
    """
    inputs = _LOAD_INPUTS.get()
    environ = inputs.environ if inputs else None
    file_data = inputs.file_data if inputs else {}
    return (
        _ByFieldName(settings_cls, init_settings),
        _ByFieldName(settings_cls, _EnvironSource(settings_cls, environ)),
        _FileSource(settings_cls, file_data),
    )


@contextmanager
def loading_inputs(
    file_data: Mapping[str, Any], environ: Mapping[str, str] | None
) -> Iterator[None]:
    """Settings built inside read `file_data` and `environ` (None: os.environ)."""
    token = _LOAD_INPUTS.set(_LoadInputs(file_data, environ))
    try:
        yield
    finally:
        _LOAD_INPUTS.reset(token)


def environment_values(
    settings_cls: type[BaseSettings], environ: Mapping[str, str] | None
) -> dict[str, Any]:
    """What the EVSIM_* variables of `environ` (None: os.environ) set, keyed by field names."""
    return by_field_name(settings_cls, _EnvironSource(settings_cls, environ)())


__all__ = ["environment_values", "loading_inputs", "settings_sources"]
