"""The key store mechanism with a key table that is not 1.6's: two flat `Component.Variable`
keys, as a 2.0.1 station will keep its variables (OCPP 2.0.1 part 2 section 2.1.2, the
TypeScript simulator's flat keys). The 1.6 table over it is tested in test_configuration.py."""

from __future__ import annotations

from dataclasses import dataclass

from simulator.station.keystore import ChangeStatus, KeyStore, Lookup, StoredKey

INTERVAL = "OCPPCommCtrlr.HeartbeatInterval"
IDENTITY = "SecurityCtrlr.Identity"


def whole_seconds(key: str, value: str, get: Lookup) -> bool:
    """The rule of this table: the interval is a whole number of seconds, the rest free."""
    return key.lower() != INTERVAL.lower() or value.isdigit()


def defaults() -> list[StoredKey]:
    return [StoredKey(INTERVAL, "60"), StoredKey(IDENTITY, "CS-1", readonly=True)]


def store() -> KeyStore:
    return KeyStore(defaults(), rule=whole_seconds)


@dataclass(frozen=True)
class TemplateEntry:
    key: str
    value: str | None
    readonly: bool = False
    visible: bool = True
    reboot: bool = False


def test_a_value_the_table_allows_is_accepted_and_applied() -> None:
    keys = store()
    assert keys.change(INTERVAL, "300") is ChangeStatus.ACCEPTED
    assert keys.get(INTERVAL) == "300"


def test_a_value_the_table_refuses_is_rejected_and_not_applied() -> None:
    keys = store()
    assert keys.change(INTERVAL, "soon") is ChangeStatus.REJECTED
    assert keys.get(INTERVAL) == "60"


def test_a_readonly_key_of_the_table_is_rejected() -> None:
    keys = store()
    assert keys.change(IDENTITY, "CS-2") is ChangeStatus.REJECTED
    assert keys.get(IDENTITY) == "CS-1"


def test_a_key_the_table_does_not_have_is_not_supported() -> None:
    keys = store()
    assert keys.change("OCPPCommCtrlr.WarpDrive", "on") is ChangeStatus.NOT_SUPPORTED
    assert keys.get("OCPPCommCtrlr.WarpDrive") is None


def test_flat_keys_are_matched_without_regard_to_case_and_listed_as_spelled() -> None:
    keys = store()
    assert keys.change("ocppcommctrlr.heartbeatinterval", "30") is ChangeStatus.ACCEPTED
    assert keys.visible(["OCPPCOMMCTRLR.HEARTBEATINTERVAL"]) == (
        [{"key": INTERVAL, "readonly": False, "value": "30"}],
        [],
    )


def test_without_a_rule_any_value_is_accepted() -> None:
    keys = KeyStore(defaults())
    assert keys.change(INTERVAL, "soon") is ChangeStatus.ACCEPTED


def test_a_reboot_key_is_changed_but_requires_a_reboot() -> None:
    keys = KeyStore([StoredKey(INTERVAL, "60", reboot=True)], rule=whole_seconds)
    assert keys.change(INTERVAL, "10") is ChangeStatus.REBOOT_REQUIRED
    assert keys.get(INTERVAL) == "10"


def test_a_template_key_takes_the_place_of_the_default_it_overrides() -> None:
    keys = KeyStore.layered(defaults(), [TemplateEntry(INTERVAL.upper(), "90")], rule=whole_seconds)
    assert [entry["key"] for entry in keys.as_list()] == [INTERVAL.upper(), IDENTITY]
    assert keys.get(INTERVAL) == "90"


def test_the_supervision_url_key_is_added_requiring_a_reboot_and_a_ws_url() -> None:
    url_key = "NetworkConfiguration.Url"
    keys = KeyStore.layered(
        defaults(), [], rule=whole_seconds, supervision_url=(url_key, "ws://127.0.0.1:9/a")
    )
    assert keys.get(url_key) == "ws://127.0.0.1:9/a"
    assert keys.change(url_key, "http://127.0.0.1:9/b") is ChangeStatus.REJECTED
    assert keys.change(url_key, "ws://127.0.0.1:9/b") is ChangeStatus.REBOOT_REQUIRED


def test_only_the_keys_changed_at_run_time_are_restored_over_the_table() -> None:
    """The persisted sections (configurationKey, changedKeys) have the same shape for every
    version's keys."""
    running = store()
    running.change(INTERVAL, "15")
    restarted = KeyStore([StoredKey(INTERVAL, "60"), StoredKey(IDENTITY, "CS-9")])
    restarted.restore(
        [
            {**entry, "value": "CS-OLD"} if entry["key"] == IDENTITY else entry
            for entry in running.as_list()
        ],
        sorted(running.changed_keys),
    )
    assert sorted(running.changed_keys) == [INTERVAL.lower()]
    assert restarted.get(INTERVAL) == "15"
    assert restarted.get(IDENTITY) == "CS-9"


def test_a_persisted_value_does_not_override_a_readonly_key() -> None:
    restarted = store()
    restarted.restore([{"key": IDENTITY, "value": "CS-OLD"}])
    assert restarted.get(IDENTITY) == "CS-1"


def test_a_value_the_station_sets_is_persisted_as_changed_even_when_readonly() -> None:
    keys = store()
    keys.set(IDENTITY, "CS-2")
    assert keys.get(IDENTITY) == "CS-2"
    assert keys.changed_keys == {IDENTITY.lower()}


TEMPLATE_KEYS = (TemplateEntry(INTERVAL, "30"),)
SHARED_DEFAULTS = tuple(defaults())


def template_store() -> KeyStore:
    return KeyStore.layered(SHARED_DEFAULTS, TEMPLATE_KEYS, rule=whole_seconds)


def test_stores_of_one_template_share_their_key_objects() -> None:
    """Issue 16: built once per template and worker, a reference a key per station."""
    first, second = template_store(), template_store()
    assert all(
        mine is theirs
        for mine, theirs in zip(first._keys.values(), second._keys.values(), strict=True)
    )


def test_a_change_in_one_store_leaves_the_other_stores_of_its_template_alone() -> None:
    first, second = template_store(), template_store()
    assert first.change(INTERVAL, "300") is ChangeStatus.ACCEPTED
    first.set(IDENTITY, "CS-2")
    first.restore([{"key": INTERVAL, "value": "120"}])
    assert (first.get(INTERVAL), first.get(IDENTITY)) == ("120", "CS-2")
    assert (second.get(INTERVAL), second.get(IDENTITY)) == ("30", "CS-1")
    assert template_store().get(INTERVAL) == "30"
