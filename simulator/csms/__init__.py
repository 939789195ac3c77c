"""The bundled OCPP 1.6 and 2.0.1 central system: the peer of evsim's integration tests and demo."""

from simulator.csms.policy import Policy
from simulator.csms.report import ReceivedMessage, Report, StationRecord, TransactionRecord
from simulator.csms.server import CentralSystem, StationDisconnected

__all__ = [
    "CentralSystem",
    "Policy",
    "ReceivedMessage",
    "Report",
    "StationDisconnected",
    "StationRecord",
    "TransactionRecord",
]
