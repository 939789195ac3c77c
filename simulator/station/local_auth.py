"""Local authorization (OCPP 1.6 section 3.5): the Local Authorization List and the
Authorization Cache of one station, and how they answer for an idTag.

The list changes only by SendLocalList (section 5.15); the cache learns every IdTagInfo the
CSMS sends (Authorize.conf, StartTransaction.conf), and one that contradicts the list is reported
as a LocalListConflict (section 3.5.2). Both are plain data (`as_data`/`from_data`)
so the station can persist them (issue 5). The decisions are methods without I/O; `authorize`
is the one place that asks the CSMS.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from simulator.station.connector_status import report_error
from simulator.station.ports import AuthorizerHost
from simulator.station.rpc import ConnectionLost

FEATURE_PROFILE = "LocalAuthListManagement"
ACCEPTED = "Accepted"
# A cache without a configured size: large enough for any simulated user base, bounded so a
# long run with generated idTags does not grow without limit.
CACHE_SIZE = 1000
DEFAULT_LIST_MAX_LENGTH = 100
DEFAULT_SEND_MAX_LENGTH = 20

# No answer from the CSMS; a CALLERROR (CallFailed) is an answer, not being offline.
_OFFLINE = (TimeoutError, ConnectionLost)


def _expired(info: dict[str, Any], now: datetime) -> bool:
    expiry = info.get("expiryDate")
    if not expiry:
        return False
    moment = datetime.fromisoformat(str(expiry).replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment <= now


def effective(info: dict[str, Any], now: datetime) -> dict[str, Any]:
    """The IdTagInfo as it stands now: a valid entry past its expiryDate is Expired (3.5.1)."""
    if info.get("status") == ACCEPTED and _expired(info, now):
        return {**info, "status": "Expired"}
    return info


@dataclass(slots=True)
class LocalAuthorization:
    """The Local Authorization List (with its version) and the Authorization Cache."""

    list_version: int = 0
    local_list: dict[str, dict[str, Any]] = field(default_factory=dict)
    cache: OrderedDict[str, dict[str, Any]] = field(default_factory=OrderedDict)
    cache_size: int = CACHE_SIZE

    # -- SendLocalList, GetLocalListVersion ----------------------------------------------

    def version(self) -> int:
        """GetLocalListVersion.conf (section 5.10): 0 for an empty list. A Differential update
        compares with this version too: a list emptied at version 6 is at 0, not at a hidden 6."""
        return self.list_version if self.local_list else 0

    def update(
        self,
        list_version: int,
        update_type: str,
        entries: list[dict[str, Any]],
        *,
        max_length: int,
        send_max_length: int,
    ) -> str:
        """SendLocalList.req (sections 5.15, 6.41): the UpdateStatus; the list is unchanged
        unless Accepted."""
        tags = [entry["idTag"] for entry in entries]
        if list_version <= 0 or len(entries) > send_max_length or len(set(tags)) != len(tags):
            return "Failed"  # errata 3.52: versions 0 and -1 are reserved
        if update_type == "Differential":
            if list_version <= self.version():
                return "VersionMismatch"
            updated = dict(self.local_list)
        else:
            updated = {}
        for entry in entries:
            info = entry.get("idTagInfo")
            if info is None:
                updated.pop(entry["idTag"], None)  # a differential entry without info deletes
            else:
                updated[entry["idTag"]] = info
        if len(updated) > max_length:
            return "Failed"
        self.local_list = updated
        self.list_version = list_version if updated else 0
        for tag in updated:
            # Section 3.5.3: identifiers of the list are not kept in the cache.
            self.cache.pop(tag, None)
        return ACCEPTED

    # -- the cache ------------------------------------------------------------------------

    def remember(self, id_tag: str, info: dict[str, Any]) -> None:
        """An IdTagInfo from the CSMS (section 3.5.1): latest first; when full, the not-valid
        entries go first, then the oldest valid ones."""
        if id_tag in self.local_list:
            return
        self.cache.pop(id_tag, None)
        if len(self.cache) >= self.cache_size:
            invalid = [tag for tag, known in self.cache.items() if known.get("status") != ACCEPTED]
            for tag in invalid:
                del self.cache[tag]
            while len(self.cache) >= self.cache_size:
                self.cache.popitem(last=False)
        self.cache[id_tag] = info

    def conflicts(self, id_tag: str, info: dict[str, Any], now: datetime) -> bool:
        """Section 3.5.2: the CSMS's IdTagInfo for the idTag says another status than the
        list's entry does (as it stands now: an entry past its expiryDate is Expired)."""
        entry = self.local_list.get(id_tag)
        return entry is not None and effective(entry, now).get("status") != info.get("status")

    def clear_cache(self) -> None:
        self.cache.clear()

    def lookup(
        self, id_tag: str, now: datetime, *, list_enabled: bool, cache_enabled: bool
    ) -> dict[str, Any] | None:
        """What the station knows of the idTag: the list before the cache (section 3.5.3)."""
        if list_enabled and id_tag in self.local_list:
            return effective(self.local_list[id_tag], now)
        if cache_enabled and id_tag in self.cache:
            return effective(self.cache[id_tag], now)
        return None

    # -- persistence ----------------------------------------------------------------------

    def as_data(self) -> dict[str, Any]:
        return {
            "listVersion": self.list_version,
            "localList": self.local_list,
            "cache": list(self.cache.items()),
        }

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> LocalAuthorization:
        return cls(
            list_version=int(data.get("listVersion", 0)),
            local_list=dict(data.get("localList", {})),
            cache=OrderedDict((tag, info) for tag, info in data.get("cache", [])),
        )


