"""Station persistence (issue 5) and the persisted configuration's regeneration (issue 9):
`<stateDir>/configurations/<hashId>.json`, written atomically, debounced, off the loop; a
restarted station resumes where it was.

Station-level tests run a real station (OfflineStation: only the CSMS is in memory) over a state
directory, stop its store as a kill would leave it, and build the station of the next run from
what is on disk, as StationHost.add does."""

from __future__ import annotations

import asyncio
import json
import shutil
import threading
from pathlib import Path
from typing import Any

import orjson
import pytest
from loguru import logger

from simulator.config_loading import load_settings
from simulator.plan import StationSpec
from simulator.station import persistence
from simulator.station.host import StationHost
from simulator.station.persistence import (
    OpenFiles,
    StateStore,
    read_state,
    state_path,
    write_atomic,
)
from simulator.station.rpc import ConnectionLost
from simulator.supervisor import pool_options
from tests.fleet import quick_template, write_fleet
from tests.offline_station import FakeCsms, OfflineStation, make_station, shutdown
from tests.ui_fleet import HttpClient, running_fleet
from tests.virtual_clock import VirtualClock

pytestmark = pytest.mark.timeout(30)


# --- the store alone --------------------------------------------------------------------------


@pytest.mark.timeout(20)
def test_a_reader_never_sees_a_partial_file(tmp_path: Path) -> None:
    """Temp file + rename: whatever moment a reader (a restart) looks, it finds one whole
    version of the state, never a mix or a truncated file."""
    path = tmp_path / "station.json"
    versions = [orjson.dumps({"v": v, "pad": str(v) * 200_000}) for v in range(2)]
    write_atomic(path, versions[0])
    done = threading.Event()

    def writer() -> None:
        for i in range(200):
            write_atomic(path, versions[i % 2])
        done.set()

    thread = threading.Thread(target=writer)
    thread.start()
    reads = 0
    while not done.is_set() and reads < 5000:
        assert path.read_bytes() in versions
        reads += 1
    thread.join(10)
    assert reads > 0
    assert list(tmp_path.iterdir()) == [path]  # no temporary file left behind


def test_a_shorter_document_over_a_longer_one_reads_whole(tmp_path: Path) -> None:
    """Written in place: a shorter state is padded with spaces to the file's length (one
    pwrite a kill cannot split), and still reads as the new document."""
    files = OpenFiles()
    path = tmp_path / "station.json"
    try:
        files.write(path, orjson.dumps({"value": "x" * 100}))
        files.write(path, orjson.dumps({"value": 1}))
        assert read_state(path) == {"value": 1}
    finally:
        files.close_all()


def test_a_file_much_longer_than_its_document_is_cut_back(tmp_path: Path) -> None:
    files = OpenFiles()
    path = tmp_path / "station.json"
    try:
        files.write(path, orjson.dumps({"value": "x" * 20_000}))
        small = orjson.dumps({"value": 1})
        files.write(path, small)
        assert path.stat().st_size == len(small)
        assert read_state(path) == {"value": 1}
    finally:
        files.close_all()


def test_files_beyond_the_open_limit_are_closed_and_reopened_whole(tmp_path: Path) -> None:
    """Only the most recently written files keep a descriptor (sockets need them too); a file
    written again after its descriptor was closed is reopened, its length read back."""
    files = OpenFiles(max_open=2)
    paths = [tmp_path / f"{name}.json" for name in "abc"]
    try:
        for path in paths:
            files.write(path, orjson.dumps({"value": "x" * 50}))
        assert len(files._open) == 2
        files.write(paths[0], orjson.dumps({"value": 1}))
        assert [read_state(path) for path in paths] == [
            {"value": 1},
            {"value": "x" * 50},
            {"value": "x" * 50},
        ]
    finally:
        files.close_all()


def test_a_file_holding_the_fixed_part_has_only_the_rest_rewritten(tmp_path: Path) -> None:
    """The fixed part (the configuration keys: most of a document) is written once; a write
    with that same part writes only what follows it. Shown by a byte changed inside the fixed
    part behind the writer's back, which the second write leaves as it is."""
    files = OpenFiles()
    path = tmp_path / "station.json"
    fixed = (b'{"keys":', b'"aaaa"')
    try:
        files.write(path, b',"moving":1}', fixed)
        with path.open("r+b") as other:
            other.seek(9)  # the first "a"
            other.write(b"b")
        files.write(path, b',"moving":22}', fixed)
    finally:
        files.close_all()
    assert read_state(path) == {"keys": "baaa", "moving": 22}


