"""What an OCPP-J 2.0.1 session answers to a frame it cannot use (Part 4 sections 4.1.3, 4.1.4,
4.2.3, 4.3, 4.4), beside 1.6's answers to the same frames (OCPP-J 1.6 4.1.3, 4.2.3), which stay
as they were."""

from __future__ import annotations

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from simulator.station.frames import (
    FRAMING_16,
    Call,
    ErrorCode,
    FrameError,
    Framing,
    parse,
)
from simulator.station.ocpp201.errors import FRAMING_201, spell_error_201


def refusal(data: str, framing: Framing) -> tuple[str | None, str]:
    """The (message id, code as the version spells it) a frame is answered with."""
    with pytest.raises(FrameError) as caught:
        parse(data, framing)
    spell = spell_error_201 if framing is FRAMING_201 else ErrorCode.__str__
    return caught.value.message_id, spell(caught.value.code)


UNREADABLE = [
    pytest.param('[2, "7", "Reset", {', id="invalid JSON"),
    pytest.param('{"type": "Immediate"}', id="an object, not an array"),
    pytest.param("[]", id="an empty array"),
    pytest.param('[2, 7, "Reset", {"type": "Immediate"}]', id="a CALL with a number as id"),
    pytest.param('[2, "", "Reset", {"type": "Immediate"}]', id="a CALL with an empty id"),
    pytest.param(f'[2, "{"x" * 37}", "Reset", {{"type": "Immediate"}}]', id="a 37-char id"),
]


@pytest.mark.parametrize("data", UNREADABLE)
def test_a_message_whose_id_cannot_be_read_is_answered_rpc_framework_error_with_id_minus_1(
    data: str,
) -> None:
    """P4 4.2.3: "When also the MessageId cannot be read, the CALLERROR SHALL contain "-1" as
    MessageId"; 4.3 RpcFrameworkError: "Content of the call is not a valid RPC Request, for
    example: MessageId could not be read". An id breaking string[36] (4.1.4) is not echoed."""
    assert refusal(data, FRAMING_201) == ("-1", "RpcFrameworkError")


@pytest.mark.parametrize(
    ("data", "answer"),
    [
        pytest.param('[2, "7", "Reset", {', None, id="invalid JSON"),
        pytest.param('{"type": "Soft"}', None, id="an object, not an array"),
        pytest.param('[2, 7, "Reset", {"type": "Soft"}]', None, id="a CALL with a number as id"),
        pytest.param('[2, "", "Reset", {"type": "Soft"}]', "", id="a CALL with an empty id"),
    ],
)
def test_1_6_answers_only_a_call_with_a_string_id(data: str, answer: str | None) -> None:
    """OCPP-J 1.6 4.2.3: a CALLERROR answers a CALL; without a readable id there is none to
    answer (unchanged by 2.0.1)."""
    assert refusal(data, FRAMING_16) == (answer, "FormationViolation")


def test_an_unknown_message_type_is_answered_message_type_not_supported_with_its_id() -> None:
    """P4 4.4: "it SHALL respond with an CALLERROR with errorCode: MessageTypeNotSupported"."""
    data = '[5, "csms-9", "Reset", {"type": "Immediate"}]'
    assert refusal(data, FRAMING_201) == ("csms-9", "MessageTypeNotSupported")


@pytest.mark.parametrize(
    "data", ["[6]", "[7, 12, {}]", f'[8, "{"y" * 37}"]', '["2", "", "Reset", {}]', "[2.0, 5]"]
)
def test_an_unknown_message_type_without_a_usable_id_is_answered_with_id_minus_1(
    data: str,
) -> None:
    assert refusal(data, FRAMING_201) == ("-1", "MessageTypeNotSupported")


def test_1_6_ignores_an_unknown_message_type() -> None:
    """OCPP-J 1.6 4.1.3: "it SHALL ignore the message payload" (nothing is answered)."""
    assert refusal('[5, "csms-9", "Reset", {"type": "Soft"}]', FRAMING_16)[0] is None


@pytest.mark.parametrize(
    "data",
    ["[3, 7, {}]", '[3, "1", "Accepted"]', '[4, "1", 500, "", {}]', f'[3, "{"x" * 37}", {{}}]'],
)
def test_a_broken_answer_is_answered_by_nobody_in_2_0_1_too(data: str) -> None:
    """P4 4.2.3: CALLERROR is used for a received call; a CALLRESULT or CALLERROR is no call."""
    assert refusal(data, FRAMING_201)[0] is None


def test_a_call_of_the_wrong_shape_is_an_rpc_framework_error_with_its_id() -> None:
    assert refusal('[2, "csms-1", "Reset"]', FRAMING_201) == ("csms-1", "RpcFrameworkError")


def test_a_payload_that_is_no_object_is_a_format_violation() -> None:
    """P4 4.3 FormatViolation: "Payload for Action is syntactically incorrect"."""
    assert refusal('[2, "csms-1", "Reset", ["Immediate"]]', FRAMING_201) == (
        "csms-1",
        "FormatViolation",
    )


def test_a_good_call_parses_the_same_under_either_framing() -> None:
    data = '[2, "csms-1", "Reset", {"type": "Immediate"}]'
    assert (
        parse(data, FRAMING_201)
        == parse(data, FRAMING_16)
        == Call("csms-1", "Reset", {"type": "Immediate"})
    )


json_frames = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 10) | st.text(max_size=40),
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=4), children)
    ),
    max_leaves=8,
)


@given(st.one_of(json_frames.map(lambda value: orjson.dumps(value).decode()), st.text()))
def test_a_2_0_1_answer_never_carries_an_id_over_36_characters(data: str) -> None:
    """P4 4.1.4: a message id is string[36], the station's CALLERRORs included."""
    try:
        parse(data, FRAMING_201)
    except FrameError as exc:
        assert exc.message_id is None or 0 < len(exc.message_id) <= 36


def test_a_message_type_written_as_a_string_is_unknown() -> None:
    """P4 4.1.3: the MessageTypeNumber is an integer; "2" is not one."""
    assert refusal('["2", "csms-1", "Reset", {}]', FRAMING_201) == (
        "csms-1",
        "MessageTypeNotSupported",
    )
