"""The automatic transaction generator: one loop per connector, as in the TS simulator.

Each loop waits a random delay (min/maxDelayBetweenTwoTransactions), then with
probabilityOfStart authorizes an idTag (requireAuthorize), starts a transaction, charges for a
random duration (min/maxDuration) and stops it; it ends stopAfterHours after its start. Every
draw comes from the connector's own seeded generator, so a run seed replays the same sessions.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from simulator.station.clock import iso_timestamp
from simulator.station.core.errors import TransactionError
from simulator.station.core.post_transaction import FINISHING
from simulator.station.core.tokens import TokenStatus
from simulator.station.core.transactions import connector_rng
from simulator.station.id_tags import IdTagDistribution
from simulator.station.light_random import Rng
from simulator.station.ports import GeneratorHost


@functools.cache
def _start_failures(send_errors: tuple[type[Exception], ...]) -> tuple[type[Exception], ...]:
    # One tuple for every station of a worker, not one each.
    return (*send_errors, TransactionError)


@dataclass(slots=True)
class ConnectorGeneratorStatus:
    """The seed's ATG status of one connector (its field names, for the UI)."""

    start: bool = False
    start_date: datetime | None = None
    last_run_date: datetime | None = None
    stop_date: datetime | None = None
    stopped_date: datetime | None = None
    authorize_requests: int = 0
    accepted_authorize_requests: int = 0
    rejected_authorize_requests: int = 0
    start_transaction_requests: int = 0
    accepted_start_transaction_requests: int = 0
    rejected_start_transaction_requests: int = 0
    stop_transaction_requests: int = 0
    accepted_stop_transaction_requests: int = 0
    rejected_stop_transaction_requests: int = 0
    skipped_consecutive_transactions: int = 0
    skipped_transactions: int = 0

    def as_data(self) -> dict[str, Any]:
        def date(moment: datetime | None) -> str | None:
            return iso_timestamp(moment) if moment is not None else None

        return {
            "start": self.start,
            "startDate": date(self.start_date),
            "lastRunDate": date(self.last_run_date),
            "stopDate": date(self.stop_date),
            "stoppedDate": date(self.stopped_date),
            "authorizeRequests": self.authorize_requests,
            "acceptedAuthorizeRequests": self.accepted_authorize_requests,
            "rejectedAuthorizeRequests": self.rejected_authorize_requests,
            "startTransactionRequests": self.start_transaction_requests,
            "acceptedStartTransactionRequests": self.accepted_start_transaction_requests,
            "rejectedStartTransactionRequests": self.rejected_start_transaction_requests,
            "stopTransactionRequests": self.stop_transaction_requests,
            "acceptedStopTransactionRequests": self.accepted_stop_transaction_requests,
            "rejectedStopTransactionRequests": self.rejected_stop_transaction_requests,
            "skippedConsecutiveTransactions": self.skipped_consecutive_transactions,
            "skippedTransactions": self.skipped_transactions,
        }


