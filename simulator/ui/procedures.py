"""UI protocol ui0.0.1 procedures (the seed README's "UI protocol"): name -> what it does.

Every payload is validated by a pydantic model before anything runs, so a bad request gets a
failure PDU naming the field instead of an exception in a worker. Procedures that act on stations
take `hashIds` (all stations when absent) and answer with hashIdsSucceeded / hashIdsFailed /
responsesFailed; the supervisor sends one request per worker that owns one of them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from typing import Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from simulator.config import check_ws_urls
from simulator.meter_vocabulary import ChargePointStatus
from simulator.stats import statistics_data
from simulator.supervisor import Supervisor

Procedure = Callable[[Supervisor, dict[str, Any]], Awaitable[dict[str, Any]]]

SUCCESS = "success"
FAILURE = "failure"

ConnectorId = Annotated[int, Field(ge=0)]
IdToken = Annotated[str, Field(min_length=1, max_length=20)]


class InvalidPayload(ValueError):
    """A request whose payload does not fit its procedure: answered with a failure PDU."""


def failure(message: str, **extra: Any) -> dict[str, Any]:
    return {"status": FAILURE, "errorMessage": message, **extra}


# -- payload models ---------------------------------------------------------------------------


class _Payload(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class OnStations(_Payload):
    hash_ids: list[str] | None = Field(default=None, alias="hashIds")


class StartTransaction(OnStations):
    connectorId: ConnectorId
    idTag: IdToken


class StopTransaction(OnStations):
    transactionId: int


class AutomaticTransactionGenerator(OnStations):
    connectorIds: list[Annotated[int, Field(ge=1)]] | None = None


class ConnectorRequest(OnStations):
    connectorId: ConnectorId


class StatusNotification(OnStations):
    connectorId: ConnectorId
    status: ChargePointStatus | None = None
    errorCode: str | None = None


class Authorize(OnStations):
    idTag: IdToken


class BootNotification(OnStations):
    # Any BootNotification.req field: sent instead of the station's own value.
    model_config = ConfigDict(extra="allow", frozen=True)


class DataTransfer(OnStations):
    vendorId: Annotated[str, Field(max_length=255)] | None = None
    messageId: Annotated[str, Field(max_length=50)] | None = None
    data: str | None = None


class DiagnosticsStatusNotification(OnStations):
    status: Literal["Idle", "Uploaded", "UploadFailed", "Uploading"]


class FirmwareStatusNotification(OnStations):
    status: Literal[
        "Downloaded",
        "DownloadFailed",
        "Downloading",
        "Idle",
        "InstallationFailed",
        "Installing",
        "Installed",
    ]


class MeterValues(OnStations):
    connectorId: ConnectorId
    transactionId: int | None = None
    meterValue: list[dict[str, Any]] | None = None


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


# -- the simulator ----------------------------------------------------------------------------


def evsim_version() -> str:
    try:
        return version("evsim")
    except PackageNotFoundError:
        return "0+unknown"


async def start_simulator(supervisor: Supervisor, payload: dict[str, Any]) -> dict[str, Any]:
    parse(Empty, payload)
    await supervisor.start()
    return {"status": SUCCESS}


async def stop_simulator(supervisor: Supervisor, payload: dict[str, Any]) -> dict[str, Any]:
    parse(Empty, payload)
    await supervisor.stop()
    return {"status": SUCCESS}


async def simulator_state(supervisor: Supervisor, payload: dict[str, Any]) -> dict[str, Any]:
    parse(Empty, payload)
    return {
        "status": SUCCESS,
        "state": {
            "version": evsim_version(),
            # Passwords are not the UI's business: the configuration without secrets.
            "configuration": supervisor.settings.model_dump(
                mode="json",
                by_alias=True,
                exclude={"ui_server": {"authentication": {"password"}}},
            ),
            "started": supervisor.started,
            "templateStatistics": supervisor.template_statistics(),
        },
    }


async def list_templates(supervisor: Supervisor, payload: dict[str, Any]) -> dict[str, Any]:
    parse(Empty, payload)
    return {"status": SUCCESS, "templates": sorted(supervisor.template_files())}


async def list_charging_stations(supervisor: Supervisor, payload: dict[str, Any]) -> dict[str, Any]:
    parse(Empty, payload)
    return {"status": SUCCESS, "chargingStations": list(supervisor.stations.values())}


async def add_charging_stations(supervisor: Supervisor, payload: dict[str, Any]) -> dict[str, Any]:
    request = parse(AddChargingStations, payload)
    if not supervisor.started:
        return failure("cannot add stations while the simulator is stopped")
    if request.template not in supervisor.template_files():
        return failure(f"template {request.template!r} not found")
    try:
        outcome = await supervisor.add_stations(
            request.template,
            request.numberOfStations,
            request.options.template_overrides(),
            auto_start=request.options.autoStart,
        )
    except ValueError as exc:
        return failure(str(exc))
    response: dict[str, Any] = {
        "status": FAILURE if outcome.failed else SUCCESS,
        "hashIdsSucceeded": list(outcome.placed),
    }
    if outcome.failed:
        response["hashIdsFailed"] = list(outcome.failed)
        response["responsesFailed"] = [
            {"hashId": hash_id, "error": str(error)} for hash_id, error in outcome.failed.items()
        ]
    return response


async def delete_charging_stations(
    supervisor: Supervisor, payload: dict[str, Any]
) -> dict[str, Any]:
    request = parse(DeleteChargingStations, payload)
    if not supervisor.started:
        return failure("cannot delete stations while the simulator is stopped")
    removed, failed = await supervisor.delete_stations(
        request.hash_ids, delete_configuration=request.deleteConfiguration
    )
    response: dict[str, Any] = {
        "status": FAILURE if failed else SUCCESS,
        "hashIdsSucceeded": removed,
    }
    if failed:
        response["hashIdsFailed"] = list(failed)
        response["responsesFailed"] = [{"hashId": h, "error": e} for h, e in failed.items()]
    return response


async def performance_statistics(supervisor: Supervisor, payload: dict[str, Any]) -> dict[str, Any]:
    """The TS simulator's answer (one performance record per station) and, as an evsim
    addition, the fleet's totals under `fleet`."""
    parse(Empty, payload)
    now = datetime.now(UTC)
    return {
        "status": SUCCESS,
        "performanceStatistics": [
            station.record(hash_id, now).to_document()
            for hash_id, station in sorted(supervisor.performance.stations.items())
        ],
        "fleet": {"statisticsData": statistics_data(supervisor.totals)},
    }


