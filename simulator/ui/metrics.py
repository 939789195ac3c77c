"""`GET /metrics`: the fleet in Prometheus text format, read from the supervisor at scrape time
(no counters are kept twice: the station table and the merged statistics are the source)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.registry import Collector

from simulator.connector_entries import physical_connectors
from simulator.stats import Histogram, bucket_bounds
from simulator.supervisor import Supervisor

# Upper bounds of the latency histogram buckets, in seconds.
LATENCY_BOUNDS = (
    0.001,
    0.0025,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
    30.0,
)


def prometheus_buckets(histogram: Histogram) -> list[tuple[str, float]]:
    """Cumulative (le, count) pairs. A log-linear bucket counts under the first bound its
    whole range fits below, so counts are exact to the log-linear bucket width (~3 %)."""
    per_bound = [0] * len(LATENCY_BOUNDS)
    for index, count in histogram.counts.items():
        high_us = bucket_bounds(index)[1] - 1
        for position, bound in enumerate(LATENCY_BOUNDS):
            if high_us <= bound * 1_000_000:
                per_bound[position] += count
                break
    buckets: list[tuple[str, float]] = []
    cumulative = 0
    for bound, count in zip(LATENCY_BOUNDS, per_bound, strict=True):
        cumulative += count
        buckets.append((str(bound), cumulative))
    buckets.append(("+Inf", histogram.total))
    return buckets


class FleetCollector(Collector):
    def __init__(self, supervisor: Supervisor) -> None:
        self._supervisor = supervisor

    def collect(self) -> Iterator[Metric]:
        supervisor = self._supervisor
        counts = supervisor.counts()
        stations = GaugeMetricFamily("evsim_stations", "Stations by state", labels=["state"])
        stations.add_metric(["known"], counts.stations)
        stations.add_metric(["started"], counts.started)
        stations.add_metric(["connected"], counts.connected)
        stations.add_metric(["booted"], counts.booted)
        yield stations
        # The same by OCPP version, for a mixed fleet (evsim_stations stays the fleet's).
        by_version = GaugeMetricFamily(
            "evsim_stations_by_ocpp_version",
            "Stations by OCPP version (stationInfo.ocppVersion) and state",
            labels=["ocpp_version", "state"],
        )
        for version, of_version in supervisor.counts_by_version().items():
            for state, number in (
                ("known", of_version.stations),
                ("started", of_version.started),
                ("connected", of_version.connected),
                ("booted", of_version.booted),
            ):
                by_version.add_metric([version, state], number)
        yield by_version

        statuses: Counter[str] = Counter()
        transactions = reconnects = queued = dropped = skipped = 0
        for data in supervisor.stations.values():
            reconnects += int(data.get("reconnects") or 0)
            queue = data.get("transactionQueue") or {}
            queued += int(queue.get("length") or 0)
            dropped += int(queue.get("dropped") or 0)
            skipped += int(queue.get("skipped") or 0)
            # A 1.6 station's connectors, a 2.0.1 station's those of its EVSEs.
            for connector in physical_connectors(data):
                status = connector.get("connectorStatus") or {}
                statuses[str(status.get("status"))] += 1
                transactions += bool(status.get("transactionStarted"))
        connectors = GaugeMetricFamily(
            "evsim_connectors",
            "Connectors (id > 0) by status, as their station's OCPP version spells it",
            labels=["status"],
        )
        for status, number in sorted(statuses.items()):
            connectors.add_metric([status], number)
        yield connectors
        yield GaugeMetricFamily(
            "evsim_transactions_active", "Connectors with a transaction", value=transactions
        )
        yield CounterMetricFamily(
            "evsim_station_reconnects",
            "WebSocket connections the stations opened again after their first",
            value=reconnects,
        )
        yield GaugeMetricFamily(
            "evsim_transaction_queue_messages",
            "Transaction messages waiting in the stations' queues (offline, or retried)",
            value=queued,
        )
        # Counters of the stations' lifetime (a restarted worker's stations count from their
        # persisted totals).
        yield CounterMetricFamily(
            "evsim_transaction_queue_dropped",
            "MeterValues dropped from a full transaction queue (never a start or a stop)",
            value=dropped,
        )
        yield CounterMetricFamily(
            "evsim_transaction_queue_skipped",
            "Transaction messages given up after TransactionMessageAttempts CALLERRORs",
            value=skipped,
        )

        pool = supervisor.pool
        yield GaugeMetricFamily(
            "evsim_workers", "Worker processes running", value=pool.worker_count if pool else 0
        )
        yield CounterMetricFamily(
            "evsim_worker_exits",
            "Worker processes that exited unexpectedly",
            value=supervisor.worker_exits,
        )

        doc = "for actions the CSMS initiates: received, answered, answered with an error"
        calls = CounterMetricFamily(
            "evsim_ocpp_calls", f"OCPP CALLs sent ({doc})", labels=["action"]
        )
        results = CounterMetricFamily(
            "evsim_ocpp_call_results", "CALLRESULTs received for the CALLs sent", labels=["action"]
        )
        errors = CounterMetricFamily(
            "evsim_ocpp_call_errors", "CALLERRORs received for the CALLs sent", labels=["action"]
        )
        timeouts = CounterMetricFamily(
            "evsim_ocpp_call_timeouts", "CALLs left unanswered past the timeout", labels=["action"]
        )
        latency = HistogramMetricFamily(
            "evsim_ocpp_call_latency_seconds",
            "From CALL sent to its CALLRESULT or CALLERROR",
            labels=["action"],
        )
        for action, stats in sorted(supervisor.totals.commands.items()):
            calls.add_metric([action], stats.requests)
            results.add_metric([action], stats.responses)
            errors.add_metric([action], stats.errors)
            timeouts.add_metric([action], stats.timeouts)
            latency.add_metric(
                [action],
                prometheus_buckets(stats.latency_us),
                sum_value=stats.latency_us.sum / 1_000_000,
            )
        yield from (calls, results, errors, timeouts, latency)


def exposition(collector: FleetCollector) -> tuple[bytes, str]:
    """The text exposition of the collector, and its content type."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(collector)
    return generate_latest(registry), CONTENT_TYPE_LATEST
