"""OCPP-J frames (OCPP-J 1.6 section 4): parsing, encoding and the error code of each bad shape."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from simulator.station.frames import (
    Call,
    CallError,
    CallResult,
    ErrorCode,
    FrameError,
    OcppError,
    encode_call,
    encode_error,
    encode_result,
    parse,
)

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)
payloads = st.dictionaries(st.text(max_size=12), json_values, max_size=5)
message_ids = st.text(min_size=1, max_size=36)
names = st.text(min_size=1, max_size=30)


def frame_error(data: str | bytes) -> FrameError:
    with pytest.raises(FrameError) as caught:
        parse(data)
    return caught.value


# -- round trips -------------------------------------------------------------------------------


@given(message_ids, names, payloads)
def test_a_call_survives_encoding_and_parsing(
    message_id: str, action: str, payload: dict[str, Any]
) -> None:
    assert parse(encode_call(message_id, action, payload)) == Call(message_id, action, payload)


@given(message_ids, payloads)
def test_a_call_result_survives_encoding_and_parsing(
    message_id: str, payload: dict[str, Any]
) -> None:
    assert parse(encode_result(message_id, payload)) == CallResult(message_id, payload)


@given(message_ids, names, st.text(), payloads)
def test_a_call_error_survives_encoding_and_parsing(
    message_id: str, code: str, description: str, details: dict[str, Any]
) -> None:
    frame = parse(encode_error(message_id, code, description, details))
    assert frame == CallError(message_id, code, description, details)


def test_a_call_is_encoded_as_a_four_item_array() -> None:
    """OCPP-J 4.2.1: [2, "<UniqueId>", "<Action>", {<Payload>}]."""
    encoded = encode_call("19223201", "BootNotification", {"chargePointVendor": "VendorX"})
    assert orjson.loads(encoded) == [
        2,
        "19223201",
        "BootNotification",
        {"chargePointVendor": "VendorX"},
    ]


def test_a_call_result_is_encoded_as_a_three_item_array() -> None:
    """OCPP-J 4.2.2: [3, "<UniqueId>", {<Payload>}]."""
    assert orjson.loads(encode_result("19223201", {"status": "Accepted"})) == [
        3,
        "19223201",
        {"status": "Accepted"},
    ]


def test_a_call_error_without_description_or_details_carries_empty_ones() -> None:
    """OCPP-J 4.2.3: description "" if none; "If there are no error details you MUST fill in an
    empty object {}"."""
    assert orjson.loads(encode_error("162376037", ErrorCode.NOT_SUPPORTED)) == [
        4,
        "162376037",
        "NotSupported",
        "",
        {},
    ]


def test_bytes_parse_like_text() -> None:
    """OCPP-J 4.1.2: a frame is UTF-8 JSON, whether it came in a text or a binary message."""
    text = encode_call("1", "Heartbeat", {})
    assert parse(text.encode()) == parse(text)


def test_the_spec_example_of_a_call_parses() -> None:
    """OCPP-J 4.2.1, the BootNotification example."""
    frame = parse(
        '[2, "19223201", "BootNotification",'
        ' {"chargePointVendor": "VendorX", "chargePointModel": "SingleSocketCharger"}]'
    )
    assert frame == Call(
        "19223201",
        "BootNotification",
        {"chargePointVendor": "VendorX", "chargePointModel": "SingleSocketCharger"},
    )


def test_the_spec_example_of_a_call_error_parses() -> None:
    """OCPP-J errata 3.9, the CallError example."""
    frame = parse('[4, "162376037", "NotSupported", "SendLocalList.req not implemented", {}]')
    assert frame == CallError("162376037", "NotSupported", "SendLocalList.req not implemented")


# -- empty payloads ----------------------------------------------------------------------------


def test_a_null_call_payload_is_an_empty_object() -> None:
    """OCPP-J 4.2.1: an empty payload may be written null or {}."""
    assert parse('[2, "1", "Heartbeat", null]') == parse('[2, "1", "Heartbeat", {}]')
    assert parse('[2, "1", "Heartbeat", null]') == Call("1", "Heartbeat", {})


def test_a_null_call_result_payload_is_an_empty_object() -> None:
    """OCPP-J 4.2.2: an empty payload may be written null or {}."""
    assert parse('[3, "1", null]') == CallResult("1", {})


def test_a_call_error_with_null_description_and_details_reads_as_empty() -> None:
    assert parse('[4, "1", "GenericError", null, null]') == CallError("1", "GenericError", "", {})


# -- message ids -------------------------------------------------------------------------------


def test_a_message_id_of_36_characters_is_accepted() -> None:
    """OCPP-J 4.1.4: a message id has at most 36 characters, to allow for UUIDs."""
    message_id = "x" * 36
    assert parse(encode_call(message_id, "Heartbeat", {})) == Call(message_id, "Heartbeat", {})


