"""The RequestStartTransaction a connector's next TransactionEvent answers (OCPP 2.0.1 F01.FR.19,
F01.FR.25, F02.FR.01, F02.FR.21): that event carries triggerReason RemoteStart and the request's
remoteStartId, and the token as the CSMS typed it (IdTokenEnumType).

The remote start handlers write here while the start is on its way: a second request for the
connector is refused meanwhile. The start takes its entry and hands the remoteStartId and the
token's type to the core's `Transactions.begin`, whose event carries them (F02.FR.01)."""

from __future__ import annotations

from dataclasses import dataclass

from simulator.station.core.tokens import IdToken


@dataclass(frozen=True, slots=True)
class RemoteStart:
    remote_start_id: int
    token: IdToken


class RemoteStarts:
    """One station's remote starts awaiting their TransactionEvent, by flat connector id."""

    __slots__ = ("_waiting",)

    def __init__(self) -> None:
        self._waiting: dict[int, RemoteStart] = {}

    def expect(self, connector_id: int, start: RemoteStart) -> None:
        """A request was Accepted for the connector: its next TransactionEvent answers it."""
        self._waiting[connector_id] = start

    def waiting(self, connector_id: int) -> bool:
        """A remote start holds the connector until its TransactionEvent (a second request for
        the same connector would give that event two remoteStartIds)."""
        return connector_id in self._waiting

    def take(self, connector_id: int) -> RemoteStart | None:
        """The remote start the connector's start answers (once), or None."""
        return self._waiting.pop(connector_id, None)

    def forget(self, connector_id: int, start: RemoteStart) -> None:
        """The start did not happen (authorization refused, the connector taken meanwhile):
        no TransactionEvent answers it."""
        if self._waiting.get(connector_id) is start:
            del self._waiting[connector_id]


__all__ = ["RemoteStart", "RemoteStarts"]
