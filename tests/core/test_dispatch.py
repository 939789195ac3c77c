"""The dispatch of an incoming CALL (simulator/station/dispatch.py) against a fake version
adapter: which refusal each rule gives, in the order the rules apply. No socket, no station."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from simulator.station.dispatch import Answer, Dispatcher, disabled, outgoing_supported
from simulator.station.frames import ErrorCode, OcppError
from simulator.template_model import StationTemplate
from tests.fleet import quick_template


@dataclass
class FakeVersion:
    """A version with one handled action ("Echo"), one it defines but does not handle
    ("Defined"), refusing what `refused` names (as a version refuses by its registration's
    state)."""

    refused: frozenset[str] = frozenset()
    answered: list[dict[str, Any]] = field(default_factory=list)

    def refusal(self, action: str) -> OcppError | None:
        if action in self.refused:
            return OcppError(ErrorCode.SECURITY_ERROR, f"{action} refused now")
        return None

    def is_known_action(self, action: str) -> bool:
        return action in {"Echo", "Defined"}

    def handler(self, action: str) -> Answer | None:
        if action != "Echo":
            return None

        async def echo(payload: dict[str, Any]) -> dict[str, Any]:
            self.answered.append(payload)
            return {"echo": payload}

        return echo


@dataclass
class FakeHost:
    template: StationTemplate


def host(**template: Any) -> FakeHost:
    return FakeHost(StationTemplate.model_validate(quick_template(**template)))


async def refusal_code(dispatcher: Dispatcher, action: str) -> ErrorCode:
    with pytest.raises(OcppError) as caught:
        await dispatcher.handle(action, {})
    return caught.value.code


async def test_a_handled_action_is_answered_by_its_handler() -> None:
    version = FakeVersion()

    answer = await Dispatcher(version, host()).handle("Echo", {"n": 1})

    assert answer == {"echo": {"n": 1}}
    assert version.answered == [{"n": 1}]


async def test_an_action_of_the_version_without_a_handler_is_not_supported() -> None:
    """OCPP-J 4.2.3: NotSupported, "requested Action is recognized but not supported"."""
    assert await refusal_code(Dispatcher(FakeVersion(), host()), "Defined") == (
        ErrorCode.NOT_SUPPORTED
    )


async def test_an_action_the_version_does_not_define_is_not_implemented() -> None:
    """OCPP-J 4.2.3: NotImplemented, "requested Action is not known by receiver"."""
    assert await refusal_code(Dispatcher(FakeVersion(), host()), "FlyToTheMoon") == (
        ErrorCode.NOT_IMPLEMENTED
    )


async def test_an_action_commands_support_leaves_out_is_not_supported_and_not_handled() -> None:
    version = FakeVersion()
    dispatcher = Dispatcher(version, host(commandsSupport={"incomingCommands": {"Other": True}}))

    assert await refusal_code(dispatcher, "Echo") == ErrorCode.NOT_SUPPORTED
    assert version.answered == []


async def test_an_action_the_version_refuses_now_gets_the_versions_refusal() -> None:
    """The version's rule by the registration's state (1.6 section 4.2 with
    ocppStrictCompliance; 2.0.1 B03.FR.08): its refusal is the answer, no handler runs."""
    version = FakeVersion(refused=frozenset({"Echo"}))

    assert await refusal_code(Dispatcher(version, host()), "Echo") == ErrorCode.SECURITY_ERROR
    assert version.answered == []


async def test_commands_support_refuses_before_the_version_is_asked() -> None:
    version = FakeVersion(refused=frozenset({"Echo"}))
    dispatcher = Dispatcher(version, host(commandsSupport={"incomingCommands": {"Other": True}}))

    assert await refusal_code(dispatcher, "Echo") == ErrorCode.NOT_SUPPORTED


def test_an_outgoing_action_commands_support_leaves_out_is_not_sent() -> None:
    template = StationTemplate.model_validate(
        quick_template(commandsSupport={"outgoingCommands": {"Heartbeat": True}})
    )

    assert outgoing_supported(template, "Heartbeat")
    assert not outgoing_supported(template, "DataTransfer")


def test_without_commands_support_every_outgoing_action_is_sent() -> None:
    assert outgoing_supported(StationTemplate.model_validate(quick_template()), "Anything")


def test_a_disabled_call_fails_as_a_csms_refusal_would() -> None:
    """What the station's callers already handle: a CALLERROR NotSupported."""
    failure = disabled("Heartbeat")

    assert failure.action == "Heartbeat"
    assert failure.error.code == ErrorCode.NOT_SUPPORTED
