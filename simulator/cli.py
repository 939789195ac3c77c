"""`evsim`: run the simulator, the bundled CSMS, or talk to a running simulator."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import csv
import os
import signal
import socket
import sys
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, NoReturn
from urllib.parse import urlsplit

import orjson
from loguru import logger
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

from simulator import cli_control
from simulator.config import Settings
from simulator.config_error import ConfigError
from simulator.config_loading import load_settings
from simulator.csms import CentralSystem
from simulator.csms.cli import main as csms_main
from simulator.logs import configure_logging
from simulator.performance import open_storage_for
from simulator.plan import StationSpec, plan_stations
from simulator.shards import orchestrated_shard_index
from simulator.station import adapters
from simulator.supervisor import Supervisor
from simulator.ui.access import exposure_refusal
from simulator.ui.client import UiUnreachable, call_procedure
from simulator.ui.fanout import expand_urls, fan_out
from simulator.ui.server import UiServer

DEFAULT_CONFIG = Path("config/config.json")
USAGE_ERROR = 2


def _run_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    run = sub.add_parser("run", help="run the simulated fleet")
    run.add_argument("--config", type=Path, default=DEFAULT_CONFIG, help="config.json path")
    run.add_argument("--log-level", help="override logLevel")
    run.add_argument(
        "--supervision-url", action="append", help="override supervisionUrls (repeatable)"
    )
    run.add_argument("--seed", type=int, help="run seed (station randomness)")
    run.add_argument(
        "--with-csms",
        action="store_true",
        help="also start the bundled CSMS on the host and port of the first supervision URL",
    )
    run.add_argument("--no-progress", action="store_true", help="no progress bar at start-up")
    run.add_argument("--no-uvloop", action="store_true", help="plain asyncio loop in workers")
    _shard_arguments(run)


def _shard_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--shard-index",
        type=int,
        help="this instance's shard (default: EVSIM_SHARD_INDEX, a Kubernetes Indexed Job's "
        "JOB_COMPLETION_INDEX, or the StatefulSet ordinal in the hostname)",
    )
    parser.add_argument("--shard-count", type=int, help="number of instances sharing the fleet")


def _stations_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    stations = sub.add_parser("stations", help="the planned stations, without running them")
    actions = stations.add_subparsers(dest="stations_command", required=True)
    export = actions.add_parser(
        "export", help="write the station ids (and credentials) a CSMS must pre-provision"
    )
    export.add_argument("--config", type=Path, default=DEFAULT_CONFIG)
    export.add_argument("--format", choices=["csv", "json"], default="csv")
    _shard_arguments(export)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="evsim", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    _run_parser(sub)
    _stations_parser(sub)
    sub.add_parser("csms", help="run the bundled OCPP 1.6 CSMS (see `evsim csms --help`)")
    ui = sub.add_parser("ui", help="call a UI protocol procedure on a running simulator")
    ui.add_argument("procedure", help="e.g. listChargingStations, startSimulator")
    ui.add_argument(
        "--url",
        action="append",
        help="UI server URL (default ws://127.0.0.1:8080); repeat it, or give a name that "
        "resolves to several addresses, to send the procedure to every instance of a sharded "
        "fleet and merge the answers",
    )
    ui.add_argument("--user", help="UI server user (basic or protocol-basic auth)")
    ui.add_argument("--password", help="UI server password")
    ui.add_argument("--payload", default="{}", help="JSON object, or @file")
    templates = sub.add_parser("templates", help="list and validate the configured templates")
    templates.add_argument("--config", type=Path, default=DEFAULT_CONFIG)
    cli_control.add_parsers(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    arguments = sys.argv[1:] if argv is None else argv
    if arguments[:1] == ["csms"]:
        return csms_main(arguments[1:])
    args = build_parser().parse_args(arguments)
    try:
        if args.command == "run":
            code = run(args)
            if argv is None:  # the process's own command line, not a caller's
                exit_without_teardown(code)
            return code
        if args.command == "ui":
            return ui(args)
        if args.command == "templates":
            return templates(args)
        if args.command == "stations":
            return export_stations(args)
        if args.command in cli_control.GROUPS:
            return cli_control.run(args)
    except ConfigError as exc:
        print(f"evsim: {exc}", file=sys.stderr)
        return USAGE_ERROR
    return USAGE_ERROR


# -- evsim run ------------------------------------------------------------------------------


def exit_without_teardown(code: int) -> NoReturn:
    """End the process once the fleet is stopped, everything written and closed: the
    interpreter's teardown (a last full collection, then every object of the supervisor's
    view of the fleet freed one by one) took 1.3-1.8 s of a 12 s SIGTERM stop of 10,000
    stations (issue 16), with nothing left to do. What the teardown would still do is
    done first: the log sinks closed (loguru's exit hook), the standard streams flushed."""
    logger.remove()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def run_overrides(args: argparse.Namespace) -> dict[str, Any]:
    overrides: dict[str, Any] = {}
    if args.log_level:
        overrides["logLevel"] = args.log_level
    if args.supervision_url:
        overrides["supervisionUrls"] = args.supervision_url
    if args.seed is not None:
        overrides["seed"] = args.seed
    return overrides


def refuse_unbuildable(plan: Iterable[StationSpec]) -> None:
    """A ConfigError naming the first template whose ocppVersion has no station adapter."""
    for version, path in {spec.template.ocpp_version: spec.template_path for spec in plan}.items():
        try:
            adapters.for_version(version)
        except adapters.UnsupportedOcppVersion as exc:
            raise ConfigError(path, "ocppVersion", str(exc)) from None


def configure_main_logging(settings: Settings) -> None:
    """The supervisor process's log sinks, from logLevel, logConsole, logFile... (also after a
    live reload changed them)."""
    configure_logging(
        level=settings.loguru_level,
        console=settings.log_console,
        log_file=settings.resolve(settings.log_file) if settings.log_file else None,
        error_file=settings.resolve(settings.log_error_file) if settings.log_error_file else None,
        json_format=settings.log_format == "json",
        rotate=settings.log_rotate,
        max_files=settings.log_max_files,
    )


def load_sharded(
    config: Path,
    overrides: dict[str, Any],
    args: argparse.Namespace,
    environ: Mapping[str, str] | None = None,
    hostname: str | None = None,
) -> tuple[Settings, dict[str, Any]]:
    """Settings with the shard flags; when the fleet is sharded and no index was given, the
    index Kubernetes gives the pod. Returns the overrides used, for reloads."""
    environ = os.environ if environ is None else environ
    overrides = dict(overrides)
    if args.shard_count is not None:
        overrides["shardCount"] = args.shard_count
    if args.shard_index is not None:
        overrides["shardIndex"] = args.shard_index
    settings = load_settings(config, overrides)
    explicit = args.shard_index is not None or "EVSIM_SHARD_INDEX" in environ
    if settings.shard_count > 1 and not explicit:
        index = orchestrated_shard_index(environ, hostname or socket.gethostname())
        if index is not None:
            overrides["shardIndex"] = index
            settings = load_settings(config, overrides)
    return settings, overrides


def run(args: argparse.Namespace) -> int:
    settings, overrides = load_sharded(args.config, run_overrides(args), args)
    exposed = exposure_refusal(settings.ui_server)
    if exposed is not None:
        raise ConfigError(settings.config_path, "uiServer.options.host", exposed)
    # A bad template stops start-up here, before any process starts, and so does a station of
    # an OCPP version no adapter speaks (simulator/station/adapters.py).
    refuse_unbuildable(plan_stations(settings))
    open_storage_for(settings)  # and a bad performanceStorage.uri
    configure_main_logging(settings)
    progress = not args.no_progress and sys.stdout.isatty()

    def reload_settings() -> Settings:
        # The same flags over the edited file: a live reload must not drop --log-level & co.
        return load_settings(args.config, overrides)

    try:
        return asyncio.run(
            _serve(settings, args.with_csms, progress, not args.no_uvloop, reload_settings)
        )
    except OSError as exc:  # a port in use, a refused bind: the user's to fix, one line
        print(f"evsim: {exc}", file=sys.stderr)
        return 1


async def _serve(
    settings: Settings,
    with_csms: bool,
    progress: bool,
    use_uvloop: bool,
    reload_settings: Callable[[], Settings] | None = None,
) -> int:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    csms = ui_server = None
    starting: asyncio.Task[None] | None = None
    signalled: asyncio.Task[bool] | None = None
    supervisor = Supervisor(
        settings,
        use_uvloop=use_uvloop,
        reload_settings=reload_settings,
        on_log_settings=configure_main_logging,
    )
    try:
        if with_csms:
            target = urlsplit(settings.supervision_urls[0])
            host, port = target.hostname or "127.0.0.1", target.port or 80
            central = CentralSystem(host=host, port=port)
            await _listen(central.start, settings, "supervisionUrls", host, port)
            csms = central
        if settings.ui_server.enabled:
            server = UiServer(supervisor, settings.ui_server)
            options = settings.ui_server.options
            await _listen(
                server.start, settings, "uiServer.options.port", options.host, options.port
            )
            ui_server = server
        started = time.monotonic()
        # Beside the signal: a SIGTERM while thousands of stations are still being placed
        # stops them now, not once the last is placed (minutes on a loaded machine).
        starting = asyncio.create_task(supervisor.start())
        signalled = asyncio.create_task(stop.wait())
        await asyncio.wait((starting, signalled), return_when=asyncio.FIRST_COMPLETED)
        if starting.done():
            starting.result()  # a failed start raises here
            await _show_boot_progress(supervisor, stop, progress)
            counts = supervisor.counts()
            if counts.booted == counts.stations:
                logger.info(
                    "All {} stations booted in {:.1f} s",
                    counts.stations,
                    time.monotonic() - started,
                )
        await stop.wait()
        logger.info("Stopping")
    finally:
        if signalled is not None:
            signalled.cancel()
        await supervisor.stop()  # which ends a start still placing stations
        if starting is not None and not starting.done():
            await asyncio.wait((starting,))
            if not starting.cancelled() and (error := starting.exception()) is not None:
                logger.error("The start failed during the stop: {}", error)
        if ui_server is not None:
            await ui_server.stop()
        if csms is not None:
            await csms.stop()
    return 0


async def _listen(
    start: Callable[[], Awaitable[None]], settings: Settings, key: str, host: str, port: int
) -> None:
    """Start a server on host:port; a port in use (or not ours to bind) is the user's to fix:
    a ConfigError naming the key that chose the port."""
    try:
        await start()
    except OSError as exc:
        # asyncio's message repeats the address: the errno's own words are enough.
        reason = os.strerror(exc.errno) if exc.errno else str(exc)
        raise ConfigError(
            settings.config_path, key, f"cannot listen on {host}:{port}: {reason}"
        ) from None


async def _show_boot_progress(supervisor: Supervisor, stop: asyncio.Event, visible: bool) -> None:
    """Until every station is booted (or a stop is asked), show how many are."""

    def all_booted(s: Supervisor) -> bool:
        counts = s.counts()
        return bool(counts.booted >= len(s.plan) or stop.is_set())

    if not visible:
        with contextlib.suppress(TimeoutError):
            await supervisor.wait_for(all_booted, timeout=3600)
        return
    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        transient=False,
    ) as bar:
        task = bar.add_task("stations booted", total=len(supervisor.plan))
        while not all_booted(supervisor):
            bar.update(task, completed=supervisor.counts().booted)
            with contextlib.suppress(TimeoutError):
                await supervisor.wait_for(lambda s: stop.is_set(), timeout=0.2)
        bar.update(task, completed=supervisor.counts().booted)


