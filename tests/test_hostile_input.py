"""A hostile CSMS (issue 5): a seeded stream of malformed and hostile frames against a fleet of
real stations over real sockets on 127.0.0.1.

Every CALL-shaped frame with a usable message id must get the CALLERROR that OCPP-J 1.6
section 4.2.3 names (or, for a frame over the station's max size, a clean close with 1009 and a
reconnect); every other frame gets nothing; afterwards every station still serves the CSMS and
no station task died. Fixed seeds run every time and one new seed each run; a failure prints
the command that replays its seed (EVSIM_HOSTILE_SEED=<seed> and the test's node id).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import random
from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import pytest
from loguru import logger
from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

from simulator.station.clock import SystemClock
from simulator.station.frames import ErrorCode, OcppError
from simulator.station.ocpp16 import schemas
from simulator.station.station import OPEN, ChargingStation
from tests.fleet import specs_for
from tests.replay import Replay
from tests.transports import EACH
from tests.waiting import eventually

pytestmark = [pytest.mark.integration, EACH]

STATIONS = 10
PROBES_PER_STATION = 1000  # each probe is one to three frames: > 10,000 frames in all
HUGE_FRAMES_PER_STATION = 2
MAX_FRAME = 64 * 1024  # the stations' wsOptions.maxPayload
ANSWER_TIMEOUT = 5.0
RUN_TIMEOUT = 60.0
CONNECTORS = 3  # quick_template: connector 0 and two physical ones

RESULT = "result"  # the outcome of a CALLRESULT; a CALLERROR's outcome is its code
FORMATION = ErrorCode.FORMATION_VIOLATION.value
OCCURENCE = ErrorCode.OCCURENCE_CONSTRAINT_VIOLATION.value
TYPE = ErrorCode.TYPE_CONSTRAINT_VIOLATION.value
PROPERTY = ErrorCode.PROPERTY_CONSTRAINT_VIOLATION.value
NOT_IMPLEMENTED = ErrorCode.NOT_IMPLEMENTED.value
NOT_SUPPORTED = ErrorCode.NOT_SUPPORTED.value
GENERIC = ErrorCode.GENERIC_ERROR.value

Answers = Counter[tuple[str, str]]  # (message id, outcome) -> count


SEED_VARIABLE = "EVSIM_HOSTILE_SEED"
# Seeds run every time, so what they find fails every run; the RANDOM case searches further
# with a new seed each run (or the one SEED_VARIABLE names, to replay it).
FIXED_SEEDS = (1, 2, 3, 4)
RANDOM = "random"


def fuzz_seed(case: int | str) -> int:
    if isinstance(case, int):
        return case
    given = os.environ.get(SEED_VARIABLE)
    return int(given) if given else random.SystemRandom().randrange(2**32)


def random_case_id(node_id: str) -> str:
    """The node id of the RANDOM case of the test `node_id` is a case of."""
    return node_id.rsplit("[", 1)[0] + f"[{RANDOM}]"


# -- the hostile frames ---------------------------------------------------------------------------


@dataclass
class Probe:
    """Frames sent back to back, and what the station may answer: one of `accept` (multisets of
    (id, outcome)); `closes`: the station must close the connection with 1009 instead."""

    name: str
    frames: list[str | bytes]
    accept: list[Answers] = field(default_factory=lambda: [Counter()])
    closes: bool = False


def answered(message_id: str, outcome: str) -> list[Answers]:
    return [Counter({(message_id, outcome): 1})]


# JSON nested deeper than orjson writes (254 levels), spliced into a frame as text.
_RAW: dict[str, str] = {}
_RAW_IDS = itertools.count()


def dumps(value: Any) -> str:
    text = orjson.dumps(value).decode()
    for token, raw in _RAW.items():
        text = text.replace(f'"{token}"', raw)
    _RAW.clear()  # placeholders drawn for a choice not taken
    return text


# Payloads that break their action's schema in exactly one way, with the code OCPP-J 4.2.3
# gives that way (a missing field: occurrence; a wrong JSON type: type; a value outside its
# enum or length: property; a field the PDU does not have: formation).
Violation = Callable[[random.Random], tuple[str, Any, str]]


def text(rng: random.Random, size: int = 12) -> str:
    alphabet = 'abcXYZ019 -_"\\/\n\t\x00\x7f\u00e9\u4e2d\U0001f600'
    return "".join(rng.choice(alphabet) for _ in range(rng.randint(1, size)))


def not_a_string(rng: random.Random) -> Any:
    return rng.choice([rng.randint(-(2**63), 2**63 - 1), 1.5, True, None, [text(rng)], {}])


def not_an_integer(rng: random.Random) -> Any:
    return rng.choice([text(rng), 1.5, 2.0, True, None, [1], {"n": 1}])


def nested(rng: random.Random) -> str:
    """A placeholder that dumps() replaces with a value nested up to 1000 levels deep, within
    the station's parser limit (1024 for a whole frame)."""
    depth = rng.randint(1, 1000)
    opening = [rng.choice(("[", '{"n":')) for _ in range(depth)]
    closing = ["]" if item == "[" else "}" for item in reversed(opening)]
    token = f"@raw{next(_RAW_IDS)}@"
    _RAW[token] = "".join(opening) + "1" + "".join(closing)
    return token


