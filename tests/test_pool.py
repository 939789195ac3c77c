"""Pools with real worker processes hosting `tests.pool_elements.RecordingHost`."""

from __future__ import annotations

import asyncio
import gc
import itertools
import os
import signal
import sys
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from workers.collector import FIRST_GENERATION_THRESHOLD
from workers.messages import (
    ElementEvents,
    PoolEvent,
    RemoteError,
    RequestTimeout,
    WorkerExited,
    WorkerStarted,
)
from workers.pool import (
    DynamicPool,
    ElementError,
    PoolOptions,
    ProcessPool,
    StaticPool,
    WorkerPool,
    WorkerSet,
    WorkerStartError,
    make_pool,
)

pytestmark = pytest.mark.process

HOST = "tests.pool_elements:RecordingHost"
WAIT = 10.0


class EventLog:
    """Reads a pool's events in the background so a test can wait for what it expects."""

    def __init__(self, pool: WorkerPool) -> None:
        self.events: list[PoolEvent] = []
        self.ended = False
        self._changed = asyncio.Event()
        self._task = asyncio.get_running_loop().create_task(self._read(pool))

    async def _read(self, pool: WorkerPool) -> None:
        async for event in pool.events():
            self.events.append(event)
            self._changed.set()
        self.ended = True
        self._changed.set()

    async def wait_for(self, condition: Callable[[EventLog], bool], within: float = WAIT) -> None:
        async with asyncio.timeout(within):
            while not condition(self):
                self._changed.clear()
                await self._changed.wait()

    def of(self, kind: type[Any]) -> list[Any]:
        return [event for event in self.events if isinstance(event, kind)]

    def element_events(self) -> list[Any]:
        return [event for batch in self.of(ElementEvents) for event in batch.events]

    def added(self) -> set[str]:
        return {e[1] for e in self.element_events() if e[0] == "added"}


Build = Callable[..., ProcessPool]


@pytest.fixture
async def build() -> AsyncIterator[Build]:
    """Build pools of a kind with the test host; every pool is stopped after the test."""
    pools: list[ProcessPool] = []

    def make(kind: type[ProcessPool], factory: str = HOST, **options: Any) -> ProcessPool:
        options.setdefault("event_flush_interval", 0.05)
        pool = kind(factory, **options)
        pools.append(pool)
        return pool

    yield make
    for pool in pools:
        await pool.stop(timeout=2)


async def started(pool: ProcessPool) -> EventLog:
    log = EventLog(pool)
    async with asyncio.timeout(WAIT):
        await pool.start()
    return log


def owners(pool: WorkerPool, ids: list[str]) -> dict[str, int | None]:
    return {element_id: pool.owner(element_id) for element_id in ids}


def pid_of(answer: Any) -> int:
    assert isinstance(answer, dict), answer
    pid: int = answer["pid"]
    return pid


def is_running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


async def gone(pid: int, within: float) -> bool:
    for _ in range(int(within / 0.05)):
        if not is_running(pid):
            return True
        await asyncio.sleep(0.05)
    return False


ids = [f"e{i}" for i in range(7)]
specs = [(element_id, {"n": i}) for i, element_id in enumerate(ids)]


@pytest.mark.key("worker.elementsPerWorker")
async def test_worker_set_opens_a_worker_each_time_the_others_are_full(build: Build) -> None:
    pool = build(WorkerSet, elements_per_worker=3, start_delay_ms=10)
    log = await started(pool)
    assert pool.worker_count == 1

    outcome = await pool.add_many(specs)

    assert outcome.failed == {}
    assert owners(pool, ids) == {
        "e0": 0, "e1": 0, "e2": 0, "e3": 1, "e4": 1, "e5": 1, "e6": 2,
    }  # fmt: skip
    assert (pool.worker_count, pool.element_count) == (3, 7)
    answers = await pool.request("held")
    assert {wid: a["held"] for wid, a in answers.items()} == {
        0: ["e0", "e1", "e2"],
        1: ["e3", "e4", "e5"],
        2: ["e6"],
    }
    await log.wait_for(lambda log: len(log.of(WorkerStarted)) == 3)
    assert len({event.pid for event in log.of(WorkerStarted)}) == 3