class Authorizer:
    """A station's authorization of idTags: its CSMS, its local list and cache, and the
    configuration keys that choose between them (sections 3.5, 9.1)."""

    def __init__(self, station: AuthorizerHost) -> None:
        self.station = station
        self.state = LocalAuthorization()
        # Conflicts reported, (listVersion, idTag, the CSMS's status): an Authorize.conf and
        # the StartTransaction.conf that follows tell the same conflict once.
        self._conflicts: set[tuple[int, str, str]] = set()

    def _flag(self, key: str, default: bool) -> bool:
        value = self.station.configuration.get(key)
        return default if value is None else value.strip().lower() == "true"

    def supported(self) -> bool:
        profiles = self.station.configuration.get("SupportedFeatureProfiles") or ""
        return FEATURE_PROFILE.lower() in (p.strip().lower() for p in profiles.split(","))

    @property
    def list_enabled(self) -> bool:
        return self.supported() and self._flag("LocalAuthListEnabled", True)

    @property
    def cache_enabled(self) -> bool:
        return self._flag("AuthorizationCacheEnabled", False)

    def send_local_list(
        self, list_version: int, update_type: str, entries: list[dict[str, Any]]
    ) -> str:
        if not self.supported():
            return "NotSupported"
        configuration = self.station.configuration
        return self.state.update(
            list_version,
            update_type,
            entries,
            max_length=configuration.get_int("LocalAuthListMaxLength", DEFAULT_LIST_MAX_LENGTH),
            send_max_length=configuration.get_int(
                "SendLocalListMaxLength", DEFAULT_SEND_MAX_LENGTH
            ),
        )

    def list_version(self) -> int:
        """Section 5.10: -1 when the station does not support local lists."""
        return self.state.version() if self.supported() else -1

    def remember(self, id_tag: str, info: dict[str, Any]) -> None:
        """An IdTagInfo from the CSMS: into the cache; one that contradicts the Local
        Authorization List is reported (section 3.5.2) and leaves the list as it is, which
        only SendLocalList changes."""
        if self.list_enabled and self.state.conflicts(id_tag, info, self.station.clock.now()):
            self._report_conflict(id_tag, str(info.get("status")))
        if self.cache_enabled:
            self.state.remember(id_tag, info)
            self.station.persist()  # the cache survives a restart (issue 5)

    def _report_conflict(self, id_tag: str, status: str) -> None:
        conflict = (self.state.list_version, id_tag, status)
        if conflict in self._conflicts:
            return
        self._conflicts.add(conflict)
        self.station.log.info("Local list conflict: the CSMS says {} is {}", id_tag, status)
        self.station.spawn(
            report_error(self.station, "LocalListConflict", f"{id_tag} is {status} for the CSMS")
        )

    def known(self, id_tag: str) -> dict[str, Any] | None:
        return self.state.lookup(
            id_tag,
            self.station.clock.now(),
            list_enabled=self.list_enabled,
            cache_enabled=self.cache_enabled,
        )

    async def authorize(self, id_tag: str) -> bool:
        """True when the idTag may charge (sections 3.5, 4.1).

        Online: LocalPreAuthorize lets a locally valid idTag start without asking the CSMS;
        otherwise Authorize.req decides, and its answer goes into the cache. Offline (no
        answer): LocalAuthorizeOffline accepts a locally valid idTag, and
        AllowOfflineTxForUnknownId one the station does not know (section 3.5.4).
        """
        known = self.known(id_tag)
        locally_valid = known is not None and known.get("status") == ACCEPTED
        if locally_valid and self._flag("LocalPreAuthorize", False):
            return True
        try:
            response = await self.station.call("Authorize", {"idTag": id_tag})
        except _OFFLINE:
            if known is not None:
                # Section 3.5.4: a known idTag that is not valid is refused, not "unknown".
                return locally_valid and self._flag("LocalAuthorizeOffline", True)
            if self._flag("AllowOfflineTxForUnknownId", False):
                return True
            raise
        info = response["idTagInfo"]
        self.remember(id_tag, info)
        return bool(info["status"] == ACCEPTED)
