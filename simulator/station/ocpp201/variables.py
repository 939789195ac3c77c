"""One OCPP 2.0.1 station's device model as the station uses it (issue 15): the values of its
variables over the catalogue (device_model.py), read where the station acts, changed by the CSMS
(SetVariables), the UI and the station itself, and persisted with the station's state.

`Variables` answers three kinds of callers from one store (`StationValues`, no second copy):
- the station's own reads, `value` / `integer` / `boolean` of a variable's Actual attribute: one
  or two dict look-ups, since some are on the hot path (TxUpdatedInterval at each meter value);
- GetVariables, SetVariables and GetBaseReport (provisioning.py) through the pure functions of
  device_model_variables.py and device_model_report.py, with the values the station supplies at
  request time (`set_live`: availability, clock, counts);
- the key-store surface every version's station has (keystore.KeyStore: get, change, restore,
  as_list...), over which the UI's procedures and station_state.py's persistence work unchanged:
  a station-wide variable is the key `Component.Variable[.Instance]`, as the TypeScript
  simulator's 2.0.1 stations list theirs. Keys that are no variable (the template's supervision
  URL key) are kept as KeyStore keeps any key.

Behaviour follows a change at once through `on_change` hooks. A value accepted with
RebootRequired is persisted but takes effect at the next start (`apply_pending`), as B05's
RebootRequired says; until then the station reads, and GetVariables reports, the value in effect.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from simulator.station.keystore import ChangeStatus, KeyStore, StoredKey, TemplateKey
from simulator.station.ocpp201.device_model import (
    ACTUAL,
    STATION,
    Catalogue,
    Entry,
    EvseLayout,
    StationValues,
    ValueKey,
    VarKey,
    lay_out,
    load_catalogue,
)
from simulator.station.ocpp201.device_model_index import (
    LiveValues,
    LiveView,
    ReadKey,
    key_name,
    model_index,
)
from simulator.station.ocpp201.device_model_template import template_values
from simulator.station.ocpp201.device_model_values import check_value
from simulator.station.ocpp201.device_model_variables import (
    ValueGuard,
    current_value,
    get_variables,
    set_variables,
)

# One EVSE: its id, its connectors' ids (numbered from 1 within the EVSE), its maximum power (W).
EvseRow = tuple[int, Sequence[int], float | None]
ChangeHook = Callable[[str, str, str | None, str], None]
_WRITABLE = ("ReadWrite", "WriteOnly")
_STATUSES = {"Accepted": ChangeStatus.ACCEPTED, "RebootRequired": ChangeStatus.REBOOT_REQUIRED}


def evse_rows(
    evses: Mapping[int, Sequence[int]], max_power_w: Mapping[int, float] | None = None
) -> list[EvseRow]:
    """The rows of `Variables` from StationSpec.evses (EVSE id -> its flat connector ids): a
    2.0.1 connector is numbered from 1 within its EVSE."""
    power = max_power_w or {}
    return [
        (evse_id, tuple(range(1, len(flat) + 1)), power.get(evse_id))
        for evse_id, flat in sorted(evses.items())
    ]


def _template_item(item: Mapping[str, Any] | TemplateKey) -> Mapping[str, Any]:
    if isinstance(item, Mapping):
        return item
    return {"key": item.key, "value": item.value, "readonly": item.readonly}


class Variables(KeyStore):
    """One station's device model. A KeyStore (the type the station's `configuration` has for
    every version) whose keys are its station-wide variables; `KeyStore`'s own table holds only
    keys that are no variable."""

    __slots__ = (
        "_defaults",
        "_guard",
        "_hooks",
        "_index",
        "_ints",
        "_live",
        "_over",
        "_pending",
        "model",
        "problems",
        "values",
    )

    def __init__(
        self,
        evses: Iterable[EvseRow],
        template_keys: Iterable[Mapping[str, Any] | TemplateKey] = (),
        *,
        supervision_url: tuple[str, str] | None = None,
        catalogue: Catalogue | None = None,
    ) -> None:
        """`evses`: (EVSE id, its connector ids, its maximum power in W or None) for each EVSE
        (`evse_rows` makes them from StationSpec.evses); `template_keys`: the template's
        Configuration.configurationKey entries (`key` `Component.Variable[.Instance]`,
        `value`, `readonly`); one evsim cannot use is a line of `problems`, and skipped.
        `supervision_url`: (supervisionUrlOcppKey, URL) when the template makes the URL a key,
        kept as KeyStore.layered keeps it."""
        url_key = supervision_url[0] if supervision_url is not None else None
        super().__init__((), url_keys=() if url_key is None else (url_key,))
        layout = tuple(
            EvseLayout(evse_id, tuple(connectors), power) for evse_id, connectors, power in evses
        )
        self.model = lay_out(layout, catalogue or load_catalogue())
        self._index = model_index(self.model)
        self._defaults = self._index.defaults  # shared by the stations of the layout
        done = template_values(self.model, (_template_item(k) for k in template_keys))
        self.values: StationValues = done.values
        self.problems = done.problems
        self._over: dict[ReadKey, str] = {}
        self._ints: dict[ReadKey, int] = {}  # integer()'s parsed values
        self._pending: dict[ValueKey, str] = {}
        self._hooks: list[ChangeHook] = []
        self._guard: ValueGuard | None = None
        self._live = LiveView(None, self._index.live)
        self._note(self.values.overrides())
        if url_key is not None and supervision_url is not None and self._entry(url_key) is None:
            # As KeyStore.layered adds it: the URL serves from the next connection.
            self._keys[url_key.lower()] = StoredKey(url_key, supervision_url[1], reboot=True)

    # -- the station's reads (hot path) -----------------------------------------------------

    def value(
        self,
        component: str,
        variable: str,
        instance: str | None = None,
        *,
        evse: int | None = None,
        connector: int | None = None,
    ) -> str | None:
        """The Actual value in effect, names as the spec spells them; None for no such
        variable. A value set or from the template, else the default: two dict look-ups."""
        key = (component, variable, instance, evse, connector)
        found = self._over.get(key)
        if found is None:
            found = self._defaults.get(key)
            if found is None:
                return self._uncommon(key)
        return found

    def integer(
        self,
        component: str,
        variable: str,
        fallback: int,
        instance: str | None = None,
        *,
        evse: int | None = None,
        connector: int | None = None,
    ) -> int:
        # The read of the hot path: a stored value is parsed once, until the next change.
        key = (component, variable, instance, evse, connector)
        found = self._ints.get(key)
        if found is not None:
            return found
        text = self.value(component, variable, instance, evse=evse, connector=connector)
        if text is None:
            return fallback
        try:
            number = int(text)
        except ValueError:
            return fallback
        if key not in self._index.live:
            self._ints[key] = number
        return number

    def boolean(
        self,
        component: str,
        variable: str,
        fallback: bool,
        instance: str | None = None,
        *,
        evse: int | None = None,
        connector: int | None = None,
    ) -> bool:
        key = (component, variable, instance, evse, connector)
        text = self._over.get(key)
        if text is None:
            text = self._defaults.get(key)
            if text is None:
                text = self._uncommon(key)
        if text == "true":
            return True
        return False if text == "false" else fallback

    def _uncommon(self, key: ReadKey) -> str | None:
        # A live value, Part 2's name of an AuthCtrlr variable, or no variable at all.
        entry = self._index.live.get(key)
        if entry is not None:
            return current_value(entry, ACTUAL, self.values, self._live)
        component, variable, instance, evse, connector = key
        canonical = self.model.aliases.get(f"{component}.{variable}".casefold())
        if canonical is None:
            return None
        return self.value(component, canonical, instance, evse=evse, connector=connector)

    # -- what the station wires -------------------------------------------------------------

    def set_live(self, provider: LiveValues | None) -> None:
        """Where the values the station reports from its state come from."""
        self._live = LiveView(provider, self._index.live)

    @property
    def live(self) -> Mapping[VarKey, str]:
        """The live values as device_model_variables/_report take them."""
        return self._live

    def on_change(self, hook: ChangeHook) -> None:
        """`hook(component, variable, instance, value)` after each change of a value in effect
        (SetVariables, the UI, the station's own `set_actual`, `apply_pending`), so behaviour
        follows at once (a new HeartbeatInterval restarts the heartbeat). Not called for the
        values restored at construction: the station reads those when it starts."""
        self._hooks.append(hook)

    def guard(self, guard: ValueGuard) -> None:
        """`guard` also decides whether a SetVariables (or the UI) may give a station-wide
        variable an Actual value, after its characteristics: the rules of a part that depend
        on the station's state (B10.FR.02). One object, not a rule per variable: every station
        has it."""
        self._guard = guard

    @property
    def pending(self) -> dict[str, str]:
        """Values accepted with RebootRequired, by key, waiting for the next start."""
        return {
            f"{ref.name}.{name}" + (f".{instance}" if instance else ""): value
            for (ref, name, instance, _), value in self._pending.items()
        }

    def apply_pending(self) -> None:
        """The station (re)starts: the values accepted with RebootRequired take effect."""
        pending, self._pending = self._pending, {}
        if pending:
            self._store(pending)
            self.version += 1

    # -- changes ----------------------------------------------------------------------------

    def get_variables(self, request: Mapping[str, Any]) -> dict[str, Any]:
        """The GetVariablesResponse payload of a request (B06), live values asked now."""
        return get_variables(self.model, self.values, request, self._live)

    def set_variables(self, request: Mapping[str, Any]) -> dict[str, Any]:
        """The SetVariablesResponse payload of a request (B05); the accepted values take
        effect now, those needing a reboot at the next start."""
        outcome = set_variables(self.model, self.values, request, self._guard)
        now = {k: v for k, v in outcome.changes.items() if k[:3] not in outcome.reboot_required}
        later = {k: v for k, v in outcome.changes.items() if k[:3] in outcome.reboot_required}
        self._pending.update(later)
        self._mark(later)
        self._store(now)
        self._mark(now)
        if outcome.changes:
            self.version += 1
        return outcome.response

    def set_actual(
        self,
        component: str,
        variable: str,
        value: str,
        instance: str | None = None,
        *,
        evse: int | None = None,
        connector: int | None = None,
    ) -> None:
        """A value the station itself gives a variable (the heartbeat interval a
        BootNotificationResponse sets), read-only or not; KeyError for no such variable."""
        found = self.model.find(
            _component(component, evse, connector),
            {"name": variable} if instance is None else {"name": variable, "instance": instance},
        )
        if not isinstance(found, Entry):
            raise KeyError(f"{component}.{variable}: {found}")
        change = {(found.component, found.variable.name, found.variable.instance, ACTUAL): value}
        self._store(change)
        if found.variable.source != STATION:  # a live value is not persisted
            self._mark(change)
            self.version += 1

    def _store(self, changes: Mapping[ValueKey, str]) -> None:
        """Values in effect from now: stored, readable, and announced to the hooks."""
        if not changes:
            return
        before = {key: self._actual(key) for key in changes}
        self.values.apply(changes)
        self._note(changes)
        for key, old in before.items():
            ref, name, instance, attribute_type = key
            new = self._actual(key)
            if attribute_type == ACTUAL and new is not None and new != old:
                for hook in self._hooks:
                    hook(ref.name, name, instance, new)

    def _actual(self, key: ValueKey) -> str | None:
        ref, name, instance, _ = key
        return self.value(ref.name, name, instance, evse=ref.evse_id, connector=ref.connector_id)

    def _note(self, changes: Mapping[ValueKey, str]) -> None:
        """Keeps the reads' table of values that differ from the defaults."""
        self._ints.clear()
        for (ref, name, instance, attribute_type), value in changes.items():
            key = (ref.name, name, instance, ref.evse_id, ref.connector_id)
            if attribute_type == ACTUAL and key not in self._index.live:
                self._over[key] = value

    def _mark(self, changes: Mapping[ValueKey, str]) -> None:
        """Changed at run time: persisted, and restored over the template after a restart."""
        for ref, name, instance, _ in changes:
            if ref.evse_id is None:
                self.changed_keys.add(
                    f"{ref.name}.{name}{f'.{instance}' if instance else ''}".lower()
                )

    # -- the key store (keystore.KeyStore): UI procedures, persistence -----------------------

    def _entry(self, key: str) -> Entry | None:
        return self._index.keys.get(key.lower())

    def get(self, key: str) -> str | None:
        entry = self._entry(key)
        if entry is None:
            return super().get(key)
        v = entry.variable
        return self.value(entry.component.name, v.name, v.instance)

    def set(self, key: str, value: str) -> None:
        entry = self._entry(key)
        if entry is None:
            super().set(key, value)
        else:
            v = entry.variable
            self.set_actual(entry.component.name, v.name, value, v.instance)

    def change(self, key: str, value: str) -> ChangeStatus:
        """As a SetVariables of the variable's Actual value would: unknown keys are not
        supported, read-only ones and values its characteristics refuse rejected."""
        entry = self._entry(key)
        if entry is None:
            return super().change(key, value)
        request = {
            "setVariableData": [
                {
                    "component": entry.component.to_json(),
                    "variable": entry.variable_json(),
                    "attributeValue": value,
                }
            ]
        }
        [result] = self.set_variables(request)["setVariableResult"]
        return _STATUSES.get(result["attributeStatus"], ChangeStatus.REJECTED)

    def as_list(self) -> list[dict[str, Any]]:
        """Every stored station-wide variable (live ones are asked when reported, not kept)
        with the value it will have after the next start, then the keys that are no
        variable. Built on each call, as KeyStore's."""
        out = []
        for entry in self._index.listed:
            attribute = entry.variable.attribute(ACTUAL)
            assert attribute is not None  # _index lists only variables with an Actual
            mutability = self.values.mutability(entry, attribute)
            v = entry.variable
            waiting = self._pending.get((entry.component, v.name, v.instance, ACTUAL))
            out.append(
                {
                    "key": key_name(entry),
                    "readonly": mutability not in _WRITABLE,
                    "value": waiting
                    if waiting is not None
                    else self.values.value(entry, attribute),
                    "visible": mutability != "WriteOnly",
                    "reboot": v.reboot_required,
                }
            )
        return out + super().as_list()

    def shown(self) -> list[dict[str, Any]]:
        """The UI's list: a WriteOnly variable's value (SecurityCtrlr.BasicAuthPassword) is not
        shown, as GetVariables does not give it (B06)."""
        return [{**item, "value": ""} if not item["visible"] else item for item in self.as_list()]

    def visible(self, keys: Iterable[str] | None = None) -> tuple[list[dict[str, Any]], list[str]]:
        listed = {item["key"].lower(): item for item in self.as_list() if item["visible"]}
        if keys is None:
            chosen = list(listed.values())
            unknown: list[str] = []
        else:
            chosen, unknown = [], []
            for key in keys:
                entry = self._entry(key)
                item = listed.get(key_name(entry).lower() if entry else key.lower())
                if item is None:
                    unknown.append(key)
                else:
                    chosen.append(item)
        return [_as_entry(item) for item in chosen], unknown

    def restore(
        self, persisted: Iterable[dict[str, Any]], changed: Iterable[str] | None = None
    ) -> None:
        """Values a previous run persisted (`as_list`, `changed_keys`), over the template's: for
        the variables still writable (a template's readonly wins) whose value is still valid,
        and, when `changed` lists them, only those changed at run time."""
        wanted = None if changed is None else {key.lower() for key in changed}
        others: list[dict[str, Any]] = []
        restored: dict[ValueKey, str] = {}
        for item in persisted:
            name = str(item.get("key", ""))
            entry = self._entry(name)
            if entry is None:
                others.append(item)
                continue
            value = item.get("value")
            attribute = entry.variable.attribute(ACTUAL)
            if (
                (wanted is not None and key_name(entry).lower() not in wanted)
                or not isinstance(value, str)
                or attribute is None
                or not attribute.persistent
                or self.values.mutability(entry, attribute) not in _WRITABLE
                or check_value(value, entry.characteristics) is not None
            ):
                continue
            v = entry.variable
            restored[(entry.component, v.name, v.instance, ACTUAL)] = value
        if restored:
            self.values.apply(restored)
            self._note(restored)
            self._mark(restored)
            self.version += 1
        super().restore(others, changed)


def _component(name: str, evse: int | None, connector: int | None) -> dict[str, Any]:
    out: dict[str, Any] = {"name": name}
    if evse is not None:
        out["evse"] = {"id": evse} if connector is None else {"id": evse, "connectorId": connector}
    return out


def _as_entry(item: Mapping[str, Any]) -> dict[str, Any]:
    entry: dict[str, Any] = {"key": item["key"], "readonly": item["readonly"]}
    if item["value"] is not None:
        entry["value"] = item["value"]
    return entry


__all__ = ["ChangeHook", "EvseRow", "LiveValues", "Variables", "evse_rows"]