@pytest.mark.key("worker.startDelay")
async def test_worker_set_waits_its_start_delay_between_worker_starts(build: Build) -> None:
    pool = build(WorkerSet, elements_per_worker=1, start_delay_ms=150)
    began = time.monotonic()
    await started(pool)

    await pool.add_many(specs[:3])

    # Workers 1 and 2 start 150 ms after worker 0 and after each other.
    assert time.monotonic() - began >= 0.3
    assert pool.worker_count == 3


async def test_static_pool_round_robin_spreads_elements_evenly(build: Build) -> None:
    pool = build(StaticPool, size=3, strategy="ROUND_ROBIN")
    await started(pool)
    assert pool.worker_count == 3

    assert await pool.add("e0", None) == 0
    await pool.add_many(specs[1:])

    assert owners(pool, ids) == {
        "e0": 0, "e1": 1, "e2": 2, "e3": 0, "e4": 1, "e5": 2, "e6": 0,
    }  # fmt: skip


@pytest.mark.key("worker.poolStrategy")
async def test_static_pool_least_used_refills_the_emptiest_worker(build: Build) -> None:
    pool = build(StaticPool, size=2, strategy="FAIR_SHARE")  # modelled as LEAST_USED
    await started(pool)
    await pool.add_many(specs[:4])
    assert owners(pool, ids[:4]) == {"e0": 0, "e1": 1, "e2": 0, "e3": 1}

    await pool.remove_many(["e0", "e2"])
    await pool.add_many([("x", None), ("y", None), ("z", None)])

    assert owners(pool, ["x", "y", "z"]) == {"x": 0, "y": 0, "z": 0}


async def test_requests_go_only_to_the_workers_owning_the_elements(build: Build) -> None:
    pool = build(StaticPool, size=3)
    await started(pool)
    await pool.add_many(specs[:6])  # e0, e3 -> 0; e1, e4 -> 1; e2, e5 -> 2

    one = await pool.request("held", ["e0", "e3", "unknown"])
    two = await pool.request("held", ["e0", "e1"])
    every = await pool.request("held")

    assert one == {0: {"pid": pid_of(one[0]), "asked": ["e0", "e3"], "held": ["e0", "e3"]}}
    assert {wid: a["asked"] for wid, a in two.items()} == {0: ["e0"], 1: ["e1"]}
    assert {wid: a["asked"] for wid, a in every.items()} == {0: None, 1: None, 2: None}
    assert len({pid_of(a) for a in every.values()}) == 3


async def test_worker_failures_come_back_as_values(build: Build) -> None:
    pool = build(StaticPool, size=2)
    await started(pool)
    await pool.add_many([("a", None), ("b", None)])

    failed = await pool.request("fail", ["a"])
    slow = await pool.request(("sleep", 5), ["b"], timeout=0.2)
    unpicklable = await pool.request("unpicklable", ["a"])

    assert isinstance(failed[0], RemoteError)
    assert (failed[0].type_name, failed[0].message) == ("RuntimeError", "asked to fail")
    assert "asked to fail" in failed[0].traceback
    assert slow == {1: RequestTimeout(worker_id=1, timeout=0.2)}
    assert isinstance(unpicklable[0], RemoteError)


async def test_events_arrive_in_batches_not_one_message_per_event(build: Build) -> None:
    pool = build(StaticPool, size=1, event_flush_interval=0.2)
    log = await started(pool)

    await pool.add_many((f"s{i}", None) for i in range(300))
    await log.wait_for(lambda log: len(log.added()) == 300)

    batches = log.of(ElementEvents)
    assert all(batch.worker_id == 0 for batch in batches)
    assert len(batches) <= 3
    assert [e[1] for e in log.element_events()] == [f"s{i}" for i in range(300)]


async def test_a_worker_collects_garbage_after_ten_thousand_young_containers(
    build: Build,
) -> None:
    """workers/collector.py: the first threshold raised, the older generations' as they were."""
    pool = build(StaticPool, size=1)
    await started(pool)

    thresholds = (await pool.request("gc"))[0]

    assert tuple(thresholds) == (FIRST_GENERATION_THRESHOLD, *gc.get_threshold()[1:])


