"""Keys of newer TypeScript-simulator configurations and templates (4.x) that evsim gives a
behaviour, as field mixins of the config.json and template models (config.py, template_model.py).

Kept apart so the large model modules only name them. A mixin has no configuration of its own:
the model it is mixed into gives the camelCase aliases and the extra-key policy.
"""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic.alias_generators import to_camel


class PersistStateKey(BaseModel):
    # false: no state file at all; a station's state lives in its worker's memory only.
    persist_state: bool = True


class ProvisionedStationsKey(BaseModel):
    # Stations after the numberOfStations ones, planned (ids, hashIds) but not started:
    # addChargingStations of the template takes them first.
    provisioned_number_of_stations: int = Field(default=0, ge=0)


class ConnectorPowerKey(BaseModel):
    # The connector's own limit in W (the TS ConnectorStatus.maximumPower, always in W).
    maximum_power: float | None = Field(default=None, gt=0)


def _check_pattern(pattern: str | None) -> str | None:
    if pattern is not None:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ValueError(f"not a regular expression: {exc}") from None
    return pattern


class StationNewerKeys(BaseModel):
    # Seconds a connector stays Finishing after a stop before it is Available (0: at once).
    post_transaction_delay: float = Field(default=0, ge=0)
    # The version an UpdateFirmware installs must match it (None: any version).
    firmware_version_pattern: str | None = None

    @field_validator("firmware_version_pattern")
    @classmethod
    def _regular_expression(cls, pattern: str | None) -> str | None:
        return _check_pattern(pattern)


class VersionUpgrade(BaseModel):
    """`firmwareUpgrade.versionUpgrade`: the new version is the current one with a numbered
    group raised (the TS simulator's rule)."""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, frozen=True, extra="allow"
    )

    # The last capture group of firmwareVersionPattern kept and raised (None: as many groups
    # as the version has dot-separated parts).
    pattern_group: int | None = Field(default=None, ge=1)
    step: int = Field(default=1, ge=0)


class FirmwareNewerKeys(BaseModel):
    version_upgrade: VersionUpgrade | None = None


__all__ = [
    "ConnectorPowerKey",
    "FirmwareNewerKeys",
    "PersistStateKey",
    "ProvisionedStationsKey",
    "StationNewerKeys",
    "VersionUpgrade",
]