# -- evsim stations export -------------------------------------------------------------------


def export_stations(args: argparse.Namespace) -> int:
    settings, _ = load_sharded(args.config, {}, args)
    rows = [
        {
            "stationId": spec.station_id,
            "hashId": spec.hash_id,
            "template": spec.template_name,
            "supervisionUrl": spec.supervision_url,
            "supervisionUser": spec.supervision_user or "",
            "supervisionPassword": spec.supervision_password or "",
        }
        for spec in plan_stations(settings)
    ]
    if args.format == "json":
        sys.stdout.write(orjson.dumps(rows, option=orjson.OPT_INDENT_2).decode() + "\n")
        return 0
    writer = csv.DictWriter(sys.stdout, fieldnames=list(rows[0]) if rows else ["stationId"])
    writer.writeheader()
    writer.writerows(rows)
    return 0


# -- evsim ui -------------------------------------------------------------------------------


def ui(args: argparse.Namespace) -> int:
    try:
        payload = cli_control.read_payload(args.payload)
        urls = expand_urls(args.url or [cli_control.DEFAULT_URL])
        if len(urls) == 1:
            call = call_procedure(urls[0], args.procedure, payload, args.user, args.password)
        else:
            call = fan_out(urls, args.procedure, payload, args.user, args.password)
        response = asyncio.run(call)
    except cli_control.CommandError as exc:
        print(f"evsim: {exc}", file=sys.stderr)
        return exc.exit_code
    except UiUnreachable as exc:
        print(f"evsim: cannot reach the UI server at {exc}", file=sys.stderr)
        return 1
    print(orjson.dumps(response, option=orjson.OPT_INDENT_2).decode())
    return 0 if response.get("status") == "success" else 1


# -- evsim templates ------------------------------------------------------------------------


def templates(args: argparse.Namespace) -> int:
    settings = load_settings(args.config)
    plan = plan_stations(settings)
    per_template: dict[str, int] = {}
    for spec in plan:
        per_template[spec.template_path] = per_template.get(spec.template_path, 0) + 1
    for path, count in per_template.items():
        print(f"{path}\t{count} stations\tok")
    print(f"{len(plan)} stations in {len(per_template)} templates")
    return 0