async def test_a_worker_gives_its_loop_a_turn_between_two_adds(build: Build) -> None:
    """Issue 16: the stations added so far connect and boot while the rest are built, not
    after the last of thousands (10,000 booted in 15-19 s instead of 23-24 s)."""
    pool = build(StaticPool, size=1, host_options={"count_turns": True})
    log = await started(pool)
    await pool.add_many((f"s{i}", None) for i in range(50))
    await log.wait_for(lambda log: len(log.added()) == 50)

    turns = (await pool.request("turns"))[0]

    assert all(later > earlier for earlier, later in itertools.pairwise(turns))


async def test_the_cycles_removed_elements_leave_are_collected(build: Build) -> None:
    """workers/collector.py: what the adds left alive is out of the collector's sight, given
    back for one collection once elements are removed."""
    pool = build(StaticPool, size=1)
    log = await started(pool)
    await pool.add_many((f"s{i}", None) for i in range(10))
    await log.wait_for(lambda log: len(log.added()) == 10)
    assert (await pool.request("cycles"))[0] == 10

    for i in range(4):
        await pool.remove(f"s{i}")

    assert (await pool.request("cycles"))[0] == 6


async def test_removed_elements_leave_their_worker(build: Build) -> None:
    pool = build(StaticPool, size=2)
    log = await started(pool)
    await pool.add_many(specs[:4])

    await pool.remove("e1")

    assert pool.owner("e1") is None
    assert pool.element_count == 3
    assert (await pool.request("held", ["e3"]))[1]["held"] == ["e3"]
    await log.wait_for(lambda log: ("removed", "e1") in log.element_events())
    with pytest.raises(KeyError):
        await pool.remove("e1")


async def test_an_element_the_host_refuses_is_reported_and_forgotten(build: Build) -> None:
    pool = build(StaticPool, size=1)
    await started(pool)

    outcome = await pool.add_many([("good", None), ("bad", "refuse")])

    assert outcome.placed == {"good": 0}
    assert outcome.failed["bad"].type_name == "ValueError"
    assert pool.owner("bad") is None
    with pytest.raises(ElementError, match="refused worse"):
        await pool.add("worse", "refuse")
    with pytest.raises(ValueError, match="already placed"):
        await pool.add("good", None)


async def test_thousands_of_elements_are_added_without_a_round_trip_each(build: Build) -> None:
    pool = build(StaticPool, size=2, strategy="LEAST_USED")
    await started(pool)
    began = time.monotonic()

    outcome = await pool.add_many((f"s{i}", {"i": i}) for i in range(10_000))

    assert len(outcome.placed) == 10_000
    assert time.monotonic() - began < 5
    answers = await pool.request("held")
    assert [len(a["held"]) for a in answers.values()] == [5000, 5000]


@pytest.mark.key("worker.elementStartDelay")
async def test_element_start_delay_spaces_adds_within_each_worker(build: Build) -> None:
    pool = build(StaticPool, size=2, element_start_delay_ms=100)
    await started(pool)
    began = time.monotonic()

    await pool.add_many(specs[:6])

    elapsed = time.monotonic() - began
    for times in (await pool.request("added_at")).values():
        starts = sorted(times.values())
        assert len(starts) == 3
        assert all(b - a >= 0.095 for a, b in itertools.pairwise(starts))
    # Workers ramp up side by side: one after the other would take 5 delays.
    assert elapsed < 0.5


async def test_stop_stops_every_host_and_joins_every_worker(build: Build) -> None:
    pool = build(WorkerSet, elements_per_worker=2, start_delay_ms=0)
    log = await started(pool)
    await pool.add_many(specs[:5])
    pids = [pid_of(a) for a in (await pool.request("held")).values()]
    assert len(pids) == 3

    await pool.stop(timeout=5)

    assert not any(is_running(pid) for pid in pids)
    assert pool.worker_count == 0
    await log.wait_for(lambda log: log.ended)
    exits = log.of(WorkerExited)
    assert sorted((e.worker_id, e.exitcode) for e in exits) == [(0, 0), (1, 0), (2, 0)]
    stopped = [e for e in log.element_events() if e[0] == "stopped"]
    assert sorted(stopped) == [
        ("stopped", ["e0", "e1"]),
        ("stopped", ["e2", "e3"]),
        ("stopped", ["e4"]),
    ]
    # A worker's last events are delivered before its exit is reported.
    for worker_id in (0, 1, 2):
        position = {
            type(e): i
            for i, e in enumerate(log.events)
            if getattr(e, "worker_id", None) == worker_id
        }
        assert position[ElementEvents] < position[WorkerExited]


