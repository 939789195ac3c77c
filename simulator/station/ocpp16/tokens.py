"""OCPP 1.6 idTags and IdTagInfo (sections 7.14, 7.15) to the core's tokens and back."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from simulator.station.clock import iso_timestamp
from simulator.station.core.authorization import ListEntry
from simulator.station.core.token_data import info_from_data
from simulator.station.core.tokens import TokenInfo


def token_info(id_tag_info: Mapping[str, Any]) -> TokenInfo:
    """An IdTagInfo the CSMS sent. An expiryDate that does not parse is left out, a status
    of no version reads as Invalid: either only gets past a station without schema checks."""
    # The persisted section holds IdTagInfo-shaped entries too: one reader for both.
    return info_from_data(id_tag_info)


def id_tag_info(info: TokenInfo) -> dict[str, Any]:
    """The IdTagInfo of a TokenInfo."""
    data: dict[str, Any] = {"status": info.status.value}
    if info.group is not None:
        data["parentIdTag"] = info.group
    if info.expiry is not None:
        data["expiryDate"] = iso_timestamp(info.expiry)
    return data


def list_entry(entry: Mapping[str, Any]) -> ListEntry:
    """A SendLocalList.req AuthorizationData (section 7.2): without idTagInfo, a deletion."""
    info = entry.get("idTagInfo")
    return str(entry["idTag"]), token_info(info) if info is not None else None


__all__ = ["id_tag_info", "list_entry", "token_info"]