VIOLATIONS: list[Violation] = [
    lambda rng: ("ChangeAvailability", {"connectorId": 1}, OCCURENCE),
    lambda rng: (
        "ChangeAvailability",
        {"connectorId": not_an_integer(rng), "type": "Operative"},
        TYPE,
    ),
    lambda rng: ("ChangeAvailability", {"connectorId": 1, "type": "Not" + text(rng)}, PROPERTY),
    lambda rng: ("ChangeConfiguration", {"key": "HeartbeatInterval"}, OCCURENCE),
    lambda rng: ("ChangeConfiguration", {"key": not_a_string(rng), "value": "1"}, TYPE),
    lambda rng: (
        "ChangeConfiguration",
        {"key": "k" * rng.randint(51, 500), "value": "1"},
        PROPERTY,
    ),
    lambda rng: ("GetConfiguration", {"key": text(rng)}, TYPE),
    lambda rng: ("GetConfiguration", {"key": ["k" * rng.randint(51, 500)]}, PROPERTY),
    lambda rng: ("Reset", {}, OCCURENCE),
    lambda rng: ("Reset", {"type": "Not" + text(rng)}, PROPERTY),
    lambda rng: ("Reset", {"type": not_a_string(rng)}, TYPE),
    lambda rng: ("TriggerMessage", {}, OCCURENCE),
    lambda rng: ("TriggerMessage", {"requestedMessage": "Not" + text(rng)}, PROPERTY),
    lambda rng: (
        "TriggerMessage",
        {"requestedMessage": "Heartbeat", "connectorId": not_an_integer(rng)},
        TYPE,
    ),
    lambda rng: ("RemoteStartTransaction", {}, OCCURENCE),
    lambda rng: ("RemoteStartTransaction", {"idTag": "t" * rng.randint(21, 300)}, PROPERTY),
    lambda rng: ("RemoteStopTransaction", {"transactionId": not_an_integer(rng)}, TYPE),
    lambda rng: ("UnlockConnector", {}, OCCURENCE),
    lambda rng: ("DataTransfer", {}, OCCURENCE),
    lambda rng: ("DataTransfer", {"vendorId": "v" * rng.randint(256, 1000)}, PROPERTY),
    lambda rng: ("DataTransfer", {"vendorId": "v", "data": nested(rng)}, TYPE),
    lambda rng: ("SetChargingProfile", {"connectorId": 1}, OCCURENCE),
    lambda rng: ("ClearChargingProfile", {"id": not_an_integer(rng)}, TYPE),
    lambda rng: ("CancelReservation", {"reservationId": not_an_integer(rng)}, TYPE),
    lambda rng: ("SendLocalList", {"listVersion": 1}, OCCURENCE),
    lambda rng: ("GetDiagnostics", {}, OCCURENCE),
    lambda rng: ("UpdateFirmware", {"location": "ftp://x"}, OCCURENCE),
    lambda rng: ("ReserveNow", {"connectorId": 1}, OCCURENCE),
    lambda rng: (
        "GetCompositeSchedule",
        {"connectorId": 1, "duration": 10, "chargingRateUnit": "Not" + text(rng)},
        PROPERTY,
    ),
]

