"""A TokenInfo as the station's persisted document holds it (its `localAuthorization`
section): shaped as OCPP 1.6's IdTagInfo, the form state files of earlier versions hold, so
they restore and are written back as they were read; a 2.0.1 entry's EVSEs, which 1.6 has
not, are an `evseId` list beside."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from simulator.station.core.tokens import TokenInfo, TokenStatus


def _stored_timestamp(moment: datetime) -> str:
    utc = moment.astimezone(UTC)
    if utc.microsecond == 0:
        return utc.strftime("%Y-%m-%dT%H:%M:%SZ")
    spec = "milliseconds" if utc.microsecond % 1000 == 0 else "microseconds"
    return utc.replace(tzinfo=None).isoformat(timespec=spec) + "Z"


def expiry_of(value: Any) -> datetime | None:
    """A stored or received expiry; None when absent, or unreadable (then nothing can be said
    of when it ends)."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def status_of(value: Any) -> TokenStatus:
    """A stored or received status; one of no version reads as not valid."""
    try:
        return TokenStatus(value)
    except ValueError:
        return TokenStatus.INVALID


def info_as_data(info: TokenInfo) -> dict[str, Any]:
    data: dict[str, Any] = {"status": info.status.value}
    if info.group is not None:
        data["parentIdTag"] = info.group
    if info.expiry is not None:
        data["expiryDate"] = _stored_timestamp(info.expiry)
    if info.evse_ids:
        data["evseId"] = list(info.evse_ids)  # 2.0.1 only: a 1.6 entry never has it
    return data


def info_from_data(data: Mapping[str, Any]) -> TokenInfo:
    group = data.get("parentIdTag")
    return TokenInfo(
        status_of(data.get("status")),
        expiry=expiry_of(data.get("expiryDate")),
        group=str(group) if group is not None else None,
        evse_ids=tuple(int(evse) for evse in data.get("evseId") or ()),
    )


__all__ = ["expiry_of", "info_as_data", "info_from_data", "status_of"]