async def test_a_killed_worker_is_reported_with_its_exit_code(build: Build) -> None:
    pool = build(StaticPool, size=2)
    log = await started(pool)
    await pool.add_many(specs[:4])
    pid = pid_of((await pool.request("held", ["e1"]))[1])

    os.kill(pid, signal.SIGKILL)
    await log.wait_for(lambda log: bool(log.of(WorkerExited)))

    assert log.of(WorkerExited) == [WorkerExited(worker_id=1, exitcode=-signal.SIGKILL)]
    assert pool.worker_count == 1
    assert owners(pool, ["e1", "e3"]) == {"e1": 1, "e3": 1}  # kept for a respawn
    answer = (await pool.request("held", ["e1"]))[1]
    assert isinstance(answer, RemoteError)
    assert answer.type_name == "WorkerExited"
    assert set(await pool.request("held")) == {0}
    assert await pool.add("late", None) == 0


async def test_a_worker_killed_while_writing_does_not_cut_off_the_others(build: Build) -> None:
    pool = build(StaticPool, size=2, host_options={"chatter": 200_000}, event_flush_interval=0.001)
    log = await started(pool)
    pid = pid_of((await pool.request("held"))[1])
    await asyncio.sleep(0.2)

    os.kill(pid, signal.SIGKILL)
    await log.wait_for(lambda log: bool(log.of(WorkerExited)))

    assert (await pool.request("loop", timeout=5))[0] in {"uvloop", "asyncio.unix_events"}


async def test_sigterm_stops_a_worker_gracefully(build: Build) -> None:
    pool = build(StaticPool, size=1)
    log = await started(pool)
    await pool.add("a", None)
    pid = pid_of((await pool.request("held"))[0])

    os.kill(pid, signal.SIGTERM)
    await log.wait_for(lambda log: bool(log.of(WorkerExited)))

    assert ("stopped", ["a"]) in log.element_events()
    assert log.of(WorkerExited) == [WorkerExited(worker_id=0, exitcode=0)]


async def test_sigint_is_left_to_the_parent(build: Build) -> None:
    pool = build(StaticPool, size=1)
    await started(pool)
    pid = pid_of((await pool.request("held"))[0])

    os.kill(pid, signal.SIGINT)
    await asyncio.sleep(0.1)

    assert pid_of((await pool.request("held", timeout=2))[0]) == pid


ORPHANING_PARENT = f"""
import asyncio, os
from workers.pool import StaticPool

async def main():
    pool = StaticPool({HOST!r}, size=1)
    await pool.start()
    answer = await pool.request("held")
    print(answer[0]["pid"], flush=True)
    os._exit(0)  # dies without stopping its pool

if __name__ == "__main__":
    asyncio.run(main())
"""


async def test_a_worker_whose_parent_died_exits(tmp_path: Path) -> None:
    script = tmp_path / "orphaning_parent.py"
    script.write_text(ORPHANING_PARENT)
    parent = await asyncio.create_subprocess_exec(
        sys.executable,
        str(script),
        cwd=Path(__file__).parent.parent,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).parent.parent)},
        stdout=asyncio.subprocess.PIPE,
    )
    async with asyncio.timeout(WAIT):
        out, _ = await parent.communicate()
    pid = int(out)

    assert await gone(pid, within=WAIT)


async def test_a_host_that_does_not_stop_is_terminated(build: Build) -> None:
    pool = build(StaticPool, size=1, host_options={"hang_on_stop": True})
    log = await started(pool)
    began = time.monotonic()

    await pool.stop(timeout=0.3)

    assert time.monotonic() - began < 3
    await log.wait_for(lambda log: log.ended)
    assert log.of(WorkerExited) == [WorkerExited(worker_id=0, exitcode=-signal.SIGTERM)]


