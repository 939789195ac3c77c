"""The OCPP 2.0.1 actions by direction (Part 2, the messages of each functional block; the
`ocpp` package's v201 schemas hold both directions without saying which): what the conformance
matrix (simulator/conformance201.py) sorts the station's handlers and messages by."""

from __future__ import annotations

from typing import Final

# Sent by the CSMS, answered by the station (40).
INCOMING: Final = frozenset(
    {
        "CancelReservation",
        "CertificateSigned",
        "ChangeAvailability",
        "ClearCache",
        "ClearChargingProfile",
        "ClearDisplayMessage",
        "ClearVariableMonitoring",
        "CostUpdated",
        "CustomerInformation",
        "DataTransfer",
        "DeleteCertificate",
        "GetBaseReport",
        "GetChargingProfiles",
        "GetCompositeSchedule",
        "GetDisplayMessages",
        "GetInstalledCertificateIds",
        "GetLocalListVersion",
        "GetLog",
        "GetMonitoringReport",
        "GetReport",
        "GetTransactionStatus",
        "GetVariables",
        "InstallCertificate",
        "PublishFirmware",
        "RequestStartTransaction",
        "RequestStopTransaction",
        "ReserveNow",
        "Reset",
        "SendLocalList",
        "SetChargingProfile",
        "SetDisplayMessage",
        "SetMonitoringBase",
        "SetMonitoringLevel",
        "SetNetworkProfile",
        "SetVariableMonitoring",
        "SetVariables",
        "TriggerMessage",
        "UnlockConnector",
        "UnpublishFirmware",
        "UpdateFirmware",
    }
)
# Sent by the station, answered by the CSMS (25; DataTransfer goes both ways).
OUTGOING: Final = frozenset(
    {
        "Authorize",
        "BootNotification",
        "ClearedChargingLimit",
        "DataTransfer",
        "FirmwareStatusNotification",
        "Get15118EVCertificate",
        "GetCertificateStatus",
        "Heartbeat",
        "LogStatusNotification",
        "MeterValues",
        "NotifyChargingLimit",
        "NotifyCustomerInformation",
        "NotifyDisplayMessages",
        "NotifyEVChargingNeeds",
        "NotifyEVChargingSchedule",
        "NotifyEvent",
        "NotifyMonitoringReport",
        "NotifyReport",
        "PublishFirmwareStatusNotification",
        "ReportChargingProfiles",
        "ReservationStatusUpdate",
        "SecurityEventNotification",
        "SignCertificate",
        "StatusNotification",
        "TransactionEvent",
    }
)

__all__ = ["INCOMING", "OUTGOING"]
