"""The RequestStartTransaction a connector's next TransactionEvent answers (OCPP 2.0.1 F01.FR.19,
F01.FR.25, F02.FR.01, F02.FR.21): that event carries triggerReason RemoteStart and the request's
remoteStartId, and the token as the CSMS typed it (IdTokenEnumType).

The remote start handlers write here; the 2.0.1 outbox takes the entry when it builds the
connector's next TransactionEvent, whatever made that event: the Started event of the
transaction the request began, or the next event of a transaction already running (cable first).
Neither the core's transactions nor its TxEvent need to know of remote starts."""

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
        """For the outbox, building the connector's next TransactionEvent: the remote start it
        answers (once), or None."""
        return self._waiting.pop(connector_id, None)

    def forget(self, connector_id: int, start: RemoteStart) -> None:
        """The start did not happen (authorization refused, the connector taken meanwhile):
        no TransactionEvent answers it."""
        if self._waiting.get(connector_id) is start:
            del self._waiting[connector_id]


__all__ = ["RemoteStart", "RemoteStarts"]
