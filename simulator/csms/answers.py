"""What a CSMS that does not recognise retransmissions keeps of the transaction messages it got.

Such a CSMS (as many real ones) gives every StartTransaction a new id. A station that sends again
a transaction message the CSMS answered (its answer was not yet on disk when the station was
killed, say) then leaves a second transaction, and the first open forever. To tell that apart
from a station doing the right thing, the ledger keeps a fingerprint of each transaction message
and whether its answer left: received again after its answer left, a message is a duplicate (the
station's fault); received again after its answer could not be sent (the connection was closing),
it is a retransmission, as OCPP 1.6 section 3.7 asks. One fingerprint per message for the life of
the CSMS: a mode for tests, not for a long-running central system.
"""

from collections.abc import Mapping
from enum import Enum
from typing import Any

import orjson

START = "StartTransaction"
STOP = "StopTransaction"
METER_VALUES = "MeterValues"
_TRANSACTION_ACTIONS = frozenset({START, STOP, METER_VALUES})


class Seen(Enum):
    FIRST = "first"
    DUPLICATE = "duplicate"  # its answer had left: the station had it
    RETRANSMISSION = "retransmission"  # its answer never left


def fingerprint(station_id: str, action: str, payload: Mapping[str, Any]) -> int | None:
    """The message's identity (the same payload sent again by the same station has the same
    one; two stations may send the same payload); None for a message that is not a transaction
    message (section 3.7: MeterValues only of a transaction)."""
    if action not in _TRANSACTION_ACTIONS:
        return None
    if action == METER_VALUES and payload.get("transactionId") is None:
        return None
    return hash((station_id, action, orjson.dumps(payload, option=orjson.OPT_SORT_KEYS)))


class AnswerLedger:
    def __init__(self) -> None:
        self._answered: set[int] = set()
        self._unanswered: set[int] = set()

    def seen(self, key: int) -> Seen:
        if key in self._answered:
            return Seen.DUPLICATE
        if key in self._unanswered:
            return Seen.RETRANSMISSION
        return Seen.FIRST

    def answered(self, key: int) -> None:
        self._answered.add(key)
        self._unanswered.discard(key)

    def unanswered(self, key: int) -> None:
        if key not in self._answered:
            self._unanswered.add(key)