# Valid payloads of handled actions, for the "extra property" violation (OCPP-J errata 3.2:
# no field may be added to a message).
VALID_PAYLOADS: dict[str, dict[str, Any]] = {
    "ChangeAvailability": {"connectorId": 1, "type": "Operative"},
    "ChangeConfiguration": {"key": "HeartbeatInterval", "value": "3600"},
    "ClearCache": {},
    "GetConfiguration": {},
    "GetLocalListVersion": {},
    "Reset": {"type": "Soft"},
    "TriggerMessage": {"requestedMessage": "Heartbeat"},
    "DataTransfer": {"vendorId": "v"},
}


class ProbeMaker:
    """The seeded stream of one station: `probe()` draws the next hostile probe."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.ids = 0

    def new_id(self) -> str:
        self.ids += 1
        return f"h{self.ids}"

    def probe(self) -> Probe:
        makers: list[Callable[[], Probe]] = [
            self.invalid_json,
            self.not_an_array,
            self.wrong_message_type,
            self.missing_or_extra_elements,
            self.bad_action,
            self.bad_payload,
            self.unusable_message_id,
            self.empty_message_id,
            self.too_long_message_id,
            self.unknown_action,
            self.recognised_but_unsupported_action,
            self.schema_violation,
            self.extra_property,
            self.duplicate_message_id,
            self.answer_to_nothing,
            self.malformed_answer,
            self.too_deeply_nested,
        ]
        probe = self.rng.choice(makers)()
        if self.rng.random() < 0.1:  # OCPP-J 4.1.2: UTF-8 JSON, whatever the frame's opcode
            probe.name = f"binary {probe.name}"
            probe.frames = [f.encode() if isinstance(f, str) else f for f in probe.frames]
        return probe

    def invalid_json(self) -> Probe:
        valid = dumps([2, self.new_id(), "Reset", {"type": "Soft"}])
        frames: list[str | bytes] = [
            valid[: self.rng.randrange(len(valid))],
            valid.replace('"', "'"),
            '[2, "x", "Reset", NaN]',
            text(self.rng, 40),
            bytes(self.rng.randrange(256) for _ in range(self.rng.randint(1, 40))) + b"\xff",
        ]
        return Probe("invalid JSON", [self.rng.choice(frames)])

    def not_an_array(self) -> Probe:
        value: Any = self.rng.choice(
            [{"id": self.new_id()}, text(self.rng), 2, None, True, [], 1.5, {"2": "Reset"}]
        )
        return Probe("not an array", [dumps(value)])

    def wrong_message_type(self) -> Probe:
        kind: Any = self.rng.choice([0, 1, 5, 6, -2, 2**40, 2.0, 3.0, "2", None, True, [2], {}])
        return Probe("wrong message type", [dumps([kind, self.new_id(), "Reset", {}])])

    def missing_or_extra_elements(self) -> Probe:
        message_id = self.new_id()
        frame = self.rng.choice(
            [
                [2, message_id],
                [2, message_id, "GetConfiguration"],
                [2, message_id, "GetConfiguration", {}, {}],
                [2, message_id, "GetConfiguration", {}, None, 1],
            ]
        )
        return Probe("missing or extra elements", [dumps(frame)], answered(message_id, FORMATION))

    def bad_action(self) -> Probe:
        message_id = self.new_id()
        action = self.rng.choice([1, None, ["Reset"], {"a": "Reset"}, True])
        return Probe(
            "action not a string",
            [dumps([2, message_id, action, {}])],
            answered(message_id, FORMATION),
        )

    def bad_payload(self) -> Probe:
        message_id = self.new_id()
        payload = self.rng.choice([[], ["Soft"], text(self.rng), 1, True, 2.5])
        frame = dumps([2, message_id, "Reset", payload])
        return Probe("payload not an object", [frame], answered(message_id, FORMATION))

    def unusable_message_id(self) -> Probe:
        message_id = self.rng.choice([1, 1.5, None, True, ["h"], {"id": "h"}])
        return Probe("message id not a string", [dumps([2, message_id, "Reset", {}])])

    def empty_message_id(self) -> Probe:
        frame = dumps([2, "", "Reset", {"type": "Hard"}])
        return Probe("empty message id", [frame], answered("", FORMATION))

    def too_long_message_id(self) -> Probe:
        message_id = self.new_id().ljust(self.rng.randint(37, 2000), "x")
        frame = dumps([2, message_id, "Reset", {"type": "Hard"}])
        return Probe("message id over 36", [frame], answered(message_id, FORMATION))

    def unknown_action(self) -> Probe:
        message_id = self.new_id()
        action = self.rng.choice(
            ["", "reset", "RESET", "Reset ", "ResetResponse", "Nope" + text(self.rng), "A" * 5000]
        )
        payload: Any = self.rng.choice([{}, None, {"type": "Hard"}, {"x": nested(self.rng)}])
        frame = dumps([2, message_id, action, payload])
        return Probe("unknown action", [frame], answered(message_id, NOT_IMPLEMENTED))

    def recognised_but_unsupported_action(self) -> Probe:
        message_id = self.new_id()
        frame = dumps([2, message_id, "Heartbeat", {}])
        return Probe("action for the CSMS", [frame], answered(message_id, NOT_SUPPORTED))

    def schema_violation(self) -> Probe:
        action, payload, code = self.rng.choice(VIOLATIONS)(self.rng)
        message_id = self.new_id()
        frame = dumps([2, message_id, action, payload])
        return Probe(f"schema violation {code}", [frame], answered(message_id, code))

    def extra_property(self) -> Probe:
        action = self.rng.choice(sorted(VALID_PAYLOADS))
        payload = {**VALID_PAYLOADS[action], "x-" + text(self.rng): not_a_string(self.rng)}
        message_id = self.new_id()
        frame = dumps([2, message_id, action, payload])
        return Probe("extra property", [frame], answered(message_id, FORMATION))

    def duplicate_message_id(self) -> Probe:
        # The second CALL either finds the first still being answered (GenericError) or, when
        # the first was answered already, is a CALL like any other.
        message_id = self.new_id()
        action, payload, code = self.rng.choice(VIOLATIONS)(self.rng)
        frame = dumps([2, message_id, action, payload])
        return Probe(
            "duplicate message id",
            [frame, frame],
            [
                Counter({(message_id, code): 2}),
                Counter({(message_id, code): 1, (message_id, GENERIC): 1}),
            ],
        )

    def answer_to_nothing(self) -> Probe:
        message_id = "never-sent-" + self.new_id()
        frame = self.rng.choice(
            [
                [3, message_id, {"status": "Accepted"}],
                [3, message_id, None],
                [4, message_id, "GenericError", "", {}],
                [4, message_id, "NotACode", None, None],
            ]
        )
        return Probe("answer to an id never sent", [dumps(frame)])

    def malformed_answer(self) -> Probe:
        message_id = "never-sent-" + self.new_id()
        frame = self.rng.choice(
            [
                [3, message_id],
                [3, message_id, ["Accepted"]],
                [3, message_id, {}, {}],
                [4, message_id, 500, "", {}],
                [4, message_id, "GenericError"],
                [4, message_id, "GenericError", nested(self.rng), nested(self.rng)],
                [3, message_id.ljust(40, "x"), {}],
                [3, "", {}],
                [4, 7, "GenericError", "", {}],
            ]
        )
        return Probe("malformed answer", [dumps(frame)])

    def too_deeply_nested(self) -> Probe:
        # Past orjson's depth limit (1024): unreadable, so there is no id to answer.
        depth = self.rng.randint(1100, 5000)
        frame = f'[2, "{self.new_id()}", "DataTransfer", ' + "[" * depth + "]" * depth + "]"
        return Probe("nested beyond the parser's limit", [frame])

    def huge(self) -> Probe:
        data = "x" * (MAX_FRAME + self.rng.randint(1, MAX_FRAME))
        frame = dumps([2, self.new_id(), "DataTransfer", {"vendorId": "v", "data": data}])
        return Probe("frame over max size", [frame], closes=True)


# -- the hostile CSMS -------------------------------------------------------------------------


def outcome(frame: Any) -> tuple[str, str] | None:
    """(id, outcome) of a well-formed answer from the station, None for anything else."""
    if not isinstance(frame, list) or not frame:
        return None
    if frame[0] == 3 and len(frame) == 3 and isinstance(frame[1], str):
        return (frame[1], RESULT) if isinstance(frame[2], dict) else None
    if (
        frame[0] == 4
        and len(frame) == 5
        and isinstance(frame[1], str)
        and isinstance(frame[2], str)
        and frame[2] in {code.value for code in ErrorCode}
        and isinstance(frame[3], str)
        and isinstance(frame[4], dict)
    ):
        return frame[1], frame[2]
    return None


class Link:
    """One connection of one station: answers the station's CALLs like a CSMS and hands the
    station's answers to the test."""

    def __init__(self, websocket: ServerConnection) -> None:
        self.websocket = websocket
        self.answers: asyncio.Queue[Any] = asyncio.Queue()
        self.calls: Counter[str] = Counter()
        self.problems: list[str] = []

    async def serve(self) -> None:
        with contextlib.suppress(ConnectionClosed):
            async for data in self.websocket:
                frame = orjson.loads(data)
                if isinstance(frame, list) and frame and frame[0] == 2:
                    await self._answer_call(frame)
                else:
                    self.answers.put_nowait(frame)

    async def _answer_call(self, frame: list[Any]) -> None:
        _, message_id, action, payload = frame
        self.calls[action] += 1
        try:
            schemas.validate(action, payload)
        except OcppError as exc:
            self.problems.append(f"station sent an invalid {action}: {exc.description}")
        now = "2026-01-01T00:00:00Z"
        responses: dict[str, dict[str, Any]] = {
            "BootNotification": {"status": "Accepted", "currentTime": now, "interval": 3600},
            "StatusNotification": {},
            "Heartbeat": {"currentTime": now},
        }
        if action not in responses:
            self.problems.append(f"station sent an unexpected {action}")
            await self.websocket.send(dumps([4, message_id, "NotSupported", "", {}]))
            return
        await self.websocket.send(dumps([3, message_id, responses[action]]))

    async def answer(self) -> Any:
        return await asyncio.wait_for(self.answers.get(), ANSWER_TIMEOUT)


