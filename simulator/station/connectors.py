"""Connector state as the UI and the CSMS see it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(slots=True)
class ConnectorState:
    connector_id: int
    status: str = "Available"
    availability: str = "Operative"
    error_code: str = "NoError"

    def as_data(self) -> dict[str, Any]:
        return {
            "connectorId": self.connector_id,
            "connectorStatus": {
                "status": self.status,
                "availability": self.availability,
                "errorCode": self.error_code,
            },
        }
