"""Which part of the station gives each device-model variable its behaviour (issue 15: "every
variable the station reads has its behaviour; no supported variable without it"), read by
device_model_seed.py, which writes it into device_model_data.json (`readBy`, `missing`) and stops
when a chosen variable is in no part, in two, or is missing yet writable.

A part reads the variable where it acts (a ReadWrite value changes what it does from the next
use), supplies it from the station's state (a live value), or makes it true by what it is. A
variable no part gives behaviour to is MISSING, with the reason, and read-only.
"""

from __future__ import annotations

CS = "ChargingStation"

READERS: dict[str, str] = {
    "provisioning": "GetVariables, SetVariables, GetBaseReport (ocpp201/provisioning.py)",
    "transactions": "TransactionEvent and its meter values, retries (E01-E13, J01, J02)",
    "plugs": "the EV plugged in and out at the station (E03, E09, E10, F05)",
    "authorization": "Authorize, the cache and the local list (C01-C16, D01, D02)",
    "connection": (
        "boot, heartbeat, CALL timeout, reconnect, network profiles, credentials "
        "(A00, A01, B01-B04, B09, B10, P4; ocpp201/network_connection.py)"
    ),
    "availability": "availability states, ChangeAvailability and Reset (G01-G04, B11, B12)",
    "state": "reported from the station's state and template when asked",
    "fixed": "true of the simulated station as it is built (no value changes it)",
}


def _of(component: str, *variables: str) -> tuple[str, ...]:
    return tuple(f"{component}.{variable}" for variable in variables)


READ_BY: dict[str, tuple[str, ...]] = {
    "provisioning": _of(
        "DeviceDataCtrlr",
        "BytesPerMessage.GetReport",
        "BytesPerMessage.GetVariables",
        "BytesPerMessage.SetVariables",
        "ItemsPerMessage.GetReport",
        "ItemsPerMessage.GetVariables",
        "ItemsPerMessage.SetVariables",
        "ConfigurationValueSize",
        "ReportingValueSize",
    ),
    "transactions": (
        *_of(
            "TxCtrlr",
            "MaxEnergyOnInvalidId",
            "StopTxOnInvalidId",
            "TxBeforeAcceptedEnabled",
            "TxStartPoint",
            "TxStopPoint",
        ),
        *_of(
            "SampledDataCtrlr",
            "Available",
            "Enabled",
            "TxEndedInterval",
            "TxEndedMeasurands",
            "TxStartedMeasurands",
            "TxUpdatedInterval",
            "TxUpdatedMeasurands",
        ),
        *_of(
            "AlignedDataCtrlr",
            "Available",
            "Enabled",
            "Interval",
            "Measurands",
            "SendDuringIdle",
            "TxEndedInterval",
            "TxEndedMeasurands",
        ),
        *_of(
            "OCPPCommCtrlr",
            "MessageAttemptInterval.TransactionEvent",
            "MessageAttempts.TransactionEvent",
        ),
    ),
    "plugs": (
        *_of("TxCtrlr", "EVConnectionTimeOut", "StopTxOnEVSideDisconnect"),
        *_of("OCPPCommCtrlr", "UnlockOnEVSideDisconnect"),
    ),
    "authorization": (
        *_of(
            "AuthCtrlr",
            "AuthorizeRemoteStart",
            "DisableRemoteAuthorization",
            "Enabled",
            "LocalAuthorizeOffline",
            "LocalPreAuthorize",
            "MasterPassGroupId",
            "OfflineTxForUnknownIdEnabled",
        ),
        *_of(
            "AuthCacheCtrlr",
            "Available",
            "DisablePostAuthorize",
            "Enabled",
            "LifeTime",
            "Policy",
            "Storage",
        ),
        *_of(
            "LocalAuthListCtrlr",
            "Available",
            "BytesPerMessage",
            "DisablePostAuthorize",
            "Enabled",
            "Entries",
            "ItemsPerMessage",
            "Storage",
        ),
    ),
    "connection": (
        *_of(
            "OCPPCommCtrlr",
            "ActiveNetworkProfile",
            "HeartbeatInterval",
            "MessageTimeout.Default",
            "NetworkConfigurationPriority",
            "NetworkProfileConnectionAttempts",
            "OfflineThreshold",
            "RetryBackOffRandomRange",
            "RetryBackOffRepeatTimes",
            "RetryBackOffWaitMinimum",
            "WebSocketPingInterval",
        ),
        *_of("SecurityCtrlr", "BasicAuthPassword", "Identity", "SecurityProfile"),
    ),
    "availability": (
        *_of(CS, "AvailabilityState"),
        *_of("EVSE", "AvailabilityState", "AllowReset"),
        *_of("Connector", "AvailabilityState"),
        *_of("OCPPCommCtrlr", "ResetRetries"),
    ),
    "state": (
        *_of("ClockCtrlr", "DateTime"),
        *_of(CS, "Model", "SupplyPhases", "VendorName"),
        *_of("EVSE", "Power", "SupplyPhases"),
        *_of("Connector", "ConnectorType", "SupplyPhases"),
    ),
    "fixed": (
        *_of("ClockCtrlr", "TimeSource"),
        *_of(CS, "Available"),
        *_of("EVSE", "Available"),
        *_of("Connector", "Available"),
        *_of("AlignedDataCtrlr", "SignReadings"),
        *_of("SampledDataCtrlr", "SignReadings"),
        *_of("SecurityCtrlr", "CertificateEntries"),
    ),
}

# In the model (the CSMS may read them, B07.FR.08 asks for the required ones), but no part of
# evsim acts on them yet: read-only, and listed as missing.
_NO_RESERVATION = "reservations (H01, H02) are deferred: ReserveNow is NotSupported"
_NO_SMART_CHARGING = "smart charging (K01-K10) is deferred: SetChargingProfile is NotSupported"
MISSING: dict[str, str] = {
    **dict.fromkeys(
        _of("ReservationCtrlr", "Available", "Enabled", "NonEvseSpecific"), _NO_RESERVATION
    ),
    **dict.fromkeys(
        _of(
            "SmartChargingCtrlr",
            "Available",
            "Enabled",
            "Entries.ChargingProfiles",
            "LimitChangeSignificance",
            "PeriodsPerSchedule",
            "ProfileStackLevel",
            "RateUnit",
        ),
        _NO_SMART_CHARGING,
    ),
    "SecurityCtrlr.OrganizationName": "certificate signing requests (A02) are deferred",
    "OCPPCommCtrlr.FileTransferProtocols": "firmware (L01) and log (N01) transfers are deferred",
}