class HostileCsms:
    def __init__(self) -> None:
        self.links: dict[str, asyncio.Queue[Link]] = {}
        self.url = ""

    def links_of(self, station_id: str) -> asyncio.Queue[Link]:
        return self.links.setdefault(station_id, asyncio.Queue())

    async def _handler(self, websocket: ServerConnection) -> None:
        station_id = (
            websocket.request.path.rstrip("/").rsplit("/", 1)[-1] if websocket.request else ""
        )
        link = Link(websocket)
        self.links_of(station_id).put_nowait(link)
        await link.serve()

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[HostileCsms]:
        async with serve(
            self._handler, "127.0.0.1", 0, subprotocols=[Subprotocol("ocpp1.6")]
        ) as server:
            port = next(iter(server.sockets)).getsockname()[1]
            self.url = f"ws://127.0.0.1:{port}"
            yield self


# -- the run --------------------------------------------------------------------------------------


@dataclass
class Report:
    frames: int = 0
    probes: Counter[str] = field(default_factory=Counter)
    duplicates_refused: int = 0
    closes: int = 0
    failures: list[str] = field(default_factory=list)


async def booted_link(csms: HostileCsms, station_id: str) -> Link:
    """The station's next connection, once it booted and reported every connector."""
    link = await asyncio.wait_for(csms.links_of(station_id).get(), 10)
    await eventually(lambda: link.calls["StatusNotification"] >= CONNECTORS, 10, "statuses")
    return link


