"""The payload models of the UI procedures that send an OCPP 2.0.1 message no 1.6 station
sends (transactionEvent, notifyReport, securityEventNotification, logStatusNotification,
notifyCustomerInformation): the message's fields in its spelling, the station filling in what
the user leaves out (the timestamps, sequence numbers from 0). Each row of
simulator/procedure_table.py names one; simulator/station/ocpp201/commands.py builds the message.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from simulator.procedure_payloads import DateTime, IdTokenType, OnStations

TriggerReason = Literal[
    "Authorized",
    "CablePluggedIn",
    "ChargingRateChanged",
    "ChargingStateChanged",
    "Deauthorized",
    "EnergyLimitReached",
    "EVCommunicationLost",
    "EVConnectTimeout",
    "MeterValueClock",
    "MeterValuePeriodic",
    "TimeLimitReached",
    "Trigger",
    "UnlockCommand",
    "StopAuthorized",
    "EVDeparted",
    "EVDetected",
    "RemoteStop",
    "RemoteStart",
    "AbnormalCondition",
    "SignedDataReceived",
    "ResetCommand",
]
ChargingState = Literal["Charging", "EVConnected", "SuspendedEV", "SuspendedEVSE", "Idle"]
UploadLogStatus = Literal[
    "BadMessage",
    "Idle",
    "NotSupportedOperation",
    "PermissionDenied",
    "Uploaded",
    "UploadFailure",
    "Uploading",
    "AcceptedCanceled",
]
RequestId = Annotated[int, Field(ge=0)]
SeqNo = Annotated[int, Field(ge=0)]


class TransactionEvent(OnStations):
    """An Updated TransactionEvent of the transaction running on a connector (station-wide
    id), numbered and queued as the station's own events are. Started and Ended are the
    station's to send: startTransaction and stopTransaction make them."""

    connectorId: Annotated[int, Field(ge=1)]
    eventType: Literal["Updated"] = "Updated"
    triggerReason: TriggerReason
    chargingState: ChargingState | None = None
    meterValue: Annotated[list[dict[str, Any]], Field(min_length=1)] | None = None
    idToken: IdTokenType | None = None


class NotifyReport(OnStations):
    requestId: RequestId = 0
    generatedAt: DateTime | None = None  # now, when left out
    seqNo: SeqNo = 0
    tbc: bool | None = None
    reportData: Annotated[list[dict[str, Any]], Field(min_length=1)] | None = None


class SecurityEventNotification(OnStations):
    type: Annotated[str, Field(min_length=1, max_length=50)]
    timestamp: DateTime | None = None  # now, when left out
    techInfo: Annotated[str, Field(max_length=255)] | None = None


class LogStatusNotification(OnStations):
    status: UploadLogStatus
    requestId: RequestId | None = None


class NotifyCustomerInformation(OnStations):
    data: Annotated[str, Field(max_length=512)]
    requestId: RequestId = 0
    seqNo: SeqNo = 0
    tbc: bool | None = None
    generatedAt: DateTime | None = None  # now, when left out
