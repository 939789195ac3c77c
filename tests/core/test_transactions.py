"""The core's transactions (core/transactions.py) against a fake outbox on a virtual clock:
what they decide, as the TxEvents they emit and the Verdicts they act on (OCPP 1.6 sections
3.5.4, 4.7, 4.8, 4.10; the same decisions serve every version)."""

from __future__ import annotations

import pytest

from simulator.station.core.errors import TransactionError
from simulator.station.core.tokens import IdToken, TokenStatus, Verdict
from simulator.station.core.tx_ports import StopReason, TxCause, TxKind
from tests.core.harness import FakeSettings, make_core

pytestmark = pytest.mark.timeout(10)


async def test_a_start_is_one_started_event_with_the_token_and_the_register() -> None:
    core = make_core()
    await core.transactions.begin(1, "TAG-A")
    [started] = core.outbox.events
    connector = core.host.connectors[1]
    assert (started.kind, started.ref, started.connector) == (TxKind.STARTED, 1, 1)
    assert (started.token, started.meter_wh) == (IdToken("TAG-A"), connector.meter_start)
    await core.close()


async def test_an_accepted_start_charges_and_reports_the_connector() -> None:
    core = make_core()
    await core.transactions.begin(1, "TAG-A")
    assert core.outbox.statuses == [(1, "Charging")]
    await core.close()


async def test_an_answered_start_takes_the_id_the_outbox_reads_from_the_verdict() -> None:
    core = make_core()
    await core.transactions.begin(1, "TAG-A")
    assert core.host.connectors[1].transaction_id == 42
    assert core.outbox.answered == [(IdToken("TAG-A"), core.outbox.start_verdict)]
    await core.close()


async def test_start_answers_with_the_verdicts_reply_as_the_wire_gave_it() -> None:
    core = make_core()
    assert await core.transactions.start(1, "TAG-A") == {"csms": "accepted"}
    await core.close()


async def test_a_refused_token_ends_the_transaction_deauthorized_when_the_setting_says_so() -> None:
    """Section 3.5.4 / StopTransactionOnInvalidId true."""
    core = make_core(settings=FakeSettings(stop_on_invalid=True))
    core.outbox.start_verdict = Verdict(TokenStatus.INVALID, {})
    await core.transactions.begin(1, "TAG-X")
    assert core.outbox.kinds() == [TxKind.STARTED, TxKind.ENDED]
    assert core.outbox.events[-1].reason is StopReason.DE_AUTHORIZED
    await core.close()


async def test_a_refused_token_keeps_the_transaction_suspended_when_the_setting_says_not() -> None:
    """StopTransactionOnInvalidId false: the transaction stays, SuspendedEVSE (4.9 C5)."""
    core = make_core(settings=FakeSettings(stop_on_invalid=False))
    core.outbox.start_verdict = Verdict(TokenStatus.BLOCKED, {})
    await core.transactions.begin(1, "TAG-X")
    assert core.outbox.kinds() == [TxKind.STARTED]
    assert core.host.connectors[1].status == "SuspendedEVSE"
    await core.close()


async def test_a_start_without_an_answer_runs_offline() -> None:
    """Section 3.5.4: no answer now (offline, timeout), the transaction carries on."""
    core = make_core()
    core.outbox.start_verdict = Verdict(None, None)
    verdict = await core.transactions.begin(1, "TAG-A")
    connector = core.host.connectors[1]
    assert verdict.status is None
    assert (connector.transaction_started, connector.transaction_id) == (True, None)
    await core.close()


async def test_a_start_made_offline_says_so() -> None:
    core = make_core()
    core.outbox.link = False
    core.outbox.start_verdict = Verdict(None, None)
    await core.transactions.begin(1, "TAG-A")
    assert core.outbox.events[0].offline
    await core.close()


async def test_a_late_answer_gives_the_running_transaction_its_id() -> None:
    core = make_core()
    core.outbox.start_verdict = Verdict(None, None)
    await core.transactions.begin(1, "TAG-A")
    late = core.transactions.queue.on_late
    assert late is not None
    await late(1, Verdict(TokenStatus.ACCEPTED, {}))
    assert core.host.connectors[1].transaction_id == 42
    await core.close()


async def test_a_start_skipped_late_ends_its_transaction_with_reason_other() -> None:
    """The CSMS kept refusing the queued start (section 3.7.1): it has no such transaction."""
    core = make_core()
    core.outbox.start_verdict = Verdict(None, None)
    await core.transactions.begin(1, "TAG-A")
    late = core.transactions.queue.on_late
    assert late is not None
    await late(1, Verdict(None, None))
    assert core.outbox.events[-1].reason is StopReason.OTHER
    await core.close()