async def attack(csms: HostileCsms, station_id: str, rng: random.Random, report: Report) -> Link:
    maker = ProbeMaker(rng)
    huge_at = set(rng.sample(range(PROBES_PER_STATION), HUGE_FRAMES_PER_STATION))
    link = await booted_link(csms, station_id)
    for number in range(PROBES_PER_STATION):
        probe = maker.huge() if number in huge_at else maker.probe()
        report.probes[probe.name] += 1
        report.frames += len(probe.frames)
        for frame in probe.frames:
            await link.websocket.send(frame)
        where = f"{station_id} probe {number} ({probe.name}: {str(probe.frames[0])[:80]!r})"
        if probe.closes:
            await asyncio.wait_for(link.websocket.wait_closed(), ANSWER_TIMEOUT)
            if link.websocket.close_code != 1009:
                report.failures.append(f"{where}: closed with {link.websocket.close_code}")
            report.closes += 1
            link = await booted_link(csms, station_id)
            continue
        expected = sum(probe.accept[0].values())
        got: Answers = Counter()
        for _ in range(expected):
            frame = await link.answer()
            answer = outcome(frame)
            if answer is None:
                report.failures.append(f"{where}: malformed answer {str(frame)[:200]}")
                return link
            got[answer] += 1
        if got not in probe.accept:
            report.failures.append(
                f"{where}: answered {dict(got)}, expected one of {[dict(a) for a in probe.accept]}"
            )
            return link
        if probe.name.endswith("duplicate message id") and any(
            result == GENERIC for _, result in got
        ):
            report.duplicates_refused += 1
    return link


