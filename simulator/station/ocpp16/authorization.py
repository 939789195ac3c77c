"""The core's authorization spoken in OCPP 1.6: Authorize.req (section 4.1) for the CSMS's
verdict, a LocalListConflict StatusNotification (section 3.5.2), and the 1.6 face of the
`Authorizer` that the station exposes as `station.authorization`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from simulator.station.connector_status import report_error
from simulator.station.core.authorization import Authorizer
from simulator.station.core.tokens import IdToken, TokenInfo, TokenStatus
from simulator.station.ocpp16.id_tag_lists import IdTagLists
from simulator.station.ocpp16.tokens import token_info
from simulator.station.ports import StatusReporter
from simulator.station.rpc import ConnectionLost

# No answer from the CSMS; a CALLERROR (CallFailed) is an answer, not being offline.
_UNANSWERED = (TimeoutError, ConnectionLost)


class Authorize16:
    """The core's AuthorizationOutbox over the station's one path of messages."""

    __slots__ = ("station",)

    def __init__(self, station: StatusReporter) -> None:
        self.station = station

    async def authorize(self, token: IdToken) -> TokenInfo:
        response = await self.station.call("Authorize", {"idTag": token.value})
        return token_info(response["idTagInfo"])

    def unanswered(self, error: Exception) -> bool:
        return isinstance(error, _UNANSWERED)

    async def report_conflict(self, token: str, status: TokenStatus) -> None:
        await report_error(self.station, "LocalListConflict", f"{token} is {status} for the CSMS")


class Authorizer16(Authorizer):
    """`Authorizer` with what 1.6 readers take from it: the list and cache as IdTagInfo
    dicts, and the IdTagInfo of a transaction answer to remember."""

    @property
    def state(self) -> IdTagLists:
        return IdTagLists(self.tokens)

    def remember(self, token: str, info: TokenInfo | Mapping[str, Any]) -> None:
        """`info` as a TokenInfo, or the IdTagInfo of a Start/StopTransaction.conf."""
        super().remember(token, info if isinstance(info, TokenInfo) else token_info(info))


__all__ = ["Authorize16", "Authorizer16"]
