"""The Local Authorization List and Authorization Cache the CSMS manages (OCPP 2.0.1 Part 2
C11, D01, D02): SendLocalList, GetLocalListVersion and ClearCache, and the values the device
model reports of them (LocalAuthListCtrlr.Entries, the Storage variables)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, Protocol

from simulator.station.core.authorization import ListEntry, ListUpdate, LocalAuthorization
from simulator.station.ocpp201.device_model import VarKey, var_key
from simulator.station.ocpp201.tokens import list_entry


class LocalLists(Protocol):
    """The station's authorization (ocpp201.authorization.Authorizer201) as these read it."""

    @property
    def state(self) -> LocalAuthorization: ...

    @property
    def list_enabled(self) -> bool: ...

    @property
    def cache_enabled(self) -> bool: ...

    def send_local_list(
        self, list_version: int, *, full: bool, entries: Sequence[ListEntry], size: int = 0
    ) -> ListUpdate: ...

    def list_version(self) -> int: ...


class LocalListStation(Protocol):
    @property
    def authorization(self) -> LocalLists: ...

    def persist(self, *, urgent: bool = False) -> None: ...


def message_size(payload: dict[str, Any]) -> int:
    """The bytes of a request's payload as compact JSON: what BytesPerMessage bounds (the
    frame around it, a few dozen bytes, is not counted: a message that fits is not refused)."""
    return len(json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode())


async def send_local_list(station: LocalListStation, payload: dict[str, Any]) -> dict[str, Any]:
    """D01: Accepted (the list replaced, D01.FR.04/15, or changed, D01.FR.05/16/17, and its
    version the request's, D01.FR.01), VersionMismatch for a Differential update not above
    the list's version (D01.FR.19), else Failed: the list disabled, a version under 1
    (D01.FR.18), a token twice (D01.FR.06), over ItemsPerMessage or BytesPerMessage
    (D01.FR.11) or more tokens than Entries' maxLimit (D01.FR.12). The list is unchanged
    unless Accepted, and then persisted (D01.FR.10)."""
    status = station.authorization.send_local_list(
        payload["versionNumber"],
        full=payload["updateType"] == "Full",
        entries=[list_entry(entry) for entry in payload.get("localAuthorizationList") or ()],
        size=message_size(payload),
    )
    if status is ListUpdate.ACCEPTED:
        station.persist()
    return {"status": status.value}


async def get_local_list_version(
    station: LocalListStation, payload: dict[str, Any]
) -> dict[str, Any]:
    """D02.FR.01-03: the list's version; 0 before any update or while the list is disabled."""
    return {"versionNumber": station.authorization.list_version()}


async def clear_cache(station: LocalListStation, payload: dict[str, Any]) -> dict[str, Any]:
    """C11.FR.01/03: the cache is emptied (the list stays), Accepted; Rejected while
    AuthCacheCtrlr.Enabled is false (C11.FR.04)."""
    authorization = station.authorization
    if not authorization.cache_enabled:
        return {"status": "Rejected"}
    authorization.state.clear_cache()
    station.persist()
    return {"status": "Accepted"}


def live_values(tokens: LocalAuthorization) -> dict[VarKey, str]:
    """What the device model reports of the list and cache while the station runs: the
    list's size (LocalAuthListCtrlr.Entries, D01.FR.12) and the bytes each holds (the
    Storage variables), as their persisted form measures them."""
    data = tokens.as_data()
    return {
        var_key("LocalAuthListCtrlr", "Entries"): str(len(tokens.local_list)),
        var_key("LocalAuthListCtrlr", "Storage"): str(_bytes(data["localList"])),
        var_key("AuthCacheCtrlr", "Storage"): str(_bytes(data["cache"])),
    }


def _bytes(section: dict[str, Any] | list[Any]) -> int:
    return len(json.dumps(section, separators=(",", ":")).encode()) if section else 0


__all__ = [
    "LocalListStation",
    "LocalLists",
    "clear_cache",
    "get_local_list_version",
    "live_values",
    "message_size",
    "send_local_list",
]
