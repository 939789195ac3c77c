"""`evsim csms`: run the bundled central system until SIGINT/SIGTERM."""

import argparse
import asyncio
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from loguru import logger

from simulator.csms.policy import BOOT_STATUSES
from simulator.csms.server import CentralSystem
from simulator.logs import configure_logging

_LOG_LEVELS = ("TRACE", "DEBUG", "INFO", "SUCCESS", "WARNING", "ERROR", "CRITICAL")


class UsageError(Exception):
    """A bad command line, reported as one line with exit status 2."""


class _Parser(argparse.ArgumentParser):
    # argparse prints the whole usage and exits; the project's rule is one line and a
    # status returned from main(), which a parent CLI can pass through.
    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {message} (see --help)")


def _port(text: str) -> int:
    port = _int(text)
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"port must be 0..65535, got {port}")
    return port


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None


def _positive_int(text: str) -> int:
    value = _int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be > 0, got {value}")
    return value


def _non_negative_int(text: str) -> int:
    value = _int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {value}")
    return value


def _csv(text: str) -> list[str]:
    return [item.strip() for item in text.split(",") if item.strip()]


def _boot_statuses(text: str) -> list[str]:
    statuses = _csv(text)
    if not statuses:
        raise argparse.ArgumentTypeError("empty boot status sequence")
    unknown = [s for s in statuses if s not in BOOT_STATUSES]
    if unknown:
        raise argparse.ArgumentTypeError(
            f"unknown boot status {', '.join(unknown)}; use {', '.join(sorted(BOOT_STATUSES))}"
        )
    return statuses


def _credentials(text: str) -> tuple[str, str]:
    user, sep, password = text.partition(":")
    if not sep or not user:
        raise argparse.ArgumentTypeError("expected USER:PASSWORD")
    return user, password


def _log_level(text: str) -> str:
    level = text.upper()
    if level not in _LOG_LEVELS:
        raise argparse.ArgumentTypeError(f"unknown level {text!r}; use {', '.join(_LOG_LEVELS)}")
    return level


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="evsim csms",
        description="A scriptable OCPP-J 1.6 and 2.0.1 central system for demos and tests.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=_port, default=8180, help="TCP port; 0 picks a free one")
    parser.add_argument(
        "--heartbeat-interval",
        type=_positive_int,
        default=60,
        metavar="SECONDS",
        help="interval sent with an Accepted BootNotification",
    )
    parser.add_argument(
        "--boot-status-sequence",
        type=_boot_statuses,
        default=["Accepted"],
        metavar="S1,S2,...",
        help="per station, the nth boot gets the nth status, the last repeats (e.g. "
        "Pending,Accepted)",
    )
    parser.add_argument(
        "--boot-retry-interval",
        type=_non_negative_int,
        default=1,
        metavar="SECONDS",
        help="interval sent with a Pending or Rejected BootNotification",
    )
    parser.add_argument(
        "--reject-id-tags",
        type=_csv,
        default=[],
        metavar="TAG1,TAG2,...",
        help="idTags answered Invalid",
    )
    parser.add_argument(
        "--accepted-vendor-ids",
        type=_csv,
        default=["evsim"],
        metavar="V1,V2,...",
        help="DataTransfer vendorIds answered Accepted (others: UnknownVendorId)",
    )
    parser.add_argument(
        "--basic-auth", type=_credentials, metavar="USER:PASSWORD", help="require HTTP basic auth"
    )
    parser.add_argument("--report", type=Path, metavar="PATH", help="write the JSON report here")
    parser.add_argument(
        "--journal",
        type=Path,
        metavar="PATH",
        help="append every CALL answered with a CALLRESULT to this file (one JSON line each) "
        "before its answer leaves; a restarted CSMS appends to it",
    )
    parser.add_argument(
        "--no-recognise-retransmissions",
        dest="recognise_retransmissions",
        action="store_false",
        help="give every StartTransaction a new id and count a transaction message received "
        "again after its answer left as an anomaly (<action>.duplicate), as a CSMS that does "
        "not match retransmissions would suffer it (for testing a station's persistence)",
    )
    parser.add_argument("--log-level", type=_log_level, default="INFO")
    return parser


def _configure_logging(level: str) -> None:
    configure_logging(level=level, console=True, process="csms")


async def _run(csms: CentralSystem) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    await csms.start()
    try:
        await stop.wait()
    finally:
        await csms.stop()


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
    except UsageError as error:
        print(error, file=sys.stderr)
        return 2
    _configure_logging(args.log_level)
    csms = CentralSystem(
        args.host,
        args.port,
        heartbeat_interval=args.heartbeat_interval,
        boot_status_sequence=args.boot_status_sequence,
        boot_retry_interval=args.boot_retry_interval,
        reject_id_tags=args.reject_id_tags,
        accepted_vendor_ids=args.accepted_vendor_ids,
        auth=args.basic_auth,
        report_path=args.report,
        journal_path=args.journal,
        recognise_retransmissions=args.recognise_retransmissions,
    )
    try:
        asyncio.run(_run(csms))
    except OSError as error:
        # Port taken, address not local, report directory missing: the user's to fix.
        logger.error("csms cannot start on {}:{}: {}", args.host, args.port, error)
        return 1
    return 0
