"""Keys of newer TypeScript-simulator configurations and templates (4.x) that evsim gives a
behaviour, as field mixins of the config.json and template models (config.py, template_model.py).

Kept apart so the large model modules only name them. A mixin's one setting is that the
docstring under a field is its meaning; the model it is mixed into gives the camelCase aliases
and the extra-key policy.
"""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic.alias_generators import to_camel


class _KeyMixin(BaseModel):
    model_config = ConfigDict(use_attribute_docstrings=True)


class PersistStateKey(_KeyMixin):
    persist_state: bool = True
    """false: no station state file at all (configuration keys, transaction queue, meters, profiles
    live in the worker's memory only and are gone at the next start); performanceStorage is its own
    setting"""


class ProvisionedStationsKey(_KeyMixin):
    provisioned_number_of_stations: int = Field(default=0, ge=0)
    """stations planned after the numberOfStations ones (ids, hashIds, so their persisted state, the
    same every run) but not started: the UI's addChargingStations of the template starts them first,
    lowest index first; a file listed again is numbered after them"""


class ConnectorPowerKey(_KeyMixin):
    maximum_power: float | None = Field(default=None, gt=0)
    """the connector's own power limit in W (whatever powerUnit): it caps the connector's share of
    the station power, its meter and its composite schedule; connector 0's composite is at most the
    sum when every connector has one"""


def _check_pattern(pattern: str | None) -> str | None:
    if pattern is not None:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ValueError(f"not a regular expression: {exc}") from None
    return pattern


class StationNewerKeys(_KeyMixin):
    post_transaction_delay: float = Field(default=0, ge=0)
    """seconds a connector stays Finishing after a stop (section 4.9 C6, then F1 Available), as a
    charger whose cable is still plugged; meanwhile a new user may start (F2 Preparing) and the ATG
    waits; 0: Available at once"""
    firmware_version_pattern: str | None = None
    """regular expression (searched, as JavaScript's RegExp.test) the version an UpdateFirmware
    would install must match, else InstallationFailed and the version stays; absent: any version
    (versionUpgrade then reads the version as semver, the TS default pattern)"""

    @field_validator("firmware_version_pattern")
    @classmethod
    def _regular_expression(cls, pattern: str | None) -> str | None:
        return _check_pattern(pattern)


class VersionUpgrade(BaseModel):
    """`firmwareUpgrade.versionUpgrade`: the new version is the current one with a numbered
    group raised (the TS simulator's rule)."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        frozen=True,
        extra="allow",
        use_attribute_docstrings=True,
    )

    pattern_group: int | None = Field(default=None, ge=1)
    """how many capture groups of firmwareVersionPattern (default: semver) are kept, the last one
    raised; absent: as many as the version has dot-separated parts (`1.2.3`, 2 -> `1.3`)"""
    step: int = Field(default=1, ge=0)
    """added to that group (`1.2.3` -> `1.2.4`)"""


class FirmwareNewerKeys(_KeyMixin):
    version_upgrade: VersionUpgrade | None = None
    """the TS simulator's rule for the version an UpdateFirmware installs, whatever its location:
    the current version raised (set: this rule; absent: evsim's, the location's last path segment
    without an image suffix)"""


__all__ = [
    "ConnectorPowerKey",
    "FirmwareNewerKeys",
    "PersistStateKey",
    "ProvisionedStationsKey",
    "StationNewerKeys",
    "VersionUpgrade",
]
