"""A station's configuration keys, whatever its OCPP version: the template's keys over the
version's defaults, changed by the CSMS or the UI, restored after a restart, and listed.

The mechanism is the same for every version: a 1.6 station keeps its standard keys here
(ocpp16/keys.py holds their table and rules), a 2.0.1 station its flat `Component.Variable`
keys, as the TypeScript simulator stores them. What a version decides is which keys exist at
first and which values a change may give (`ValueRule`); the persisted entries
(`configurationKey`, `changedKeys`) have one shape for both.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any, Protocol

from simulator.config import check_ws_urls


class ChangeStatus(StrEnum):
    """How a change of a key's value went. The values are the words the UI reports, which
    are 1.6's ChangeConfiguration statuses; another version's adapter maps them to its own."""

    ACCEPTED = "Accepted"
    REJECTED = "Rejected"
    REBOOT_REQUIRED = "RebootRequired"
    NOT_SUPPORTED = "NotSupported"


@dataclass(frozen=True, slots=True)
class StoredKey:
    """One key as a store holds it: replaced, never changed in place, so that the stations
    of one template share the same objects until one of them changes its value."""

    key: str
    value: str | None
    readonly: bool = False
    visible: bool = True
    reboot: bool = False


class TemplateKey(Protocol):
    """A key as a template lists it (template_sections.ConfigurationKey)."""

    @property
    def key(self) -> str: ...

    @property
    def value(self) -> str | None: ...

    @property
    def readonly(self) -> bool: ...

    @property
    def visible(self) -> bool: ...

    @property
    def reboot(self) -> bool: ...


Lookup = Callable[[str], "str | None"]


class ValueRule(Protocol):
    def __call__(self, key: str, value: str, get: Lookup) -> bool:
        """Whether `value` suits `key` (as the store spells it); `get` reads the store's other
        keys, for a rule that depends on them (1.6's "...MaxLength")."""


def any_value(key: str, value: str, get: Lookup) -> bool:
    return True


# The keys of (version defaults, template keys) as a store holds them, by the identity of both:
# built once per template and worker, not once per station (issue 16: a tenth of a station's
# construction at boot, and ~8 KB of objects and lower-cased names a station). Bounded.
_LAYERS: dict[tuple[int, int], tuple[object, object, dict[str, StoredKey]]] = {}
_LAYERS_MAX = 256


def _layer(
    defaults: Iterable[StoredKey], template_keys: Iterable[TemplateKey]
) -> dict[str, StoredKey]:
    cached = _LAYERS.get((id(defaults), id(template_keys)))
    if cached is not None and cached[0] is defaults and cached[1] is template_keys:
        return cached[2]
    keys = list(defaults)
    keys.extend(
        StoredKey(
            key=item.key,
            value=item.value,
            readonly=item.readonly,
            visible=item.visible,
            reboot=item.reboot,
        )
        for item in template_keys
    )
    # Interned: the stations of other templates name the same keys.
    base = {sys.intern(item.key.lower()): item for item in keys}
    if len(_LAYERS) >= _LAYERS_MAX:
        _LAYERS.clear()
    _LAYERS[(id(defaults), id(template_keys))] = (defaults, template_keys, base)
    return base


class KeyStore:
    """Keys are looked up case-insensitively (1.6's CiString50Type, sections 6.9, 6.23; 2.0.1
    names are case-insensitive too), and reported as the template spells them."""

    __slots__ = ("_keys", "_rule", "_url_keys", "changed_keys", "version")

    def __init__(
        self,
        keys: Iterable[StoredKey],
        *,
        rule: ValueRule = any_value,
        url_keys: Iterable[str] = (),
    ) -> None:
        self._keys: dict[str, StoredKey] = {}
        # Keys given a value at run time (a change, the station itself): only these are
        # restored over the template after a restart, so an edited template's values win for
        # the others.
        self.changed_keys: set[str] = set()
        self.version = 0  # bumped by every change: the persisted document re-encodes the keys
        for item in keys:
            self._keys[item.key.lower()] = item
        self._rule = rule
        # Keys holding a CSMS URL: a change must give a ws:// or wss:// one.
        self._url_keys = frozenset(key.lower() for key in url_keys)

    @classmethod
    def layered(
        cls,
        defaults: Iterable[StoredKey],
        template_keys: Iterable[TemplateKey],
        *,
        rule: ValueRule = any_value,
        supervision_url: tuple[str, str] | None = None,
    ) -> KeyStore:
        """The template's keys over the version's `defaults` (a template key takes the place
        of the default it overrides). `supervision_url`: (supervisionUrlOcppKey, the station's
        URL) when the template has supervisionUrlOcppConfiguration; the key is added, unless
        the template has it, as the TS simulator adds it: reboot required (the URL serves from
        the next connection)."""
        base = _layer(defaults, template_keys)
        if supervision_url is None:
            return cls._of(base, rule=rule)
        url_key, url = supervision_url
        store = cls._of(base, rule=rule, url_keys=(url_key,))
        if url_key.lower() not in base:
            store._keys[url_key.lower()] = StoredKey(url_key, url, reboot=True)
        return store

    @classmethod
    def _of(
        cls, base: dict[str, StoredKey], *, rule: ValueRule, url_keys: Iterable[str] = ()
    ) -> KeyStore:
        store = cls((), rule=rule, url_keys=url_keys)
        store._keys = dict(base)  # the entries shared, the station's own dict
        return store

    def declare(self, key: str) -> None:
        """A key a part of the station keeps its own state in, which no version or template
        has (2.0.1's network connection profiles): hidden, empty until set, persisted and
        restored like the others. A key the store has already stays as it is."""
        # Interned: every station declares the same keys.
        self._keys.setdefault(sys.intern(key.lower()), StoredKey(key, None, visible=False))

    def get(self, key: str) -> str | None:
        item = self._keys.get(key.lower())
        return item.value if item is not None else None

    def get_int(self, key: str, default: int) -> int:
        value = self.get(key)
        try:
            return int(value) if value is not None else default
        except ValueError:
            return default

    def set(self, key: str, value: str) -> None:
        """Set a value from the station's own logic, readonly or not."""
        self.version += 1
        self.changed_keys.add(key.lower())
        item = self._keys.get(key.lower())
        self._keys[key.lower()] = (
            StoredKey(key, value) if item is None else replace(item, value=value)
        )

    def change(self, key: str, value: str) -> ChangeStatus:
        """A change the CSMS or the UI asks for (1.6 ChangeConfiguration.req, section 5.3):
        unknown keys are not supported, readonly keys and values the rule refuses rejected."""
        item = self._keys.get(key.lower())
        if item is None:
            return ChangeStatus.NOT_SUPPORTED
        if item.readonly or not self._rule(item.key, value, self.get):
            return ChangeStatus.REJECTED
        if item.key.lower() in self._url_keys and not _is_ws_url(value):
            return ChangeStatus.REJECTED
        self._keys[item.key.lower()] = replace(item, value=value)
        self.changed_keys.add(item.key.lower())
        self.version += 1
        return ChangeStatus.REBOOT_REQUIRED if item.reboot else ChangeStatus.ACCEPTED

    def visible(self, keys: Iterable[str] | None = None) -> tuple[list[dict[str, Any]], list[str]]:
        """The known visible keys as key/readonly/value entries (1.6 GetConfiguration.conf,
        section 5.8), and the unknown ones."""
        if keys is None:
            selected = [item for item in self._keys.values() if item.visible]
            unknown: list[str] = []
        else:
            selected, unknown = [], []
            for key in keys:
                item = self._keys.get(key.lower())
                if item is None or not item.visible:
                    unknown.append(key)
                else:
                    selected.append(item)
        return [_as_entry(item) for item in selected], unknown

    def restore(
        self, persisted: Iterable[dict[str, Any]], changed: Iterable[str] | None = None
    ) -> None:
        """Values a previous run persisted, over the template's: for the keys the template still
        has and does not make readonly (an edited template's readonly value wins), and, when
        `changed` lists them, only for the keys changed at run time."""
        wanted = None if changed is None else {key.lower() for key in changed}
        for entry in persisted:
            name = str(entry.get("key", "")).lower()
            item = self._keys.get(name)
            value = entry.get("value")
            if wanted is not None and name not in wanted:
                continue
            if item is not None and not item.readonly and isinstance(value, str):
                self._keys[name] = replace(item, value=value)
                self.changed_keys.add(name)
                self.version += 1

    def shown(self) -> list[dict[str, Any]]:
        """What the UI lists: every key as persisted (a version whose keys may be secret
        leaves their values out)."""
        return self.as_list()

    def as_list(self) -> list[dict[str, Any]]:
        # Built on each call, not cached: a cached copy would cost every station ~9 KB.
        return [
            {
                "key": item.key,
                "readonly": item.readonly,
                "value": item.value,
                "visible": item.visible,
                "reboot": item.reboot,
            }
            for item in self._keys.values()
        ]


def _is_ws_url(value: str) -> bool:
    try:
        check_ws_urls([value])
    except ValueError:
        return False
    return True


def _as_entry(item: StoredKey) -> dict[str, Any]:
    entry: dict[str, Any] = {"key": item.key, "readonly": item.readonly}
    if item.value is not None:
        entry["value"] = item.value
    return entry


__all__ = [
    "ChangeStatus",
    "KeyStore",
    "Lookup",
    "StoredKey",
    "TemplateKey",
    "ValueRule",
    "any_value",
]