class AutomaticTransactionGenerator:
    def __init__(
        self,
        station: GeneratorHost,
        id_tags: IdTagDistribution,
        send_errors: tuple[type[Exception], ...],
    ) -> None:
        """`send_errors`: what a message to the CSMS may end with (no answer, refused, the
        connection lost): a start that fails so counts as rejected."""
        self.station = station
        self._start_failures = _start_failures(send_errors)
        self.config = station.template.automatic_transaction_generator
        self.id_tags = id_tags
        self.connector_ids = sorted(cid for cid in station.connectors if cid > 0)
        self.statuses = {cid: ConnectorGeneratorStatus() for cid in self.connector_ids}
        # Made on first use and kept: a restarted loop continues its stream, not replays it.
        self._rngs: dict[int, Rng] = {}
        self._loops: dict[int, asyncio.Task[None]] = {}
        # The template's section as the UI shows it (camelCase keys), built once.
        self._config_data = self.config.model_dump(by_alias=True, exclude_unset=False)

    @property
    def running(self) -> bool:
        return any(status.start for status in self.statuses.values())

    def running_connectors(self) -> list[int]:
        return [cid for cid, status in self.statuses.items() if status.start]

    def data(self) -> dict[str, Any]:
        return {
            "automaticTransactionGenerator": self._config_data,
            "automaticTransactionGeneratorStatuses": [
                self.statuses[cid].as_data() for cid in self.connector_ids
            ],
        }

    def start(self, connector_ids: Iterable[int] | None = None) -> None:
        """Start the loops of `connector_ids` (all connectors when None) that are not running."""
        now = self.station.clock.now()
        for cid in self._select(connector_ids):
            status = self.statuses[cid]
            loop = self._loops.get(cid)
            if status.start and loop is not None and not loop.done():
                continue
            status.start = True
            status.start_date = now
            status.last_run_date = now
            status.stop_date = now + timedelta(hours=self.config.stop_after_hours)
            status.stopped_date = None
            # A loop asked to stop may still be in its last session: it carries on instead of
            # a second loop on the same connector.
            if loop is None or loop.done():
                self._loops[cid] = self.station.spawn(self._run(cid))
        self._changed()
        self.station.persist()  # which loops run survives a restart

    def stop(self, connector_ids: Iterable[int] | None = None) -> None:
        """Ask the loops to end: a transaction in progress runs to its drawn end and stops."""
        for cid in self._select(connector_ids):
            self._end(cid)
        self._changed()
        self.station.persist()

    def _select(self, connector_ids: Iterable[int] | None) -> list[int]:
        if connector_ids is None:
            return self.connector_ids
        chosen = list(connector_ids)
        unknown = [cid for cid in chosen if cid not in self.statuses]
        if unknown:
            raise ValueError(f"no connector {', '.join(map(str, unknown))}")
        return chosen

    def _end(self, connector_id: int) -> None:
        status = self.statuses[connector_id]
        if status.start:
            status.start = False
            status.stopped_date = self.station.clock.now()

    def _wanted(self, connector_id: int) -> bool:
        return self.statuses[connector_id].start

    def _changed(self) -> None:
        self.station.atg_changed()

    async def _run(self, connector_id: int) -> None:
        status = self.statuses[connector_id]
        config = self.config
        rng = self._rngs.get(connector_id)
        if rng is None:
            rng = self._rngs[connector_id] = connector_rng(
                self.station.spec.seed, "atg", connector_id
            )
        station = self.station
        clock = station.clock
        while status.start:
            if status.stop_date is not None and clock.now() >= status.stop_date:
                break
            await station.wait_accepted()
            await clock.sleep(
                rng.randint(
                    config.min_delay_between_two_transactions,
                    config.max_delay_between_two_transactions,
                )
            )
            if not self._wanted(connector_id):  # stopped during the delay
                break
            if status.stop_date is not None and clock.now() >= status.stop_date:
                break  # stopAfterHours ran out during the delay: no session after it
            connector = station.connectors[connector_id]
            if connector.transaction_started or connector.status == FINISHING:
                # The UI or the CSMS started one, or the last one is not over (its
                # postTransactionDelay): wait for the connector to be free.
                continue
            if rng.random() < config.probability_of_start:
                status.skipped_consecutive_transactions = 0
                duration = rng.randint(config.min_duration, config.max_duration)
                id_tag = self.id_tags.pick(connector_id, rng)
                if await self._start_transaction(connector_id, id_tag):
                    await clock.sleep(duration)
                    await self._stop_transaction(connector_id)
            else:
                status.skipped_consecutive_transactions += 1
                status.skipped_transactions += 1
            status.last_run_date = clock.now()
            self._changed()
        self._end(connector_id)
        self._changed()

    async def _start_transaction(self, connector_id: int, id_tag: str) -> bool:
        status = self.statuses[connector_id]
        transactions = self.station.transactions
        sent = False
        try:
            if self.config.require_authorize:
                status.authorize_requests += 1
                if not await transactions.authorize(id_tag):
                    status.rejected_authorize_requests += 1
                    return False
                status.accepted_authorize_requests += 1
            status.start_transaction_requests += 1
            sent = True
            verdict = await transactions.begin(connector_id, id_tag)
        except self._start_failures as exc:
            self.station.log.debug("ATG start on connector {} failed: {}", connector_id, exc)
            if sent:
                status.rejected_start_transaction_requests += 1
            return False
        # No status: started offline, its start queued (section 3.5.4).
        if verdict.status not in (None, TokenStatus.ACCEPTED):
            status.rejected_start_transaction_requests += 1
            return False
        status.accepted_start_transaction_requests += 1
        return True

    async def _stop_transaction(self, connector_id: int) -> None:
        status = self.statuses[connector_id]
        status.stop_transaction_requests += 1
        try:
            response = await self.station.transactions.stop(connector_id, "Local")
        except TransactionError:
            # Stopped meanwhile by someone else (the UI, the CSMS, a station stop).
            status.stop_transaction_requests -= 1
            return
        if response is None:
            status.rejected_stop_transaction_requests += 1
        else:
            status.accepted_stop_transaction_requests += 1


__all__ = ["AutomaticTransactionGenerator", "ConnectorGeneratorStatus"]
