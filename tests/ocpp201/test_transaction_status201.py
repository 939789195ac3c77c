"""GetTransactionStatus (Part 2 E14) answered from the 2.0.1 queue; every request and
answer checked against the v201 schemas."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from simulator.station.ocpp201.transaction_status import get_transaction_status
from tests.device_model_support import schema
from tests.ocpp201.tx_harness import Tx201, make_tx201

pytestmark = pytest.mark.timeout(10)

REQUEST = schema("GetTransactionStatusRequest")
RESPONSE = schema("GetTransactionStatusResponse")


async def ask(tx: Tx201, transaction_id: str | None = None) -> dict[str, Any]:
    payload = {} if transaction_id is None else {"transactionId": transaction_id}
    REQUEST(copy.deepcopy(payload))
    answer = await get_transaction_status(tx.station, payload)
    RESPONSE(copy.deepcopy(answer))
    return answer


async def test_an_unknown_transaction_is_neither_ongoing_nor_queued_E14_FR_01() -> None:
    tx = make_tx201()
    assert await ask(tx, "no-such") == {"ongoingIndicator": False, "messagesInQueue": False}


async def test_a_running_transaction_is_ongoing_E14_FR_02() -> None:
    tx = make_tx201()
    await tx.transactions.begin(1, "TAG-A")
    assert (await ask(tx, "tx-1"))["ongoingIndicator"] is True
    await tx.close()


async def test_an_ended_transaction_is_not_ongoing_E14_FR_03() -> None:
    tx = make_tx201()
    await tx.transactions.begin(1, "TAG-A")
    await tx.transactions.stop(1)
    assert (await ask(tx, "tx-1"))["ongoingIndicator"] is False
    await tx.close()


async def test_messages_of_the_transaction_still_queued_are_reported_E14_FR_04() -> None:
    tx = make_tx201()
    tx.go_offline()
    await tx.transactions.begin(1, "TAG-A")
    await tx.transactions.stop(1)
    assert await ask(tx, "tx-1") == {"ongoingIndicator": False, "messagesInQueue": True}
    await tx.close()


async def test_no_message_of_the_transaction_queued_is_reported_E14_FR_05() -> None:
    tx = make_tx201(connectors=2)
    await tx.transactions.begin(1, "TAG-A")
    tx.go_offline()
    await tx.transactions.begin(2, "TAG-B")
    assert (await ask(tx, "tx-1"))["messagesInQueue"] is False
    assert (await ask(tx, "tx-2"))["messagesInQueue"] is True
    await tx.close()


async def test_without_a_transaction_id_no_ongoing_indicator_E14_FR_06() -> None:
    tx = make_tx201()
    assert "ongoingIndicator" not in await ask(tx)


async def test_without_a_transaction_id_any_queued_message_counts_E14_FR_07_08() -> None:
    tx = make_tx201()
    assert await ask(tx) == {"messagesInQueue": False}
    tx.go_offline()
    await tx.transactions.begin(1, "TAG-A")
    assert await ask(tx) == {"messagesInQueue": True}
    await tx.close()
