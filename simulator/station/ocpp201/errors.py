"""OCPP-J 2.0.1's CALLERROR codes (Part 4 section 4.3) and what a 2.0.1 session answers to a
frame it cannot use (sections 4.2.3, 4.4).

2.0.1 corrects the two spellings 1.6 kept as typos (`FormationViolation`,
`OccurenceConstraintViolation`) and adds `MessageTypeNotSupported` and `RpcFrameworkError`."""

from __future__ import annotations

from typing import Final

from simulator.station.frames import ErrorCode, Framing

_SPELLING_201: Final[dict[ErrorCode, str]] = {
    ErrorCode.FORMATION_VIOLATION: "FormatViolation",
    ErrorCode.OCCURENCE_CONSTRAINT_VIOLATION: "OccurrenceConstraintViolation",
}

UNREADABLE_MESSAGE_ID: Final = "-1"
"""Section 4.2.3: "When also the MessageId cannot be read, the CALLERROR SHALL contain "-1"
as MessageId"."""

FRAMING_201: Final = Framing(
    ErrorCode.RPC_FRAMEWORK_ERROR,
    unknown_type=ErrorCode.MESSAGE_TYPE_NOT_SUPPORTED,
    unreadable_id=UNREADABLE_MESSAGE_ID,
)
"""A message that is no RPC message is answered RpcFrameworkError ("Content of the call is not
a valid RPC Request, for example: MessageId could not be read", 4.3) with id "-1" when its id
cannot be read or breaks string[36] (4.1.4, 4.2.3); an unknown message type is answered
MessageTypeNotSupported (4.4), with its id when it has a usable one. A broken CALLRESULT or
CALLERROR whose type is known is still answered by nobody: a CALLERROR answers a CALL."""


def spell_error_201(code: ErrorCode) -> str:
    """The code as OCPP-J 2.0.1 writes it on the wire (section 4.3, table 8)."""
    return _SPELLING_201.get(code, code.value)


__all__ = ["FRAMING_201", "UNREADABLE_MESSAGE_ID", "spell_error_201"]