@pytest.mark.key("worker.poolMaxSize")
async def test_dynamic_pool_grows_when_full_and_shrinks_when_idle(build: Build) -> None:
    pool = build(DynamicPool, min_size=1, max_size=3, capacity_per_worker=2, idle_timeout=0.3)
    log = await started(pool)
    assert pool.worker_count == 1

    await pool.add_many(specs[:5])
    assert pool.worker_count == 3
    assert owners(pool, ids[:5]) == {"e0": 0, "e1": 0, "e2": 1, "e3": 1, "e4": 2}
    await pool.add_many(specs[5:])  # e5 fills worker 2; e6 goes past capacity at max_size
    assert pool.worker_count == 3

    await pool.remove_many(ids[2:6])  # workers 1 and 2 empty (2 still holds e6)
    await pool.remove("e6")
    await log.wait_for(lambda log: len(log.of(WorkerExited)) == 2, within=5)

    assert sorted(e.worker_id for e in log.of(WorkerExited)) == [1, 2]
    assert all(e.exitcode == 0 for e in log.of(WorkerExited))
    assert pool.worker_count == 1
    assert set(await pool.request("held")) == {0}


async def test_a_factory_that_fails_stops_the_start(build: Build) -> None:
    pool = build(StaticPool, factory="tests.pool_elements:BrokenHost", size=2)

    with pytest.raises(WorkerStartError, match="no stations today"):
        await pool.start()
    assert pool.worker_count == 0


@pytest.mark.parametrize(("use_uvloop", "module"), [(True, "uvloop"), (False, "asyncio")])
async def test_workers_run_uvloop_when_asked(build: Build, use_uvloop: bool, module: str) -> None:
    pool = build(StaticPool, size=1, use_uvloop=use_uvloop)
    await started(pool)

    answer = (await pool.request("loop"))[0]

    assert answer.split(".")[0] == module


@pytest.mark.key("worker.processType")
def test_make_pool_builds_the_configured_kind() -> None:
    assert isinstance(make_pool(PoolOptions(factory=HOST)), WorkerSet)
    static = make_pool(PoolOptions(factory=HOST, process_type="staticPool", pool_max_size=3))
    assert isinstance(static, StaticPool)
    assert static._initial_size() == 3
    dynamic = make_pool(PoolOptions(factory=HOST, process_type="dynamicPool", pool_min_size=2))
    assert isinstance(dynamic, DynamicPool)
    assert dynamic._initial_size() == 2


def test_make_pool_rejects_unknown_settings() -> None:
    with pytest.raises(ValueError, match="processType"):
        make_pool(PoolOptions(factory=HOST, process_type="threads"))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="ROUND_ROBIN"):
        make_pool(PoolOptions(factory=HOST, process_type="staticPool", pool_strategy="RANDOM"))
    with pytest.raises(ValueError, match=r"package\.module:Name"):
        make_pool(PoolOptions(factory="tests.pool_elements"))


async def test_a_killed_worker_is_replaced_with_its_elements_when_respawn_is_on(
    build: Build,
) -> None:
    pool = build(StaticPool, size=2, respawn=True, respawn_delay=0.05)
    log = await started(pool)
    await pool.add_many(specs[:4])
    pid = pid_of((await pool.request("held", ["e1"]))[1])

    os.kill(pid, signal.SIGKILL)
    await log.wait_for(lambda log: len(log.of(WorkerStarted)) == 3)

    def restored(log: EventLog) -> bool:
        new_worker = [b for b in log.of(ElementEvents) if b.worker_id == 2]
        return {e[1] for b in new_worker for e in b.events if e[0] == "added"} == {"e1", "e3"}

    await log.wait_for(restored)

    assert owners(pool, ["e1", "e3"]) == {"e1": 2, "e3": 2}
    assert pool.worker_count == 2 and pool.respawns == 1
    answer = (await pool.request("held", ["e1", "e3"]))[2]
    assert answer["held"] == ["e1", "e3"]
    assert pid_of(answer) != pid


async def test_a_retired_or_stopped_worker_is_not_replaced(build: Build) -> None:
    pool = build(StaticPool, size=1, respawn=True, respawn_delay=0.05)
    log = await started(pool)
    await pool.add_many(specs[:2])
    await pool.stop(timeout=2)
    assert log.of(WorkerExited) and len(log.of(WorkerStarted)) == 1
    assert pool.respawns == 0
