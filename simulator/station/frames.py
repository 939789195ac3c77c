"""OCPP-J message frames (OCPP-J 1.6 section 4, 2.0.1 Part 4 section 4): parsing and encoding,
no I/O. What a version answers to a frame it cannot use is its `Framing`.

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
    """CALLERROR codes of OCPP-J 1.6 section 4.2.3, spelled as on the wire in 1.6, and the two
    that 2.0.1 adds (Part 4 section 4.3), which only a 2.0.1 `Framing` chooses. A session sends
    them as its version's adapter spells them (RpcSession's `spell_error`).

    The spelling "OccurenceConstraintViolation" and the name "FormationViolation" are known typos
    that the 1.6 errata (section 5) keep on purpose, since peers match on these exact strings;
    2.0.1 corrects them (ocpp201/errors.py).
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
    # OCPP 2.0.1 only.
    MESSAGE_TYPE_NOT_SUPPORTED = "MessageTypeNotSupported"
    RPC_FRAMEWORK_ERROR = "RpcFrameworkError"


@dataclass(frozen=True, slots=True)
class Framing:
    """What a version answers to a frame it cannot use (`parse` puts it in the FrameError)."""

    malformed: ErrorCode
    """the code for a message that is no RPC message: not JSON, not an array, no usable id, a
    CALL of the wrong shape (a payload that is no object is FormationViolation in every
    version: "Payload for Action is syntactically incorrect")"""
    unknown_type: ErrorCode | None
    """the answer to a MessageTypeNumber not in the list; None: ignored"""
    unreadable_id: str | None
    """the message id answering a message whose id cannot be read, or breaks string[36] (an
    answer must not echo it); None: such a message is not answered, and a CALL's empty or
    too long id is echoed"""


FRAMING_16 = Framing(ErrorCode.FORMATION_VIOLATION, unknown_type=None, unreadable_id=None)
"""OCPP-J 1.6: an unknown message type is ignored (4.1.3); only a CALL with a string id is
answered (a CALLERROR answers a CALL, 4.2.3)."""


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

    `message_id` is the id of the CALLERROR to answer with, None for no answer: in 1.6 it is set
    only when the frame is a CALL with a string id, since a CALLERROR answers a CALL (OCPP-J
    4.2.3), never a CALLRESULT or CALLERROR, which are themselves answers; a `Framing` may also
    answer what cannot be read (2.0.1: id "-1").
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


def parse(data: str | bytes, framing: Framing = FRAMING_16) -> Frame:
    """Parse one WebSocket message into a frame, or raise FrameError with the code to answer
    and the id to answer with, as `framing` says.

    Nothing read off the wire is echoed into an error description or a log line beyond a short
    summary (`_summary`): a hostile peer's values may be megabytes long or nested a thousand deep,
    where `repr` itself fails.
    """
    try:
        message = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise FrameError(framing.malformed, f"invalid JSON: {exc}", framing.unreadable_id) from None
    if not isinstance(message, list) or not message:
        raise FrameError(
            framing.malformed, "a frame is a JSON array [type, id, ...]", framing.unreadable_id
        )
    kind = message[0]
    # A MessageTypeNumber is an integer: true (a Python int) and 2.0 (== 2) are not one.
    if type(kind) is not int or kind not in (CALL, CALLRESULT, CALLERROR):
        # 1.6 4.1.3: ignored, so not answered; 2.0.1 4.4: answered with MessageTypeNotSupported.
        description = f"unknown message type {_summary(kind)}"
        if framing.unknown_type is None:
            raise FrameError(ErrorCode.PROTOCOL_ERROR, description)
        raise FrameError(framing.unknown_type, description, _usable_id(message, framing))
    if len(message) < 2 or not isinstance(message[1], str):
        # Only a CALL is answered with a CALLERROR; a broken answer is reported to nobody.
        raise FrameError(
            framing.malformed,
            "message id must be a string",
            framing.unreadable_id if kind == CALL else None,
        )
    message_id: str = message[1]
    answer_to = message_id if kind == CALL else None
    if not message_id or len(message_id) > MAX_MESSAGE_ID_LENGTH:
        if answer_to is not None and framing.unreadable_id is not None:
            answer_to = framing.unreadable_id
        # OCPP-J 4.1.4: the id "serves to identify a request"; an empty one identifies none.
        reason = "is empty" if not message_id else "longer than 36 characters"
        raise FrameError(framing.malformed, f"message id {reason}", answer_to)
    if kind == CALL:
        if len(message) != 4 or not isinstance(message[2], str):
            raise FrameError(framing.malformed, "CALL is [2, id, action, payload]", message_id)
        return Call(message_id, message[2], _payload(message[3], message_id))
    if kind == CALLRESULT:
        if len(message) != 3:
            raise FrameError(framing.malformed, "CALLRESULT is [3, id, payload]")
        return CallResult(message_id, _payload(message[2], None))
    if len(message) != 5 or not isinstance(message[2], str):
        raise FrameError(framing.malformed, "CALLERROR is [4, id, code, description, details]")
    # Lenient on the optional parts, so the CALL it answers still fails with its code.
    description = message[3] if isinstance(message[3], str) else ""
    details = message[4] if isinstance(message[4], dict) else {}
    return CallError(message_id, message[2], description, details)


def _usable_id(message: list[Any], framing: Framing) -> str | None:
    """The message's id when it is one (a string of 1 to 36 characters), else the framing's."""
    candidate = message[1] if len(message) > 1 else None
    if isinstance(candidate, str) and 0 < len(candidate) <= MAX_MESSAGE_ID_LENGTH:
        return candidate
    return framing.unreadable_id


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
