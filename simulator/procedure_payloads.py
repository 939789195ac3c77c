"""The payload models of the UI procedures (ui0.0.1), one per procedure of
simulator/procedure_table.py.

Every payload is validated before anything runs, so a bad request gets a failure PDU naming the
field instead of an exception in a worker. A procedure on stations takes `hashIds` (all stations
when absent); what it forwards to their workers is `arguments()`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal, Self, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    JsonValue,
    ValidationError,
    field_validator,
    model_validator,
)

from simulator.config import check_ws_urls
from simulator.meter_vocabulary import ChargePointStatus

ConnectorId = Annotated[int, Field(ge=0)]
EvseId = Annotated[int, Field(ge=0)]
IdToken = Annotated[str, Field(min_length=1, max_length=20)]
# OCPP 2.0.1 ConnectorStatusEnumType: a connector's status as a 2.0.1 CSMS sees it.
ConnectorStatus201 = Literal["Available", "Occupied", "Reserved", "Unavailable", "Faulted"]
IdTokenKind = Literal[
    "Central", "eMAID", "ISO14443", "ISO15693", "KeyCode", "Local", "MacAddress", "NoAuthorization"
]
# OCPP 2.0.1 FirmwareStatusEnumType; 1.6's FirmwareStatus values are the first seven of them.
FirmwareStatus = Literal[
    "Downloaded",
    "DownloadFailed",
    "Downloading",
    "Idle",
    "InstallationFailed",
    "Installing",
    "Installed",
    "DownloadScheduled",
    "DownloadPaused",
    "InstallRebooting",
    "InstallScheduled",
    "InstallVerificationFailed",
    "InvalidSignature",
    "SignatureVerified",
]


def _date_time(text: str) -> str:
    # Sent as given, once known to be a date-time with its offset (both versions' dateTime).
    if datetime.fromisoformat(text).tzinfo is None:
        raise ValueError("a date-time with its UTC offset (e.g. 2024-05-01T12:00:00Z)")
    return text


DateTime = Annotated[str, AfterValidator(_date_time)]


class InvalidPayload(ValueError):
    """A request whose payload does not fit its procedure: answered with a failure PDU."""


# -- payload models ---------------------------------------------------------------------------


class _Payload(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class OnStations(_Payload):
    hash_ids: list[str] | None = Field(default=None, alias="hashIds")

    def arguments(self) -> dict[str, Any]:
        """What the stations' workers get of the request (beside the procedure's name)."""
        return self.model_dump(exclude={"hash_ids"}, exclude_none=True)


class StartTransaction(OnStations):
    connectorId: ConnectorId
    idTag: IdToken


class StopTransaction(OnStations):
    transactionId: int | str  # 1.6: the CSMS's number; 2.0.1: the station's own id


class AutomaticTransactionGenerator(OnStations):
    connectorIds: list[Annotated[int, Field(ge=1)]] | None = None


class ConnectorRequest(OnStations):
    connectorId: ConnectorId


class StatusNotification(OnStations):
    # A 1.6 ChargePointStatus, or (2.0.1 stations) a ConnectorStatusEnumType: Occupied.
    connectorId: ConnectorId
    status: ChargePointStatus | ConnectorStatus201 | None = None
    errorCode: str | None = None  # 1.6 only


class IdTokenType(_Payload):
    """OCPP 2.0.1 IdTokenType (additionalInfo aside)."""

    idToken: Annotated[str, Field(min_length=1, max_length=36)]
    type: IdTokenKind


class Authorize(OnStations):
    # idTag for either version (a 2.0.1 station sends it as an ISO14443 idToken); idToken,
    # the TypeScript simulator's 2.0.1 payload, for 2.0.1 stations.
    idTag: IdToken | None = None
    idToken: IdTokenType | None = None

    @model_validator(mode="after")
    def _one_token(self) -> Self:
        if (self.idTag is None) == (self.idToken is None):
            raise ValueError("give idTag or idToken")
        return self


class BootNotification(OnStations):
    # Any BootNotification.req field: sent instead of the station's own value.
    model_config = ConfigDict(extra="allow", frozen=True)

    def arguments(self) -> dict[str, Any]:
        # Wrapped: a free-form field may not collide with the request's own keys ("procedure").
        return {"overrides": super().arguments()}


class DataTransfer(OnStations):
    vendorId: Annotated[str, Field(max_length=255)] | None = None
    messageId: Annotated[str, Field(max_length=50)] | None = None
    data: JsonValue = None  # 1.6: a string; 2.0.1: any JSON


class DiagnosticsStatusNotification(OnStations):
    status: Literal["Idle", "Uploaded", "UploadFailed", "Uploading"]


class FirmwareStatusNotification(OnStations):
    status: FirmwareStatus  # a station's version refuses the values it has not
    requestId: int | None = None  # 2.0.1 only


class MeterValues(OnStations):
    # The connector (1.6), or the EVSE (2.0.1; its connector's EVSE when only connectorId).
    connectorId: ConnectorId | None = None
    evseId: EvseId | None = None
    transactionId: int | None = None  # 1.6 only
    meterValue: list[dict[str, Any]] | None = None

    @model_validator(mode="after")
    def _where(self) -> Self:
        if self.connectorId is None and self.evseId is None:
            raise ValueError("give connectorId or evseId")
        return self


class ChangeConfiguration(OnStations):
    key: Annotated[str, Field(min_length=1, max_length=50)]
    value: Annotated[str, Field(max_length=500)]


class SetSupervisionUrl(OnStations):
    url: str

    @field_validator("url")
    @classmethod
    def _ws_url(cls, url: str) -> str:
        return check_ws_urls([url])[0]


class AddOptions(_Payload):
    autoStart: bool = True
    baseName: str | None = None
    fixedName: bool | None = None
    nameSuffix: str | None = None
    supervisionUrls: list[str] | None = None  # a single URL is taken as a list of one
    supervisionUser: str | None = None
    supervisionPassword: str | None = None
    persistentConfiguration: bool | None = None
    ocppStrictCompliance: bool | None = None

    @field_validator("supervisionUrls", mode="before")
    @classmethod
    def _urls(cls, urls: Any) -> Any:
        urls = [urls] if isinstance(urls, str) else urls
        if isinstance(urls, list) and all(isinstance(url, str) for url in urls):
            return check_ws_urls(urls)
        return urls  # the type check that follows names what is wrong

    def template_overrides(self) -> dict[str, Any]:
        """The template attributes these options replace."""
        overrides: dict[str, Any] = {}
        for option, attribute in (
            ("baseName", "base_name"),
            ("fixedName", "fixed_name"),
            ("nameSuffix", "name_suffix"),
            ("supervisionUser", "supervision_user"),
            ("supervisionPassword", "supervision_password"),
            ("ocppStrictCompliance", "ocpp_strict_compliance"),
        ):
            value = getattr(self, option)
            if value is not None:
                overrides[attribute] = value
        if self.supervisionUrls is not None:
            overrides["supervision_urls"] = self.supervisionUrls
        if self.persistentConfiguration is not None:
            overrides["ocpp_persistent_configuration"] = self.persistentConfiguration
            overrides["station_info_persistent_configuration"] = self.persistentConfiguration
        return overrides


class AddChargingStations(_Payload):
    template: Annotated[str, Field(min_length=1)]
    numberOfStations: Annotated[int, Field(ge=1, le=100_000)]
    options: AddOptions = AddOptions()


class DeleteChargingStations(OnStations):
    deleteConfiguration: bool = False


class Empty(_Payload):
    # The TS clients send {} or nothing; extra keys are ignored rather than refused.
    model_config = ConfigDict(extra="ignore", frozen=True)


M = TypeVar("M", bound=BaseModel)


def parse(model: type[M], payload: dict[str, Any]) -> M:
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in error['loc']) or 'payload'}: {error['msg']}"
            for error in exc.errors()
        )
        raise InvalidPayload(f"invalid payload: {problems}") from None