def test_another_fixed_part_is_written_whole(tmp_path: Path) -> None:
    files = OpenFiles()
    path = tmp_path / "station.json"
    try:
        files.write(path, b',"moving":1}', (b'{"keys":"aaaa"',))
        files.write(path, b',"moving":2}', (b'{"keys":"b"',))
    finally:
        files.close_all()
    assert read_state(path) == {"keys": "b", "moving": 2}


def test_a_shorter_rest_after_the_fixed_part_reads_whole(tmp_path: Path) -> None:
    files = OpenFiles()
    path = tmp_path / "station.json"
    fixed = (b'{"keys":', b'"aaaa"')
    try:
        files.write(path, b',"moving":"' + b"x" * 100 + b'"}', fixed)
        files.write(path, b',"moving":1}', fixed)
    finally:
        files.close_all()
    assert read_state(path) == {"keys": "aaaa", "moving": 1}


def test_a_reopened_file_gets_its_fixed_part_again(tmp_path: Path) -> None:
    """Once its descriptor was closed, what the file starts with is not known: written whole."""
    files = OpenFiles(max_open=1)
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    fixed = (b'{"keys":', b'"aaaa"')
    try:
        files.write(first, b',"moving":1}', fixed)
        first.write_bytes(b'{"other":0}')  # replaced meanwhile
        files.write(second, b',"moving":1}', fixed)  # closes the first file's descriptor
        files.write(first, b',"moving":2}', fixed)
    finally:
        files.close_all()
    assert read_state(first) == {"keys": "aaaa", "moving": 2}


def test_a_state_file_left_by_a_previous_run_is_overwritten_whole(tmp_path: Path) -> None:
    path = tmp_path / "station.json"
    path.write_bytes(orjson.dumps({"old": "y" * 500}))
    files = OpenFiles()
    try:
        files.write(path, orjson.dumps({"new": 1}))
    finally:
        files.close_all()
    assert read_state(path) == {"new": 1}


async def test_changes_within_the_debounce_are_written_once(tmp_path: Path) -> None:
    store = StateStore(tmp_path, debounce=0.05)
    for value in range(5):
        store.changed("h", lambda value=value: {"value": value}, urgent=True)  # type: ignore[misc]
    await store.flushed("h")
    assert store.writes == 1
    assert read_state(store.path("h")) == {"value": 4}


async def test_flushed_returns_once_the_change_is_on_disk(tmp_path: Path) -> None:
    store = StateStore(tmp_path, debounce=0.05)
    store.changed("h", lambda: {"value": 1}, urgent=True)
    assert read_state(store.path("h")) is None  # debounced: not yet written
    await asyncio.wait_for(store.flushed("h"), 5)
    assert read_state(store.path("h")) == {"value": 1}


@pytest.mark.key("stateWriteAhead")
async def test_without_write_ahead_nothing_waits_for_the_disk(tmp_path: Path) -> None:
    """config.json stateWriteAhead false: a transaction message does not wait for the state
    holding it to be written; the write comes lazily."""
    store = StateStore(tmp_path, debounce=0.01, lazy=3600, write_ahead=False)
    store.changed("h", lambda: {"value": 1}, urgent=True)
    await asyncio.wait_for(store.flushed("h"), 0.5)
    assert read_state(store.path("h")) is None


@pytest.mark.key("stateWriteAhead")
async def test_state_write_ahead_reaches_each_worker_host(tmp_path: Path) -> None:
    """config.json stateWriteAhead (evsim): the supervisor hands it to every worker's store."""
    for write_ahead in (True, False):
        path = write_fleet(
            tmp_path / str(write_ahead),
            "ws://127.0.0.1:9",
            {"t.json": (quick_template(), 1)},
            stateWriteAhead=write_ahead,
        )
        settings = load_settings(path, environ={})
        options = {**pool_options(settings, 1).host_options, "configure_logging": False}
        host = StationHost(lambda event: None, {**options, "statistics_interval": 0})
        try:
            assert host._store is not None and host._store.write_ahead is write_ahead
        finally:
            await host.stop()