async def still_serves(link: Link, station_id: str) -> list[str]:
    """A valid GetConfiguration and TriggerMessage are answered and acted on."""
    await link.websocket.send(
        dumps([2, "final-1", "GetConfiguration", {"key": ["HeartbeatInterval"]}])
    )
    answer = await link.answer()
    problems = []
    keys = answer[2].get("configurationKey") if answer[:2] == [3, "final-1"] else None
    if not keys or keys[0].get("key") != "HeartbeatInterval":
        problems.append(f"{station_id}: GetConfiguration answered {answer}")
    heartbeats = link.calls["Heartbeat"]
    await link.websocket.send(
        dumps([2, "final-2", "TriggerMessage", {"requestedMessage": "Heartbeat"}])
    )
    answer = await link.answer()
    if answer != [3, "final-2", {"status": "Accepted"}]:
        problems.append(f"{station_id}: TriggerMessage answered {answer}")
    await eventually(lambda: link.calls["Heartbeat"] > heartbeats, ANSWER_TIMEOUT, "Heartbeat")
    return problems


@pytest.mark.timeout(120)
@pytest.mark.parametrize(
    "case",
    [*FIXED_SEEDS, RANDOM],
    ids=lambda case: f"seed{case}" if isinstance(case, int) else str(case),
)
async def test_hostile_frames_get_spec_call_errors_and_every_station_keeps_working(
    tmp_path: Path, case: int | str, replay: Replay
) -> None:
    """OCPP-J 4.1.2-4.2.3: a CALL with a usable id gets the CALLERROR the spec names, anything
    else gets no answer, a frame over the max size closes with 1009 (RFC 6455 7.4.1)."""
    seed = fuzz_seed(case)
    command = replay.record({SEED_VARIABLE: str(seed)}, random_case_id(replay.item.nodeid))
    print(f"hostile input seed: {seed} (replay with {command})")
    errors: list[str] = []
    sink = logger.add(lambda message: errors.append(message.record["message"]), level="ERROR")
    report = Report()
    stations: list[ChargingStation] = []
    try:
        async with HostileCsms().running() as csms:
            specs = specs_for(tmp_path, csms.url, STATIONS, wsOptions={"maxPayload": MAX_FRAME})
            stations = [
                ChargingStation(spec, clock=SystemClock(), on_change=lambda s, d: None)
                for spec in specs
            ]
            for station in stations:
                await station.start()
            async with asyncio.timeout(RUN_TIMEOUT):
                links = await asyncio.gather(
                    *(
                        attack(csms, s.spec.station_id, random.Random(seed * 1000 + i), report)
                        for i, s in enumerate(stations)
                    )
                )
                assert not report.failures, f"seed {seed}:\n" + "\n".join(report.failures)
                for station, link in zip(stations, links, strict=True):
                    report.failures += await still_serves(link, station.spec.station_id)
                    report.failures += link.problems
                    assert link.answers.empty(), f"seed {seed}: unasked answers {link.answers}"
            lifecycles = {t.get_name(): t for t in asyncio.all_tasks()}
            for station in stations:
                task = lifecycles.get(f"station {station.spec.station_id}")
                assert task is not None and not task.done(), station.spec.station_id
                assert station.started and station.ws_state == OPEN
    finally:
        for station in stations:
            await station.stop()
        logger.remove(sink)
    print(
        f"{report.frames} frames, {sum(report.probes.values())} probes, {report.closes} closes "
        f"with 1009, {report.duplicates_refused} duplicates refused in flight"
    )
    assert not report.failures, f"seed {seed}:\n" + "\n".join(report.failures)
    assert report.frames >= 10_000
    assert report.closes == STATIONS * HUGE_FRAMES_PER_STATION
    assert not errors, f"seed {seed}: error logs {errors[:5]}"