def test_a_call_with_a_message_id_over_36_characters_is_a_formation_violation() -> None:
    """OCPP-J 4.1.4 and 4.2.3: "unique identifier too long" is answered with a CallError,
    so the id is kept for the answer."""
    message_id = "x" * 37
    error = frame_error(encode_call(message_id, "Heartbeat", {}))
    assert error.code is ErrorCode.FORMATION_VIOLATION
    assert error.message_id == message_id


def test_an_answer_with_a_message_id_over_36_characters_cannot_be_answered() -> None:
    """OCPP-J 4.2.3: a CallError answers a CALL; a broken answer gets no answer of its own."""
    error = frame_error(encode_result("x" * 37, {}))
    assert error.code is ErrorCode.FORMATION_VIOLATION
    assert error.message_id is None


def test_a_message_id_that_is_not_a_string_is_a_formation_violation() -> None:
    """OCPP-J 4.1.4: the message id is a string."""
    error = frame_error('[2, 19223201, "Heartbeat", {}]')
    assert error.code is ErrorCode.FORMATION_VIOLATION
    assert error.message_id is None


# -- malformed frames --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    ["", "[2, ", "not json", b"\xff\xfe", '[2, "1", "Heartbeat", {}'],
    ids=["empty", "truncated", "text", "not-utf8", "unclosed"],
)
def test_invalid_json_is_a_formation_violation(data: str | bytes) -> None:
    """OCPP-J 4.1.2: the whole message must be valid UTF-8 JSON."""
    error = frame_error(data)
    assert error.code is ErrorCode.FORMATION_VIOLATION
    assert error.message_id is None


@pytest.mark.parametrize("data", ['{"id": "1"}', '"call"', "2", "null", "[]", "[2]"], ids=str)
def test_anything_but_an_array_of_at_least_three_items_is_a_formation_violation(
    data: str,
) -> None:
    """OCPP-J 4.2: every frame is an array [type, id, ...] of 3 to 5 items."""
    error = frame_error(data)
    assert error.code is ErrorCode.FORMATION_VIOLATION
    assert error.message_id is None


@pytest.mark.parametrize(
    "data",
    ['[2, "7", "Heartbeat"]', '[2, "7", "Heartbeat", {}, {}]'],
    ids=["three-items", "five-items"],
)
def test_a_call_without_exactly_four_items_is_a_formation_violation(data: str) -> None:
    """OCPP-J 4.2.1: "A Call always consists of 4 elements"."""
    error = frame_error(data)
    assert error.code is ErrorCode.FORMATION_VIOLATION
    assert error.message_id == "7"


def test_a_call_whose_action_is_not_a_string_is_a_formation_violation() -> None:
    """OCPP-J 4.2.1: the action is a case-sensitive string."""
    error = frame_error('[2, "7", 42, {}]')
    assert error.code is ErrorCode.FORMATION_VIOLATION
    assert error.message_id == "7"


@pytest.mark.parametrize("payload", ["[]", '"text"', "1", "true"])
def test_a_call_whose_payload_is_not_an_object_is_a_formation_violation(payload: str) -> None:
    """OCPP-J 4.2.1: the payload is a JSON object."""
    error = frame_error(f'[2, "7", "Heartbeat", {payload}]')
    assert error.code is ErrorCode.FORMATION_VIOLATION
    assert error.message_id == "7"


def test_a_call_result_without_exactly_three_items_is_a_formation_violation() -> None:
    """OCPP-J 4.2.2: "A CallResult always consists of 3 elements"; being an answer itself, it
    is not answered."""
    error = frame_error('[3, "7", {}, {}]')
    assert error.code is ErrorCode.FORMATION_VIOLATION
    assert error.message_id is None


def test_a_call_result_whose_payload_is_not_an_object_is_a_formation_violation() -> None:
    """OCPP-J 4.2.2: the payload is a JSON object."""
    error = frame_error('[3, "7", ["Accepted"]]')
    assert error.code is ErrorCode.FORMATION_VIOLATION
    assert error.message_id is None


@pytest.mark.parametrize(
    "data",
    ['[4, "7", "GenericError", ""]', '[4, "7", "GenericError", "", {}, 1]'],
    ids=["four-items", "six-items"],
)
def test_a_call_error_without_exactly_five_items_is_a_formation_violation(data: str) -> None:
    """OCPP-J 4.2.3: "A CallError always consists of 5 elements"."""
    error = frame_error(data)
    assert error.code is ErrorCode.FORMATION_VIOLATION
    assert error.message_id is None


def test_a_call_error_whose_code_is_not_a_string_is_a_formation_violation() -> None:
    """OCPP-J 4.2.3: the errorCode is a string from the table of error codes."""
    error = frame_error('[4, "7", 500, "", {}]')
    assert error.code is ErrorCode.FORMATION_VIOLATION
    assert error.message_id is None