# -- procedures run by stations ---------------------------------------------------------------


def on_stations(host_procedure: str, model: type[OnStations]) -> Procedure:
    """A procedure the stations named in `hashIds` run (all when absent), by its host name."""

    async def run(supervisor: Supervisor, payload: dict[str, Any]) -> dict[str, Any]:
        request = parse(model, payload)
        if not supervisor.started:
            return failure("the simulator is stopped")
        arguments = request.model_dump(exclude={"hash_ids"}, exclude_none=True)
        if isinstance(request, BootNotification):
            arguments = {"overrides": arguments}
        result = await supervisor.request(host_procedure, request.hash_ids, **arguments)
        response: dict[str, Any] = {
            "status": FAILURE if result["failed"] else SUCCESS,
            "hashIdsSucceeded": result["succeeded"],
        }
        if result["failed"]:
            response["hashIdsFailed"] = [f["hashId"] for f in result["failed"] if "hashId" in f]
            response["responsesFailed"] = result["failed"]
        return response

    return run


PROCEDURES: dict[str, Procedure] = {
    "startSimulator": start_simulator,
    "stopSimulator": stop_simulator,
    "simulatorState": simulator_state,
    "listTemplates": list_templates,
    "listChargingStations": list_charging_stations,
    "addChargingStations": add_charging_stations,
    "deleteChargingStations": delete_charging_stations,
    "performanceStatistics": performance_statistics,
    "startChargingStation": on_stations("startChargingStation", OnStations),
    "stopChargingStation": on_stations("stopChargingStation", OnStations),
    "openConnection": on_stations("openConnection", OnStations),
    "closeConnection": on_stations("closeConnection", OnStations),
    "startTransaction": on_stations("startTransaction", StartTransaction),
    "stopTransaction": on_stations("stopTransaction", StopTransaction),
    "startAutomaticTransactionGenerator": on_stations(
        "startAutomaticTransactionGenerator", AutomaticTransactionGenerator
    ),
    "stopAutomaticTransactionGenerator": on_stations(
        "stopAutomaticTransactionGenerator", AutomaticTransactionGenerator
    ),
    "setSupervisionUrl": on_stations("setSupervisionUrl", SetSupervisionUrl),
    "changeConfiguration": on_stations("changeConfiguration", ChangeConfiguration),
    "lockConnector": on_stations("lockConnector", ConnectorRequest),
    "unlockConnector": on_stations("unlockConnector", ConnectorRequest),
    # evsim extensions: an EV plugged into / unplugged (at the EV side) from a connector.
    "plugConnector": on_stations("plugConnector", ConnectorRequest),
    "unplugConnector": on_stations("unplugConnector", ConnectorRequest),
    # OCPP requests the stations send on demand.
    "authorize": on_stations("authorize", Authorize),
    "bootNotification": on_stations("bootNotification", BootNotification),
    "dataTransfer": on_stations("dataTransfer", DataTransfer),
    "diagnosticsStatusNotification": on_stations(
        "diagnosticsStatusNotification", DiagnosticsStatusNotification
    ),
    "firmwareStatusNotification": on_stations(
        "firmwareStatusNotification", FirmwareStatusNotification
    ),
    "heartbeat": on_stations("heartbeat", OnStations),
    "meterValues": on_stations("meterValues", MeterValues),
    "statusNotification": on_stations("statusNotification", StatusNotification),
}
# The seed README's spellings.
PROCEDURES["StatusNotification"] = PROCEDURES["statusNotification"]
PROCEDURES["Heartbeat"] = PROCEDURES["heartbeat"]
