"""The core's Local Authorization List and Authorization Cache as OCPP 1.6 reads and writes
them: idTags with IdTagInfo dicts (sections 3.5, 5.15, 7.15). What a 1.6 reader of
`station.authorization.state` sees; the data stays the core's `LocalAuthorization`."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from simulator.station.core.authorization import ListUpdate, LocalAuthorization
from simulator.station.ocpp16.tokens import id_tag_info, list_entry, token_info


class IdTagLists:
    __slots__ = ("tokens",)

    def __init__(self, tokens: LocalAuthorization | None = None) -> None:
        self.tokens = tokens if tokens is not None else LocalAuthorization()

    def __eq__(self, other: object) -> bool:
        return isinstance(other, IdTagLists) and other.tokens == self.tokens

    __hash__ = None  # type: ignore[assignment]  # mutable, as the list it shows

    @property
    def list_version(self) -> int:
        return self.tokens.list_version

    @property
    def local_list(self) -> dict[str, dict[str, Any]]:
        return {tag: id_tag_info(info) for tag, info in self.tokens.local_list.items()}

    @property
    def cache(self) -> OrderedDict[str, dict[str, Any]]:
        return OrderedDict((tag, id_tag_info(info)) for tag, info in self.tokens.cache.items())

    def version(self) -> int:
        return self.tokens.version()

    def update(
        self,
        list_version: int,
        update_type: str,
        entries: Sequence[Mapping[str, Any]],
        *,
        max_length: int,
        send_max_length: int,
    ) -> ListUpdate:
        """SendLocalList.req's list (sections 5.15, 6.41) applied to the list."""
        return self.tokens.update(
            list_version,
            full=update_type != "Differential",
            entries=[list_entry(entry) for entry in entries],
            max_length=max_length,
            send_max_length=send_max_length,
        )

    def remember(self, id_tag: str, info: Mapping[str, Any]) -> None:
        self.tokens.remember(id_tag, token_info(info))

    def conflicts(self, id_tag: str, info: Mapping[str, Any], now: datetime) -> bool:
        return self.tokens.conflicts(id_tag, token_info(info), now)

    def clear_cache(self) -> None:
        self.tokens.clear_cache()

    def lookup(
        self, id_tag: str, now: datetime, *, list_enabled: bool, cache_enabled: bool
    ) -> dict[str, Any] | None:
        found = self.tokens.lookup(
            id_tag, now, list_enabled=list_enabled, cache_enabled=cache_enabled
        )
        return id_tag_info(found) if found is not None else None

    def as_data(self) -> dict[str, Any]:
        return self.tokens.as_data()

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> IdTagLists:
        return cls(LocalAuthorization.from_data(data))


__all__ = ["IdTagLists"]
