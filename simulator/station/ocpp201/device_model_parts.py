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
    "connection": "boot, heartbeat, CALL timeout, reconnect, network profiles (B01-B04, B10, P4)",
    "availability": "availability states, ChangeAvailability and Reset (G01-G04, B11, B12)",
    "state": "reported from the station's state and template when asked",
    "fixed": "true of the simulated station as it is built (no value changes it)",
}
_DEVICE_DATA = ("BytesPerMessage", "ItemsPerMessage")
_TX_POINTS = ("TxStartPoint", "TxStopPoint")
READ_BY: dict[str, tuple[str, ...]] = {
    "provisioning": (
        *(f"DeviceDataCtrlr.{v}.{i}" for v in _DEVICE_DATA for i in ("GetReport", "GetVariables")),
        *(f"DeviceDataCtrlr.{v}.SetVariables" for v in _DEVICE_DATA),
        "DeviceDataCtrlr.ConfigurationValueSize",
        "DeviceDataCtrlr.ReportingValueSize",
    ),
    "transactions": (
        *(f"TxCtrlr.{v}" for v in ("MaxEnergyOnInvalidId", "StopTxOnInvalidId", *_TX_POINTS)),
        "TxCtrlr.TxBeforeAcceptedEnabled",
        *(
            f"SampledDataCtrlr.{v}"
            for v in ("Available", "Enabled", "TxEndedInterval", "TxEndedMeasurands")
        ),
        *(
            f"SampledDataCtrlr.{v}"
            for v in ("TxStartedMeasurands", "TxUpdatedInterval", "TxUpdatedMeasurands")
        ),
        *(f"AlignedDataCtrlr.{v}" for v in ("Available", "Enabled", "Interval", "Measurands")),
        *(
            f"AlignedDataCtrlr.{v}"
            for v in ("SendDuringIdle", "TxEndedInterval", "TxEndedMeasurands")
        ),
        "OCPPCommCtrlr.MessageAttemptInterval.TransactionEvent",
        "OCPPCommCtrlr.MessageAttempts.TransactionEvent",
    ),
    "plugs": (
        "TxCtrlr.EVConnectionTimeOut",
        "TxCtrlr.StopTxOnEVSideDisconnect",
        "OCPPCommCtrlr.UnlockOnEVSideDisconnect",
    ),
    "authorization": (
        *(f"AuthCtrlr.{v}" for v in ("AuthorizeRemoteStart", "Enabled", "LocalAuthorizeOffline")),
        *(
            f"AuthCtrlr.{v}"
            for v in ("LocalPreAuthorize", "MasterPassGroupId", "OfflineTxForUnknownIdEnabled")
        ),
        "AuthCtrlr.DisableRemoteAuthorization",
        *(f"AuthCacheCtrlr.{v}" for v in ("Available", "Enabled", "LifeTime", "Policy")),
        "AuthCacheCtrlr.Storage",
        "AuthCacheCtrlr.DisablePostAuthorize",
        *(f"LocalAuthListCtrlr.{v}" for v in ("Available", "BytesPerMessage", "Enabled")),
        *(f"LocalAuthListCtrlr.{v}" for v in ("Entries", "ItemsPerMessage", "Storage")),
        "LocalAuthListCtrlr.DisablePostAuthorize",
    ),
    "connection": (
        *(
            f"OCPPCommCtrlr.{v}"
            for v in ("HeartbeatInterval", "OfflineThreshold", "MessageTimeout.Default")
        ),
        "OCPPCommCtrlr.NetworkConfigurationPriority",
        "OCPPCommCtrlr.NetworkProfileConnectionAttempts",
        "OCPPCommCtrlr.ActiveNetworkProfile",
        *(f"OCPPCommCtrlr.RetryBackOff{v}" for v in ("RandomRange", "RepeatTimes", "WaitMinimum")),
        "OCPPCommCtrlr.WebSocketPingInterval",
        *(f"SecurityCtrlr.{v}" for v in ("BasicAuthPassword", "Identity", "SecurityProfile")),
    ),
    "availability": (
        *(f"{c}.AvailabilityState" for c in (CS, "EVSE", "Connector")),
        "OCPPCommCtrlr.ResetRetries",
        "EVSE.AllowReset",
    ),
    "state": (
        "ClockCtrlr.DateTime",
        *(f"{CS}.{v}" for v in ("Model", "VendorName", "SupplyPhases")),
        *(f"EVSE.{v}" for v in ("Power", "SupplyPhases")),
        *(f"Connector.{v}" for v in ("ConnectorType", "SupplyPhases")),
    ),
    "fixed": (
        "ClockCtrlr.TimeSource",
        *(f"{c}.Available" for c in (CS, "EVSE", "Connector")),
        "AlignedDataCtrlr.SignReadings",
        "SampledDataCtrlr.SignReadings",
        "SecurityCtrlr.CertificateEntries",
    ),
}

# In the model (the CSMS may read them, B07.FR.08 asks for the required ones), but no part of
# evsim acts on them yet: read-only, and listed as missing.
_NO_RESERVATION = "reservations (H01, H02) are deferred: ReserveNow is NotSupported"
_NO_SMART_CHARGING = "smart charging (K01-K10) is deferred: SetChargingProfile is NotSupported"
MISSING: dict[str, str] = {
    **{
        f"ReservationCtrlr.{v}": _NO_RESERVATION
        for v in ("Available", "Enabled", "NonEvseSpecific")
    },
    **{
        f"SmartChargingCtrlr.{v}": _NO_SMART_CHARGING
        for v in ("Available", "Enabled", "Entries.ChargingProfiles", "LimitChangeSignificance")
    },
    **{
        f"SmartChargingCtrlr.{v}": _NO_SMART_CHARGING
        for v in ("PeriodsPerSchedule", "ProfileStackLevel", "RateUnit")
    },
    "SecurityCtrlr.OrganizationName": "certificate signing requests (A02) are deferred",
    "OCPPCommCtrlr.FileTransferProtocols": "firmware (L01) and log (N01) transfers are deferred",
}