async def test_a_change_nobody_waits_for_is_written_later_and_not_waited_for(
    tmp_path: Path,
) -> None:
    """Lazy changes (a delivered message leaving the queue, a key) are batched over a longer
    interval; flushed() waits only for the urgent ones (a message about to be sent)."""
    store = StateStore(tmp_path, debounce=0.01, lazy=0.3)
    store.changed("h", lambda: {"value": 1})
    await asyncio.wait_for(store.flushed("h"), 0.1)  # nothing urgent: returns at once
    await asyncio.sleep(0.1)
    assert read_state(store.path("h")) is None
    for _ in range(100):
        await asyncio.sleep(0.02)
        if read_state(store.path("h")) is not None:
            break
    assert read_state(store.path("h")) == {"value": 1}


async def test_an_urgent_change_brings_a_lazy_write_forward(tmp_path: Path) -> None:
    store = StateStore(tmp_path, debounce=0.01, lazy=3600)
    store.changed("a", lambda: {"value": "lazy"})
    store.changed("b", lambda: {"value": "urgent"}, urgent=True)
    await asyncio.wait_for(store.flushed("b"), 5)
    assert read_state(store.path("a")) == {"value": "lazy"}  # written in the same batch


async def test_an_answer_is_on_disk_when_no_batch_is_being_written(tmp_path: Path) -> None:
    """Issue 18: the state after a CSMS answer (`at_once`) is written before the station acts
    on it, not a debounce later."""
    store = StateStore(tmp_path, debounce=3600, lazy=3600)
    store.changed("h", lambda: {"value": "answered"}, at_once=True)
    assert read_state(store.path("h")) == {"value": "answered"}
    await asyncio.wait_for(store.flushed("h"), 0.5)


async def test_an_answer_after_a_pending_change_is_written_over_it(tmp_path: Path) -> None:
    """No older snapshot may land after a newer one: an answer written at once takes the
    station's pending change with it, and nothing of the older state comes after it."""
    store = StateStore(tmp_path, debounce=0.01, lazy=3600)
    store.changed("h", lambda: {"value": "ahead"}, urgent=True)
    store.changed("h", lambda: {"value": "answered"}, at_once=True)
    assert read_state(store.path("h")) == {"value": "answered"}
    await asyncio.sleep(0.05)  # past the debounce: no write of the older state comes
    await asyncio.wait_for(store.flushed("h"), 2)
    assert read_state(store.path("h")) == {"value": "answered"}
    assert store.writes == 1


async def test_close_writes_what_is_pending(tmp_path: Path) -> None:
    store = StateStore(tmp_path, debounce=3600)
    store.changed("h", lambda: {"value": 1})
    await asyncio.wait_for(store.close(), 5)
    assert read_state(state_path(tmp_path, "h")) == {"value": 1}