@pytest.mark.parametrize("kind", ["0", "1", "5", '"2"', "null", "true"])
def test_an_unknown_message_type_is_a_protocol_error_nobody_answers(kind: str) -> None:
    """OCPP-J 4.1.3: a message type number not in (2, 3, 4) is ignored by the receiver."""
    error = frame_error(f'[{kind}, "7", "Heartbeat", {{}}]')
    assert error.code is ErrorCode.PROTOCOL_ERROR
    assert error.message_id is None


def test_a_call_of_two_items_is_answered_with_a_formation_violation() -> None:
    """OCPP-J 4.2.1 and 4.2.3: a CALL without action and payload still carries a usable id, so
    the CALLERROR can reach its sender."""
    error = frame_error('[2, "7"]')
    assert error.code is ErrorCode.FORMATION_VIOLATION
    assert error.message_id == "7"


def test_a_call_with_an_empty_message_id_is_a_formation_violation() -> None:
    """OCPP-J 4.1.4: the message id "serves to identify a request"; an empty one identifies
    none. Answered, with the empty id, so the sender can still match it."""
    error = frame_error('[2, "", "Heartbeat", {}]')
    assert error.code is ErrorCode.FORMATION_VIOLATION
    assert error.message_id == ""


def test_an_answer_with_an_empty_message_id_is_not_answered() -> None:
    """OCPP-J 4.2.3: a CallError answers a CALL only."""
    error = frame_error('[3, "", {}]')
    assert error.code is ErrorCode.FORMATION_VIOLATION
    assert error.message_id is None


@pytest.mark.parametrize("kind", ["2.0", "3.0", "4.0"])
def test_a_message_type_written_as_a_float_is_unknown(kind: str) -> None:
    """OCPP-J 4.1.3: a MessageTypeNumber is an integer; anything else is ignored."""
    error = frame_error(f'[{kind}, "7", "Heartbeat", {{}}]')
    assert error.code is ErrorCode.PROTOCOL_ERROR
    assert error.message_id is None


def test_an_unknown_message_type_with_a_non_string_id_is_still_only_unknown() -> None:
    """OCPP-J 4.1.3: the type is read first; an unknown type is ignored whatever follows."""
    error = frame_error("[5, 7]")
    assert error.code is ErrorCode.PROTOCOL_ERROR


def test_a_deeply_nested_message_type_is_described_without_recursing() -> None:
    """A hostile value nested near the parser's depth limit must not reach repr(), which
    raises RecursionError at about a thousand levels."""
    depth = 1000
    error = frame_error("[" + "[" * depth + "]" * depth + ', "7", "Heartbeat", {}]')
    assert error.code is ErrorCode.PROTOCOL_ERROR
    assert len(error.description) < 100


def test_a_huge_message_type_is_described_in_a_few_characters() -> None:
    error = frame_error(orjson.dumps(["x" * 100_000, "7", "Heartbeat", {}]))
    assert error.code is ErrorCode.PROTOCOL_ERROR
    assert len(error.description) < 100


def test_json_nested_beyond_the_parser_limit_is_a_formation_violation() -> None:
    """OCPP-J 4.1.2: a message the receiver cannot read as JSON has no usable id."""
    depth = 2000
    error = frame_error('[2, "7", "DataTransfer", ' + "[" * depth + "]" * depth + "]")
    assert error.code is ErrorCode.FORMATION_VIOLATION
    assert error.message_id is None


def test_a_call_error_whose_description_is_not_a_string_reads_as_empty() -> None:
    """OCPP-J 4.2.3: the answer still fails its CALL with the code; a nested description is
    never turned into text (str() of a deep list recurses)."""
    depth = 1000
    frame = parse('[4, "7", "GenericError", ' + "[" * depth + "]" * depth + ", {}]")
    assert frame == CallError("7", "GenericError", "", {})


# -- error codes -------------------------------------------------------------------------------


def test_error_codes_are_spelled_as_on_the_wire() -> None:
    """OCPP-J 4.2.3 table 7, with the spellings OCPP-J errata 5.1 and 5.2 keep for 1.6, and the
    two codes OCPP-J 2.0.1 adds (Part 4 4.3 table 8; its own spellings: test_rpc201.py)."""
    assert {code.value for code in ErrorCode} == {
        "NotImplemented",
        "NotSupported",
        "InternalError",
        "ProtocolError",
        "SecurityError",
        "FormationViolation",
        "PropertyConstraintViolation",
        "OccurenceConstraintViolation",
        "TypeConstraintViolation",
        "GenericError",
        "MessageTypeNotSupported",
        "RpcFrameworkError",
    }


def test_an_ocpp_error_without_description_reads_as_its_code() -> None:
    error = OcppError(ErrorCode.NOT_SUPPORTED)
    assert str(error) == "NotSupported"
    assert error.description == ""
    assert error.details == {}
