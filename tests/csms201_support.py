"""What the tests of the bundled CSMS's OCPP 2.0.1 side share: a TransactionEventRequest
builder (camelCase, schema-valid)."""

from typing import Any

NOW = "2024-05-01T12:00:00Z"
TOKEN = {"idToken": "TAG", "type": "ISO14443"}


def event(
    event_type: str,
    seq_no: int,
    transaction_id: str = "tx-1",
    *,
    energy_wh: float | None = None,
    offline: bool = False,
    **extra: Any,
) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "eventType": event_type,
        "timestamp": NOW,
        "triggerReason": {"Started": "CablePluggedIn", "Ended": "EVCommunicationLost"}.get(
            event_type, "MeterValuePeriodic"
        ),
        "seqNo": seq_no,
        "transactionInfo": {"transactionId": transaction_id, "chargingState": "Charging"},
        **extra,
    }
    if energy_wh is not None:
        payload["meterValue"] = [
            {
                "timestamp": NOW,
                "sampledValue": [
                    {"value": energy_wh / 1000, "unitOfMeasure": {"unit": "kWh"}},
                    {"value": 7400, "measurand": "Power.Active.Import"},
                ],
            }
        ]
    if offline:
        payload["offline"] = True
    return payload