@pytest.fixture
def one_write_a_turn(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> StateStore:
    """A store whose writes have no time for changes nobody waits for: one of them a turn."""
    monkeypatch.setattr(persistence, "TURN_SECONDS", 0.0)
    return StateStore(tmp_path, debounce=3600, lazy=3600)


def states(store: StateStore, names: str) -> list[dict[str, Any] | None]:
    return [read_state(store.path(name)) for name in names]


async def test_a_lazy_write_leaves_what_passes_its_turn_to_the_next_turns(
    one_write_a_turn: StateStore,
) -> None:
    """A worker's first lazy write creates a file per station: thousands held its loop for
    0.4 s (seconds after many deletions), so changes nobody waits for stop at the turn's
    budget and the rest follow in the next turns."""
    store = one_write_a_turn
    for name in "ab":
        store.changed(name, lambda name=name: {"value": name})
    store.changed("c", lambda: {"value": "answered"}, at_once=True)
    assert states(store, "abc") == [{"value": "a"}, None, {"value": "answered"}]
    for _ in range(50):
        await asyncio.sleep(0.01)
        if read_state(store.path("b")) is not None:
            break
    assert read_state(store.path("b")) == {"value": "b"}


async def test_urgent_changes_are_written_whatever_the_turn_budget(
    one_write_a_turn: StateStore,
) -> None:
    store = one_write_a_turn
    for name in "ab":
        store.changed(name, lambda name=name: {"value": name}, urgent=True)
    store.changed("c", lambda: {"value": "c"}, at_once=True)
    assert states(store, "abc") == [{"value": n} for n in "abc"]
    await asyncio.wait_for(store.flushed("b"), 0.5)


async def test_close_writes_every_pending_change_whatever_the_turn_budget(
    one_write_a_turn: StateStore,
) -> None:
    store = one_write_a_turn
    for name in "abc":
        store.changed(name, lambda name=name: {"value": name})
    await asyncio.wait_for(store.close(), 5)
    assert states(store, "abc") == [{"value": n} for n in "abc"]


def test_a_corrupt_file_is_logged_and_ignored(tmp_path: Path) -> None:
    path = state_path(tmp_path, "h")
    path.parent.mkdir(parents=True)
    path.write_bytes(b'{"connectorsStatus": [')  # cut short
    messages: list[str] = []
    sink = logger.add(messages.append, level="WARNING")
    try:
        assert read_state(path) is None
    finally:
        logger.remove(sink)
    assert any("not readable" in m and str(path) in m for m in messages)


# --- a station over runs ----------------------------------------------------------------------


class Run:
    """One run of a station: a real station over the state directory, its store, its clock."""

    def __init__(self, spec: StationSpec, state_dir: Path, *, online: bool = True) -> None:
        self.clock = VirtualClock()
        self.store = StateStore(state_dir, debounce=0.01)
        persisted = read_state(state_path(state_dir, spec.hash_id))
        self.station = FlakyStation(
            spec,
            clock=self.clock,
            on_change=lambda station, delta: None,
            store=self.store,
            persisted=persisted,
        )
        self.station.csms = FakeCsms(self.clock)
        self.station.online = online

    @property
    def csms(self) -> FakeCsms:
        return self.station.csms

    async def call(self, action: str, payload: dict[str, Any]) -> dict[str, Any]:
        """An OCPP request of the CSMS, through the station's handler."""
        return await self.station._handle_call(action, payload)

    async def kill(self) -> None:
        """The process ends: what was persisted is what the next run finds."""
        await self.store.close()
        await shutdown(self.station)


class FlakyStation(OfflineStation):
    online = True

    def link_up(self) -> bool:
        return self.online

    async def call(self, action: str, payload: dict[str, Any]) -> dict[str, Any]:
        if not self.online:
            raise ConnectionLost(action)
        return await super().call(action, payload)


def spec_of(tmp_path: Path, *, seed: int = 0, **template: Any) -> StationSpec:
    """The station's spec from the quick template with `template` overrides; a second call
    with other overrides is the same station with an edited template."""
    return make_station(tmp_path / "fleet", seed=seed, **template).spec


def keys(**values: str) -> dict[str, Any]:
    """A template's Configuration: the quick template's keys with `values` over them."""
    base = {entry["key"]: entry for entry in quick_template()["Configuration"]["configurationKey"]}
    for key, value in values.items():
        base[key] = {"key": key, "readonly": False, "value": value}
    return {"configurationKey": list(base.values())}


@pytest.mark.key("ocppPersistentConfiguration")
async def test_a_changed_configuration_key_survives_a_restart(tmp_path: Path) -> None:
    """Seed README, ocppPersistentConfiguration (default true): the OCPP parameters persist."""
    spec = spec_of(tmp_path)
    first = Run(spec, tmp_path / "state")
    await first.call("ChangeConfiguration", {"key": "HeartbeatInterval", "value": "99"})
    await first.kill()
    second = Run(spec, tmp_path / "state")
    assert second.station.configuration.get("HeartbeatInterval") == "99"


@pytest.mark.key("ocppPersistentConfiguration")
async def test_without_ocpp_persistent_configuration_the_template_values_come_back(
    tmp_path: Path,
) -> None:
    spec = spec_of(tmp_path, ocppPersistentConfiguration=False)
    first = Run(spec, tmp_path / "state")
    await first.call("ChangeConfiguration", {"key": "HeartbeatInterval", "value": "99"})
    await first.kill()
    second = Run(spec, tmp_path / "state")
    assert second.station.configuration.get("HeartbeatInterval") == "60"


async def test_a_readonly_key_takes_the_edited_templates_value(tmp_path: Path) -> None:
    first = Run(spec_of(tmp_path), tmp_path / "state")
    first.station.persist()
    await first.kill()
    edited = keys()
    for entry in edited["configurationKey"]:
        if entry["key"] == "ModemVersion":
            entry["value"] = "3.0"
    second = Run(spec_of(tmp_path, Configuration=edited), tmp_path / "state")
    assert second.station.configuration.get("ModemVersion") == "3.0"


async def test_an_edited_template_regenerates_the_configuration_keeping_persisted_values(
    tmp_path: Path,
) -> None:
    """Issue 9: keys the edited template dropped go, keys it added come with its values, keys
    it kept writable keep what the station persisted; the file records the new template."""
    first = Run(spec_of(tmp_path), tmp_path / "state")
    await first.call("ChangeConfiguration", {"key": "HeartbeatInterval", "value": "99"})
    await first.kill()
    before = read_state(state_path(tmp_path / "state", first.station.hash_id))
    edited = keys(VendorMode="eco")
    edited["configurationKey"] = [e for e in edited["configurationKey"] if e["key"] != "MaxCurrent"]
    second = Run(spec_of(tmp_path, Configuration=edited), tmp_path / "state")
    configuration = second.station.configuration
    assert configuration.get("HeartbeatInterval") == "99"
    assert configuration.get("VendorMode") == "eco"
    assert configuration.get("MaxCurrent") is None
    second.station.persist()
    await second.kill()
    after = read_state(state_path(tmp_path / "state", first.station.hash_id))
    assert before is not None and after is not None
    assert before["templateHash"] != after["templateHash"]


async def test_an_edited_template_value_wins_over_a_default_nobody_changed(
    tmp_path: Path,
) -> None:
    """Issue 9: a key evsim filled in with its default (MeterValueSampleInterval 60) and that
    nobody changed takes the value an edited template gives it; a key the CSMS changed keeps
    the CSMS's value."""
    first = Run(spec_of(tmp_path), tmp_path / "state")
    assert first.station.configuration.get("MeterValueSampleInterval") == "60"
    await first.call("ChangeConfiguration", {"key": "HeartbeatInterval", "value": "99"})
    await first.kill()
    edited = keys(MeterValueSampleInterval="15", HeartbeatInterval="45")
    second = Run(spec_of(tmp_path, Configuration=edited), tmp_path / "state")
    configuration = second.station.configuration
    assert configuration.get("MeterValueSampleInterval") == "15"
    assert configuration.get("HeartbeatInterval") == "99"


@pytest.mark.key("stationInfoPersistentConfiguration")
async def test_serial_numbers_stay_when_the_template_or_the_seed_changes(tmp_path: Path) -> None:
    """Issue 9: the serial numbers come from the prefixes (part of the hashId) and config.json's
    seed; an edited template keeps them, and a persisted station keeps its own when the seed
    changes too."""
    first = Run(spec_of(tmp_path, meterSerialNumberPrefix="M-"), tmp_path / "state")
    first.station.persist()
    await first.kill()
    old = first.station.boot_payload()
    edited = spec_of(tmp_path, meterSerialNumberPrefix="M-", power=11040, seed=1)
    assert edited.hash_id == first.station.hash_id
    assert edited.charge_point_serial_number != old["chargePointSerialNumber"]
    second = Run(edited, tmp_path / "state")
    payload = second.station.boot_payload()
    assert payload["chargePointSerialNumber"] == old["chargePointSerialNumber"]
    assert payload["meterSerialNumber"] == old["meterSerialNumber"]


async def test_the_local_list_and_the_authorization_cache_survive(tmp_path: Path) -> None:
    """Sections 3.5.1, 3.5.3: list and cache are kept across a restart (the cache is persisted
    as soon as it learns a tag, the list when SendLocalList is accepted)."""
    spec = spec_of(tmp_path, Configuration=keys(AuthorizationCacheEnabled="true"))
    first = Run(spec, tmp_path / "state")
    entry = {"idTag": "LIST-1", "idTagInfo": {"status": "Accepted"}}
    answer = await first.call(
        "SendLocalList", {"listVersion": 3, "updateType": "Full", "localAuthorizationList": [entry]}
    )
    assert answer == {"status": "Accepted"}
    assert await first.station.authorization.authorize("TAG-A")
    await first.kill()
    second = Run(spec, tmp_path / "state")
    state = second.station.authorization.state
    assert (state.list_version, list(state.local_list)) == (3, ["LIST-1"])
    assert list(state.cache) == ["TAG-A"]


async def test_a_cleared_cache_stays_cleared(tmp_path: Path) -> None:
    """Section 5.4: ClearCache empties the cache for good, a restart does not bring it back."""
    spec = spec_of(tmp_path, Configuration=keys(AuthorizationCacheEnabled="true"))
    first = Run(spec, tmp_path / "state")
    assert await first.station.authorization.authorize("TAG-A")
    assert await first.call("ClearCache", {}) == {"status": "Accepted"}
    await first.kill()
    assert list(Run(spec, tmp_path / "state").station.authorization.state.cache) == []


async def test_an_inoperative_connector_stays_inoperative(tmp_path: Path) -> None:
    """Section 5.2: a ChangeAvailability persists across a reboot."""
    spec = spec_of(tmp_path)
    first = Run(spec, tmp_path / "state")
    answer = await first.call("ChangeAvailability", {"connectorId": 1, "type": "Inoperative"})
    assert answer == {"status": "Accepted"}
    await first.kill()
    connector = Run(spec, tmp_path / "state").station.connectors[1]
    assert (connector.availability, connector.status) == ("Inoperative", "Unavailable")


async def test_charging_profiles_survive(tmp_path: Path) -> None:
    """Section 3.13: installed charging profiles persist across a reboot."""
    spec = spec_of(tmp_path)
    first = Run(spec, tmp_path / "state")
    profile = {
        "chargingProfileId": 7,
        "stackLevel": 1,
        "chargingProfilePurpose": "ChargePointMaxProfile",
        "chargingProfileKind": "Absolute",
        "validTo": "2027-01-01T00:00:00Z",
        "chargingSchedule": {
            "chargingRateUnit": "W",
            "startSchedule": "2026-01-01T00:00:00Z",
            "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 7000.0, "numberPhases": 3}],
        },
    }
    answer = await first.call(
        "SetChargingProfile", {"connectorId": 0, "csChargingProfiles": profile}
    )
    assert answer == {"status": "Accepted"}
    await first.kill()
    second = Run(spec, tmp_path / "state")
    assert second.station.smart_charging.profiles == first.station.smart_charging.profiles
    assert second.station.smart_charging.limit_w(1) == first.station.smart_charging.limit_w(1)


@pytest.mark.key("stationInfoPersistentConfiguration")
async def test_an_installed_firmware_version_survives(tmp_path: Path) -> None:
    spec = spec_of(tmp_path)
    first = Run(spec, tmp_path / "state")
    install_firmware(first, "2.0.0")
    await first.kill()
    assert Run(spec, tmp_path / "state").station.firmware_version == "2.0.0"


async def test_the_templates_new_firmware_version_wins_over_an_installed_one(
    tmp_path: Path,
) -> None:
    first = Run(spec_of(tmp_path), tmp_path / "state")
    install_firmware(first, "2.0.0")
    await first.kill()
    second = Run(spec_of(tmp_path, firmwareVersion="3.0.0"), tmp_path / "state")
    assert second.station.firmware_version == "3.0.0"


def install_firmware(run: Run, version: str) -> None:
    # As firmware_management's update does once the (simulated) installation is done.
    run.station.firmware_version = version
    run.station._changed(stationInfo=run.station.station_info())


async def test_an_open_transaction_stops_with_power_loss_at_the_persisted_register(
    tmp_path: Path,
) -> None:
    """Section 7.40 (Reason PowerLoss): a transaction the previous run left open stops at start,
    at the last energy register value persisted; the register never goes back (the
    connector's register: meteringPerTransaction false)."""
    spec = spec_of(
        tmp_path,
        meteringPerTransaction=False,
        Configuration=keys(MeterValueSampleInterval="10"),
    )
    first = Run(spec, tmp_path / "state")
    await first.station.transactions.start(1, "TAG-A")
    await first.clock.run_for(65)
    await first.kill()
    persisted = read_state(state_path(tmp_path / "state", spec.hash_id))
    assert persisted is not None
    second = Run(spec, tmp_path / "state")
    station = second.station
    register = station.transactions.models[1].energy_wh(station.connectors[1].meter)
    assert register > first.csms.of("StartTransaction")[0]["meterStart"]
    try:
        await station.start()
        stop = second.csms.of("StopTransaction")
        assert len(stop) == 1
        assert (stop[0]["transactionId"], stop[0]["reason"]) == (1, "PowerLoss")
        assert stop[0]["meterStop"] == register
        await station.transactions.start(1, "TAG-B")
        assert second.csms.of("StartTransaction")[0]["meterStart"] >= register
    finally:
        await second.kill()


async def test_queued_transaction_messages_survive_and_are_delivered(tmp_path: Path) -> None:
    """Section 3.7: transaction messages the station could not send are not lost with the
    process; the next run sends them in order once accepted."""
    spec = spec_of(tmp_path)
    first = Run(spec, tmp_path / "state", online=False)
    await first.station.transactions.start(1, "TAG-A")
    await first.clock.run_for(30)
    await first.station.transactions.stop(1, "Local")
    assert len(first.station.transactions.queue) >= 2
    await first.kill()
    assert first.csms.sent == []
    second = Run(spec, tmp_path / "state")
    assert len(second.station.transactions.queue) == len(first.station.transactions.queue)
    second.station.registration_accepted()
    queue = second.station.transactions.queue
    for _ in range(100):  # each message is written ahead (real time) before it is sent
        if not queue:
            break
        await second.clock.run_for(1)
        await asyncio.sleep(0.02)
    actions = [s.action for s in second.csms.sent if s.action != "StatusNotification"]
    assert actions[0] == "StartTransaction"
    assert actions[-1] == "StopTransaction"
    assert second.csms.of("StopTransaction")[0]["transactionId"] == 1
    assert len(queue) == 0
    await second.kill()


def killed_now(state_dir: Path, to: Path) -> Path:
    """The state directory as a SIGKILL at this instant leaves it: what is on disk, nothing
    the store still holds."""
    shutil.copytree(state_dir, to)
    return to


async def test_a_station_killed_once_its_start_is_answered_does_not_send_it_again(
    tmp_path: Path,
) -> None:
    """Issue 18: the StartTransaction.conf is on disk before the station acts on it; the next
    run stops the transaction with the id the CSMS gave, and sends no second start (which a
    CSMS that does not recognise retransmissions would take for a second transaction)."""
    spec = spec_of(tmp_path)
    first = Run(spec, tmp_path / "state")
    response = await first.station.transactions.start(1, "TAG-A")
    assert response is not None
    state_dir = killed_now(tmp_path / "state", tmp_path / "killed")
    await first.kill()
    second = Run(spec, state_dir)
    try:
        await second.station.start()
        assert second.csms.of("StartTransaction") == []
        stops = second.csms.of("StopTransaction")
        assert [(s["transactionId"], s["reason"]) for s in stops] == [(1, "PowerLoss")]
    finally:
        await second.kill()


async def test_a_station_killed_once_its_stop_is_answered_does_not_send_it_again(
    tmp_path: Path,
) -> None:
    spec = spec_of(tmp_path)
    first = Run(spec, tmp_path / "state")
    await first.station.transactions.start(1, "TAG-A")
    await first.clock.run_for(5)
    await first.station.transactions.stop(1, "Local")
    state_dir = killed_now(tmp_path / "state", tmp_path / "killed")
    await first.kill()
    second = Run(spec, state_dir)
    try:
        await second.station.start()
        assert second.csms.of("StopTransaction") == []
        assert len(second.station.transactions.queue) == 0
    finally:
        await second.kill()


async def test_a_transaction_message_is_on_disk_before_it_leaves(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Section 3.7, issue 16: at the instant a transaction message leaves, the state a restart
    finds holds it at the head of the queue (written ahead: a kill cannot un-send it)."""
    spec = spec_of(tmp_path, Configuration=keys(MeterValueSampleInterval="10"))
    run = Run(spec, tmp_path / "state")
    heads: list[tuple[str, str | None]] = []
    call = run.station.call

    async def call_watched(action: str, payload: dict[str, Any]) -> dict[str, Any]:
        if action in {"StartTransaction", "MeterValues", "StopTransaction"}:
            restored = read_state(state_path(tmp_path / "state", spec.hash_id))
            entries = restored["transactionQueue"]["entries"] if restored else []
            heads.append((action, entries[0][0] if entries else None))
        return await call(action, payload)

    monkeypatch.setattr(run.station, "call", call_watched)
    try:
        await run.station.transactions.start(1, "TAG-A")
        await run.clock.run_for(25)
        await run.station.transactions.stop(1, "Local")
    finally:
        await run.kill()
    actions = [action for action, _ in heads]
    assert actions[0] == "StartTransaction" and actions[-1] == "StopTransaction"
    assert "MeterValues" in actions
    assert all(action == head for action, head in heads)


@pytest.mark.key("transactionQueueMaxLength")
async def test_an_offline_queue_past_transaction_queue_max_length_drops_meter_values(
    tmp_path: Path,
) -> None:
    """Template transactionQueueMaxLength bounds the queue: a long offline session keeps its
    start, its stop and the latest samples, and counts what it dropped."""
    spec = spec_of(
        tmp_path,
        transactionQueueMaxLength=5,
        Configuration=keys(MeterValueSampleInterval="10"),
    )
    run = Run(spec, tmp_path / "state", online=False)
    await run.station.transactions.start(1, "TAG-A")
    await run.clock.run_for(120)
    await run.station.transactions.stop(1, "Local")
    queue = run.station.transactions.queue
    actions = [entry.action for entry in queue.entries]
    assert actions[0] == "StartTransaction" and actions[-1] == "StopTransaction"
    assert len(queue) == 5 and queue.dropped >= 7
    await run.kill()


async def test_a_running_transaction_generator_runs_again_after_a_restart(tmp_path: Path) -> None:
    """Seed README: the ATG's running state is persisted (automaticTransactionGenerator)."""
    spec = spec_of(tmp_path)
    first = Run(spec, tmp_path / "state")
    first.station.atg.start([1])
    await first.kill()
    second = Run(spec, tmp_path / "state")
    assert second.station.atg.running_connectors() == []
    second.station.registration_accepted()
    try:
        assert second.station.atg.running_connectors() == [1]
    finally:
        await second.kill()


async def test_a_corrupt_state_file_starts_the_station_afresh(tmp_path: Path) -> None:
    """An unreadable file is logged and ignored (read_state): the station has its template's
    configuration, not a half-restored one."""
    spec = spec_of(tmp_path)
    path = state_path(tmp_path / "state", spec.hash_id)
    path.parent.mkdir(parents=True)
    path.write_text('{"configurationKey": [{"key": "HeartbeatInterval", "value": "99"')
    options = {
        "state_dir": str(tmp_path / "state"),
        "auto_start": False,
        "configure_logging": False,
        "statistics_interval": 0,
    }
    host = StationHost(lambda event: None, options)
    await host.add(spec.hash_id, spec)
    try:
        assert host.stations[spec.hash_id].configuration.get("HeartbeatInterval") == "60"
    finally:
        await host.stop()


@pytest.mark.integration
@pytest.mark.process
@pytest.mark.timeout(90)
async def test_a_started_station_has_its_file_within_the_debounce_not_the_lazy_interval(
    tmp_path: Path,
) -> None:
    """Seed README: a station's configuration file exists from its start, not 10 s later
    with the first lazy write."""
    async with running_fleet(tmp_path, 1) as fleet:
        hash_id = next(iter(fleet.station_ids()))
        path = state_path(fleet.supervisor.settings.state_dir, hash_id)
        for _ in range(50):
            if path.exists():
                break
            await asyncio.sleep(0.1)
        assert read_state(path) is not None


async def test_deleting_a_station_with_its_configuration_removes_the_file_for_good(
    tmp_path: Path,
) -> None:
    """UI deleteChargingStations with deleteConfiguration: the station's file goes, and its
    worker's last (debounced) write does not bring it back."""
    async with running_fleet(tmp_path, 1) as fleet:
        hash_id = next(iter(fleet.station_ids()))
        path = state_path(fleet.supervisor.settings.state_dir, hash_id)
        await fleet.supervisor.wait_for(lambda s: path.exists(), 10)
        answer = await HttpClient(fleet.http_url).call(
            "deleteChargingStations", {"hashIds": [hash_id], "deleteConfiguration": True}
        )
        assert answer["status"] == "success"
        assert not path.exists()
        await asyncio.sleep(1)  # several debounce periods of the worker's store
        assert not path.exists()


def test_the_file_is_the_seed_readmes_configuration_layout(tmp_path: Path) -> None:
    """Seed README: dist/assets/configurations/<hashId>.json holds stationInfo,
    configurationKey (ocppPersistentConfiguration) and the connectors' status."""
    spec = spec_of(tmp_path)

    async def scenario() -> dict[str, Any] | None:
        run = Run(spec, tmp_path / "state")
        run.station.persist()
        await run.kill()
        return read_state(state_path(tmp_path / "state", spec.hash_id))

    state = asyncio.run(scenario())
    assert state is not None
    assert state["stationInfo"]["hashId"] == spec.hash_id
    assert {e["key"] for e in state["configurationKey"]} >= {"HeartbeatInterval"}
    assert [c["connectorId"] for c in state["connectorsStatus"]] == [0, 1, 2]
    assert json.loads(state_path(tmp_path / "state", spec.hash_id).read_text()) == state
