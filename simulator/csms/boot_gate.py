"""What a 2.0.1 station may send the CSMS while its last boot was not Accepted: only a
BootNotification, or a message the CSMS itself asked for with TriggerMessage, GetBaseReport or
GetReport; anything else is answered with CALLERROR SecurityError (P2 B01.FR.10 Rejected,
B02.FR.09 Pending, B03.FR.07)."""

from collections import Counter
from collections.abc import Mapping
from typing import Any

_NOT_ACCEPTED = frozenset({"Pending", "Rejected"})
_REPORTS = frozenset({"GetBaseReport", "GetReport"})
# TriggerMessage's requestedMessage values whose message is named otherwise.
_TRIGGERED_ACTION = {
    "SignChargingStationCertificate": "SignCertificate",
    "SignV2GCertificate": "SignCertificate",
    "SignCombinedCertificate": "SignCertificate",
}


class BootGate:
    """One station connection's gate: it learns the CSMS's requests from `sent`."""

    def __init__(self) -> None:
        self._triggered: Counter[str] = Counter()
        self._reports = 0  # requested reports whose last NotifyReport part has not come

    def sent(self, action: str, payload: Mapping[str, Any]) -> None:
        """The CSMS sends this CALL (camelCase payload)."""
        if action in _REPORTS:
            self._reports += 1
        elif action == "TriggerMessage":
            requested = str(payload["requestedMessage"])
            self._triggered[_TRIGGERED_ACTION.get(requested, requested)] += 1

    def refuses(self, action: str, payload: Mapping[str, Any], boot_status: str | None) -> bool:
        """Whether the station's CALL gets SecurityError; an allowed triggered message uses
        up its trigger (a report, its last part: `tbc` false)."""
        if boot_status not in _NOT_ACCEPTED or action == "BootNotification":
            return False
        if action == "NotifyReport" and self._reports > 0:
            if not payload.get("tbc", False):
                self._reports -= 1
            return False
        if self._triggered[action] > 0:
            self._triggered[action] -= 1
            return False
        return True
