"""The sections of a station template (MeterValues entries, connectors, EVSEs, configuration
keys, the ATG, commandsSupport, firmwareUpgrade) and the mark of keys accepted without a behaviour.
simulator/template_model.py holds the template itself and its loading.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic.alias_generators import to_camel
from pydantic.fields import FieldInfo

from simulator.meter_vocabulary import (
    ChargePointStatus,
    Location,
    Measurand,
    Phase,
    ReadingContext,
    UnitOfMeasure,
    ValueFormat,
)
from simulator.newer_keys import ConnectorPowerKey, FirmwareNewerKeys

IdTagDistribution = Literal["random", "round-robin", "connector-affinity"]

# Marks a field (json_schema_extra) evsim accepts without a behaviour, with the reason:
# load_template warns when a template sets it, the configuration reference says so.
NO_BEHAVIOUR = "noBehaviour"


class TemplateModel(BaseModel):
    # extra="allow": templates in the wild carry keys of newer TS versions; they are kept
    # (model_extra) and load_template warns about each once.
    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        frozen=True,
        extra="allow",
        # A field's meaning is the docstring under it (the configuration reference).
        use_attribute_docstrings=True,
    )


class SampledValueTemplate(TemplateModel):
    """One entry of a connector's MeterValues: what to measure and around which value."""

    unit: UnitOfMeasure | None = None
    """unit (kilo units scale the value)"""
    measurand: Measurand | None = None
    """measurand (none: Energy.Active.Import.Register)"""
    phase: Phase | None = None
    """marks the entry as one phase's: the measurand's entry without phase, when there is one, gives
    its unit and value"""
    context: ReadingContext | None = Field(
        default=None,
        json_schema_extra={NO_BEHAVIOUR: "a sample's context is the moment it is taken"},
    )
    """reading context"""
    location: Location | None = None
    """location sent with every sampled value of the measurand"""
    format: ValueFormat | None = Field(
        default=None, json_schema_extra={NO_BEHAVIOUR: "values are sent Raw, never signed"}
    )
    """value format"""
    # TS templates write numbers as strings ("5000"); pydantic's lax mode reads both.
    value: float | None = None
    """value around which the sample fluctuates (a number or a numeric string)"""
    fluctuation_percent: float | None = Field(default=None, ge=0)
    """fluctuation around value, in %"""
    minimum_value: float | None = Field(
        default=None, json_schema_extra={NO_BEHAVIOUR: "not used yet"}
    )
    """lowest value sent"""


class ConnectorTemplate(ConnectorPowerKey, TemplateModel):
    boot_status: ChargePointStatus | None = None
    """status reported at boot"""
    meter_values: list[SampledValueTemplate] = Field(default_factory=list, alias="MeterValues")
    """sampled values the connector can send"""


class EvseTemplate(TemplateModel):
    """One entry of an OCPP 2.0.1 template's Evses: the EVSE's connectors (EVSE 0, the station,
    holds connector 0 alone)."""

    connectors: dict[int, ConnectorTemplate] = Field(default_factory=dict, alias="Connectors")
    """connector id -> its definition, with the keys of a `Connectors` entry"""


class ConfigurationKey(TemplateModel):
    key: str = Field(min_length=1)
    """key name (matched without regard to case)"""
    readonly: bool = False
    """ChangeConfiguration refuses it"""
    value: str | None = None
    """value (numbers and booleans read as OCPP strings)"""
    visible: bool = True
    """listed by GetConfiguration"""
    reboot: bool = False
    """a change answers RebootRequired"""

    @field_validator("value", mode="before")
    @classmethod
    def _as_ocpp_string(cls, value: Any) -> Any:
        # OCPP configuration values are strings; templates sometimes hold JSON numbers or
        # booleans, written the way the TS simulator would send them.
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, int | float):
            return str(value)
        return value


class StationConfiguration(TemplateModel):
    configuration_key: list[ConfigurationKey] = Field(default_factory=list)
    """OCPP configuration keys, over evsim's defaults"""


class AutomaticTransactionGeneratorTemplate(TemplateModel):
    """The AutomaticTransactionGenerator section; defaults are the TS simulator's."""

    enable: bool = False
    """start the ATG on each accepted boot"""
    min_duration: int = Field(default=60, ge=0)
    """shortest session (s)"""
    max_duration: int = Field(default=120, ge=0)
    """longest session (s)"""
    min_delay_between_two_transactions: int = Field(default=15, ge=0)
    """shortest pause (s)"""
    max_delay_between_two_transactions: int = Field(default=30, ge=0)
    """longest pause (s)"""
    probability_of_start: float = Field(default=1.0, ge=0, le=1)
    """chance that a pause ends in a session"""
    stop_after_hours: float = Field(default=0.25, ge=0)
    """hours after which the ATG stops"""
    stop_on_connection_failure: bool = True
    """a lost connection stops the ATG until the next boot"""
    require_authorize: bool = True
    """authorize the idTag before starting"""
    id_tag_distribution: IdTagDistribution = "random"
    """idTag choice: `random`, `round-robin`, `connector-affinity`"""

    @model_validator(mode="after")
    def _ranges(self) -> AutomaticTransactionGeneratorTemplate:
        if self.min_duration > self.max_duration:
            raise ValueError(
                f"minDuration ({self.min_duration}) is above maxDuration ({self.max_duration})"
            )
        if self.min_delay_between_two_transactions > self.max_delay_between_two_transactions:
            raise ValueError(
                "minDelayBetweenTwoTransactions is above maxDelayBetweenTwoTransactions"
            )
        return self


class CommandsSupport(TemplateModel):
    """Empty means every implemented command is supported."""

    incoming_commands: dict[str, bool] = Field(default_factory=dict)
    """command -> supported; a disabled one answers NotSupported"""
    outgoing_commands: dict[str, bool] = Field(default_factory=dict)
    """command -> supported; a disabled one is never sent"""


class FirmwareUpgrade(FirmwareNewerKeys, TemplateModel):
    """`firmwareUpgrade`: how an UpdateFirmware (OCPP 1.6 section 5.19) goes. `reset` and
    `failureStatus` and `versionUpgrade` as in the TS simulator (without versionUpgrade the
    version comes from the location); the durations are evsim's own."""

    download_seconds: float = Field(default=5, ge=0)
    """evsim: seconds a simulated download takes"""
    install_seconds: float = Field(default=5, ge=0)
    """evsim: seconds the installation takes"""
    failure_status: Literal["DownloadFailed", "InstallationFailed"] | None = None
    """inject a failure: `DownloadFailed` or `InstallationFailed`"""
    reset: bool = True
    """reboot after Installed"""


# (key, attribute) -> default, by currentOutType.


def no_behaviour_reason(info: FieldInfo) -> str | None:
    """Why evsim gives the field no behaviour, when it is marked NO_BEHAVIOUR."""
    extra = info.json_schema_extra
    reason = extra.get(NO_BEHAVIOUR) if isinstance(extra, dict) else None
    return reason if isinstance(reason, str) else None


__all__ = [
    "NO_BEHAVIOUR",
    "AutomaticTransactionGeneratorTemplate",
    "CommandsSupport",
    "ConfigurationKey",
    "ConnectorTemplate",
    "EvseTemplate",
    "FirmwareUpgrade",
    "IdTagDistribution",
    "SampledValueTemplate",
    "StationConfiguration",
    "TemplateModel",
    "no_behaviour_reason",
]