async def test_a_start_the_outbox_fails_leaves_the_connector_free() -> None:
    core = make_core()
    core.outbox.refuse = RuntimeError("refused every time")
    with pytest.raises(RuntimeError):
        await core.transactions.begin(1, "TAG-A")
    assert not core.host.connectors[1].transaction_started
    await core.close()


async def test_a_second_start_on_a_busy_connector_is_refused() -> None:
    core = make_core()
    await core.transactions.begin(1, "TAG-A")
    with pytest.raises(TransactionError):
        await core.transactions.begin(1, "TAG-B")
    await core.close()


async def test_an_end_carries_the_register_and_the_reason_given_as_ocpps_string() -> None:
    core = make_core()
    await core.transactions.begin(1, "TAG-A")
    await core.clock.run_for(3600)
    await core.transactions.stop(1, "Remote")
    ended = core.outbox.events[-1]
    assert (ended.kind, ended.reason, ended.token) == (
        TxKind.ENDED,
        StopReason.REMOTE,
        IdToken("TAG-A"),
    )
    assert ended.meter_wh == round(core.host.connectors[1].meter.register_wh)
    await core.close()


async def test_an_ended_connector_is_free_and_reported_available() -> None:
    core = make_core()
    await core.transactions.begin(1, "TAG-A")
    await core.transactions.stop(1)
    assert not core.host.connectors[1].transaction_started
    assert core.outbox.statuses[-1] == (1, "Available")
    await core.close()


async def test_the_end_keeps_the_transactions_samples_with_the_end_value_last() -> None:
    """transactionDataMeterValues: the begin value, the kept periodic ones, the end value."""
    core = make_core(
        settings=FakeSettings(interval=10, ended="Energy.Active.Import.Register"),
        transactionDataMeterValues=True,
    )
    await core.transactions.begin(1, "TAG-A")
    await core.clock.run_for(25)
    await core.transactions.stop(1)
    samples = core.outbox.events[-1].samples
    assert samples is not None
    contexts = [value["samples"][0]["why"] for value in samples]
    assert contexts == [
        "Transaction.Begin",
        "Sample.Periodic",
        "Sample.Periodic",
        "Transaction.End",
    ]
    await core.close()


async def test_without_kept_samples_the_end_carries_none() -> None:
    core = make_core()
    await core.transactions.begin(1, "TAG-A")
    await core.transactions.stop(1)
    assert core.outbox.events[-1].samples is None
    await core.close()


async def test_begin_end_values_are_a_boundary_update_and_the_ends_own_samples() -> None:
    core = make_core(beginEndMeterValues=True)
    await core.transactions.begin(1, "TAG-A")
    await core.transactions.stop(1)
    begin, ended = core.outbox.events[1], core.outbox.events[2]
    assert (begin.kind, begin.cause) == (TxKind.UPDATED, TxCause.METER_BEGIN)
    assert [value["samples"][0]["why"] for value in ended.end_samples] == ["Transaction.End"]
    await core.close()


async def test_periodic_updates_follow_the_sample_interval() -> None:
    core = make_core(settings=FakeSettings(interval=10))
    await core.transactions.begin(1, "TAG-A")
    await core.clock.run_for(35)
    updates = [e for e in core.outbox.events if e.kind is TxKind.UPDATED]
    assert [e.cause for e in updates] == [TxCause.METER_PERIODIC] * 3
    await core.close()


async def test_the_sample_interval_is_read_at_each_sample() -> None:
    """A change by the CSMS applies from the next sample; 0 ends the sampling."""
    core = make_core(settings=FakeSettings(interval=10))
    await core.transactions.begin(1, "TAG-A")
    await core.clock.run_for(15)
    core.settings.interval = 0
    await core.clock.run_for(100)
    assert core.outbox.kinds().count(TxKind.UPDATED) == 2
    await core.close()


async def test_clock_aligned_values_of_an_idle_connector_are_a_report_not_an_update() -> None:
    """Section 3.7: meter values of no transaction are not transaction-related."""
    core = make_core(settings=FakeSettings(aligned=900))
    sampler = core.host.spawn(core.transactions.sample_clock_aligned())
    await core.clock.run_for(900)
    assert [connector for connector, _ in core.outbox.reports] == [1]
    assert core.outbox.events == []
    sampler.cancel()
    await core.close()
