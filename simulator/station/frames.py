"""OCPP-J message frames (OCPP-J 1.6 section 4): parsing and encoding, no I/O.

Payloads stay plain dicts: the hot path of a fleet is one MeterValues frame per station every few
seconds, and dataclass conversion per frame costs far more than the JSON itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import orjson

CALL = 2
CALLRESULT = 3
CALLERROR = 4

MAX_MESSAGE_ID_LENGTH = 36  # OCPP-J 4.1.4
_SUMMARY_LENGTH = 40


class ErrorCode(StrEnum):
    """CALLERROR codes of OCPP-J 1.6 section 4.2.3, spelled as on the wire in 1.6. A session
    sends them as its version's adapter spells them (RpcSession's `spell_error`).

    The spelling "OccurenceConstraintViolation" and the name "FormationViolation" are known typos
    that the errata (section 5) keep on purpose, since peers match on these exact strings.
    """

    NOT_IMPLEMENTED = "NotImplemented"
    NOT_SUPPORTED = "NotSupported"
    INTERNAL_ERROR = "InternalError"
    PROTOCOL_ERROR = "ProtocolError"
    SECURITY_ERROR = "SecurityError"
    FORMATION_VIOLATION = "FormationViolation"
    PROPERTY_CONSTRAINT_VIOLATION = "PropertyConstraintViolation"
    OCCURENCE_CONSTRAINT_VIOLATION = "OccurenceConstraintViolation"
    TYPE_CONSTRAINT_VIOLATION = "TypeConstraintViolation"
    GENERIC_ERROR = "GenericError"


@dataclass(frozen=True, slots=True)
class Call:
    message_id: str
    action: str
    payload: dict[str, Any]


@dataclass(frozen=True, slots=True)
class CallResult:
    message_id: str
    payload: dict[str, Any]


@dataclass(frozen=True, slots=True)
class CallError:
    message_id: str
    code: str
    description: str = ""
    details: dict[str, Any] = field(default_factory=dict)


Frame = Call | CallResult | CallError


class FrameError(Exception):
    """A frame that cannot be understood.

    `message_id` is set only when the frame is a CALL with a usable id: a CALLERROR answers a
    CALL (OCPP-J 4.2.3), never a CALLRESULT or CALLERROR, which are themselves answers.
    """

    def __init__(self, code: ErrorCode, description: str, message_id: str | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.message_id = message_id


class OcppError(Exception):
    """Raised by a handler (or a validator) to answer a CALL with a CALLERROR."""

    def __init__(
        self, code: ErrorCode, description: str = "", details: dict[str, Any] | None = None
    ) -> None:
        super().__init__(description or code.value)
        self.code = code
        self.description = description
        self.details = details or {}


def encode_call(message_id: str, action: str, payload: dict[str, Any]) -> str:
    return orjson.dumps([CALL, message_id, action, payload]).decode()


def encode_result(message_id: str, payload: dict[str, Any]) -> str:
    return orjson.dumps([CALLRESULT, message_id, payload]).decode()


def encode_error(
    message_id: str, code: str, description: str = "", details: dict[str, Any] | None = None
) -> str:
    return orjson.dumps([CALLERROR, message_id, code, description, details or {}]).decode()


def parse(data: str | bytes) -> Frame:
    """Parse one WebSocket message into a frame, or raise FrameError with the code to answer.

    Nothing read off the wire is echoed into an error description or a log line beyond a short
    summary (`_summary`): a hostile peer's values may be megabytes long or nested a thousand deep,
    where `repr` itself fails.
    """
    try:
        message = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise FrameError(ErrorCode.FORMATION_VIOLATION, f"invalid JSON: {exc}") from None
    if not isinstance(message, list) or not message:
        raise FrameError(ErrorCode.FORMATION_VIOLATION, "a frame is a JSON array [type, id, ...]")
    kind = message[0]
    # OCPP-J 4.1.3: an unknown message type is ignored by the receiver, so it is not answered.
    # A MessageTypeNumber is an integer: true (a Python int) and 2.0 (== 2) are not one.
    if type(kind) is not int or kind not in (CALL, CALLRESULT, CALLERROR):
        raise FrameError(ErrorCode.PROTOCOL_ERROR, f"unknown message type {_summary(kind)}")
    if len(message) < 2 or not isinstance(message[1], str):
        raise FrameError(ErrorCode.FORMATION_VIOLATION, "message id must be a string")
    message_id: str = message[1]
    # Only a CALL is answered with a CALLERROR; a broken answer is reported to nobody.
    answer_to = message_id if kind == CALL else None
    if not message_id:
        # OCPP-J 4.1.4: the id "serves to identify a request"; an empty one identifies none.
        raise FrameError(ErrorCode.FORMATION_VIOLATION, "message id is empty", answer_to)
    if len(message_id) > MAX_MESSAGE_ID_LENGTH:
        raise FrameError(
            ErrorCode.FORMATION_VIOLATION, "message id longer than 36 characters", answer_to
        )
    if kind == CALL:
        if len(message) != 4 or not isinstance(message[2], str):
            raise FrameError(
                ErrorCode.FORMATION_VIOLATION, "CALL is [2, id, action, payload]", message_id
            )
        return Call(message_id, message[2], _payload(message[3], message_id))
    if kind == CALLRESULT:
        if len(message) != 3:
            raise FrameError(ErrorCode.FORMATION_VIOLATION, "CALLRESULT is [3, id, payload]")
        return CallResult(message_id, _payload(message[2], None))
    if len(message) != 5 or not isinstance(message[2], str):
        raise FrameError(
            ErrorCode.FORMATION_VIOLATION, "CALLERROR is [4, id, code, description, details]"
        )
    # Lenient on the optional parts, so the CALL it answers still fails with its code.
    description = message[3] if isinstance(message[3], str) else ""
    details = message[4] if isinstance(message[4], dict) else {}
    return CallError(message_id, message[2], description, details)


def _summary(value: Any) -> str:
    if isinstance(value, list | dict):
        return f"<{type(value).__name__} of {len(value)}>"
    text = repr(value)
    return text if len(text) <= _SUMMARY_LENGTH else text[:_SUMMARY_LENGTH] + "..."


def _payload(value: Any, answer_to: str | None) -> dict[str, Any]:
    # OCPP-J 4.2.1/4.2.2: an empty payload may be written null or {}.
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise FrameError(ErrorCode.FORMATION_VIOLATION, "payload must be a JSON object", answer_to)
    return value
