"""The error a user can cause in a config file, a template, the environment or a flag: one
line naming where (file or source), the key as the user wrote it, and why."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from simulator.model_keys import dotted_key


class ConfigError(Exception):
    """A mistake in a user's file, environment or flags: printed as one line, no traceback."""

    def __init__(self, file: str | Path, key: str, reason: str) -> None:
        self.file = str(file)
        self.key = key
        self.reason = reason
        super().__init__(str(self))

    def __str__(self) -> str:
        return ": ".join(part for part in (self.file, self.key, self.reason) if part)

    @classmethod
    def from_validation_error(
        cls, file: str | Path, model: type[BaseModel], error: ValidationError
    ) -> ConfigError:
        """The first error of `error`, located by the key as the user wrote it."""
        errors = error.errors(include_url=False)
        first = errors[0]
        return cls(file, dotted_key(model, first["loc"]), _reason(first, len(errors) - 1))


def _reason(error: Mapping[str, Any], others: int) -> str:
    reason = str(error["msg"]).removeprefix("Value error, ")
    value = error.get("input")
    if error.get("type") not in ("missing", "value_error") and isinstance(
        value, str | int | float | bool
    ):
        shown = json.dumps(value, ensure_ascii=False)
        if len(shown) <= 60:
            reason += f" (got {shown})"
    if others:
        reason += f" (and {others} more error{'s' if others > 1 else ''})"
    return reason


__all__ = ["ConfigError"]
