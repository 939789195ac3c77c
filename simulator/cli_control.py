"""`evsim station|connection|atg|transaction|ocpp|simulator|performance ...`: steer a running
simulator through its UI protocol from a terminal or a CI script.

Every command maps to one UI procedure. Stations are chosen with --hash-id (a hashId prefix or a
station id; repeatable; all stations without it). Output is a table, or the response PDU with
--json; the exit code is 1 when the procedure failed or the simulator could not be reached.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any

import orjson
from rich.console import Console
from rich.table import Table

from simulator.connector_entries import physical_connectors
from simulator.ui.client import UiUnreachable, call_procedure

USAGE_ERROR = 2
FAILED = 1
DEFAULT_URL = "ws://127.0.0.1:8080"

OCPP_COMMANDS = (
    "authorize",
    "bootNotification",
    "dataTransfer",
    "diagnosticsStatusNotification",
    "firmwareStatusNotification",
    "heartbeat",
    "meterValues",
    "statusNotification",
)
STATUS_NOTIFICATIONS = ("diagnosticsStatusNotification", "firmwareStatusNotification")

# group -> action -> (procedure, whether it addresses stations)
GROUPS: dict[str, dict[str, tuple[str, bool]]] = {
    "station": {
        "list": ("listChargingStations", False),
        "start": ("startChargingStation", True),
        "stop": ("stopChargingStation", True),
        "add": ("addChargingStations", False),
        "delete": ("deleteChargingStations", True),
    },
    "connection": {
        "open": ("openConnection", True),
        "close": ("closeConnection", True),
    },
    "atg": {
        "start": ("startAutomaticTransactionGenerator", True),
        "stop": ("stopAutomaticTransactionGenerator", True),
    },
    "transaction": {
        "start": ("startTransaction", True),
        "stop": ("stopTransaction", True),
    },
    "ocpp": {command: (command, True) for command in OCPP_COMMANDS},
    "simulator": {
        "state": ("simulatorState", False),
        "start": ("startSimulator", False),
        "stop": ("stopSimulator", False),
    },
    "performance": {"stats": ("performanceStatistics", False)},
}


class CommandError(Exception):
    """A mistake on the command line, found before anything was sent."""

    def __init__(self, message: str, exit_code: int = FAILED) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def add_connection_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--url", default=DEFAULT_URL, help="UI server (ws://, http://)")
    parser.add_argument("--user", help="UI server user (basic or protocol-basic auth)")
    parser.add_argument("--password", help="UI server password")


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    common = argparse.ArgumentParser(add_help=False)
    add_connection_options(common)
    common.add_argument("--payload", help="more payload fields: a JSON object, or @file")
    common.add_argument("--json", action="store_true", help="print the response PDU as JSON")
    targets = argparse.ArgumentParser(add_help=False)
    targets.add_argument(
        "--hash-id",
        action="append",
        dest="hash_ids",
        metavar="PREFIX",
        help="a hashId prefix or a station id (repeatable; default: every station)",
    )
    helps = {
        "station": "list, start, stop, add and delete stations",
        "connection": "open and close station connections",
        "atg": "start and stop the automatic transaction generator",
        "transaction": "start and stop transactions",
        "ocpp": "make stations send an OCPP request",
        "simulator": "the simulator's state; start and stop it",
        "performance": "performance statistics",
    }
    for group, actions in GROUPS.items():
        group_parser = sub.add_parser(group, help=helps[group])
        action_parsers = group_parser.add_subparsers(dest="action", required=True)
        for action, (procedure, on_stations) in actions.items():
            parents = [common, targets] if on_stations else [common]
            parser = action_parsers.add_parser(action, parents=parents, help=procedure)
            _add_action_options(group, action, parser)


def _add_action_options(group: str, action: str, parser: argparse.ArgumentParser) -> None:
    if (group, action) == ("station", "add"):
        parser.add_argument("--template", required=True, help="a name from listTemplates")
        parser.add_argument("--count", type=int, default=1, help="number of stations")
        parser.add_argument("--no-auto-start", action="store_true", help="add them stopped")
        parser.add_argument("--name-suffix", help="station id suffix for these stations")
    elif (group, action) == ("station", "list"):
        parser.add_argument("--hash-id", action="append", dest="hash_ids", metavar="PREFIX")
    elif (group, action) == ("station", "delete"):
        parser.add_argument("--delete-configuration", action="store_true")
    elif group == "atg":
        parser.add_argument("--connector", type=int, action="append", dest="connectors")
    elif (group, action) == ("transaction", "start"):
        parser.add_argument("--connector", type=int, required=True)
        parser.add_argument("--id-tag", required=True)
    elif (group, action) == ("transaction", "stop"):
        parser.add_argument("--transaction-id", type=int, required=True)
    elif group == "ocpp" and action in ("meterValues", "statusNotification"):
        parser.add_argument("--connector", type=int, required=True)
        if action == "statusNotification":
            parser.add_argument("--status", help="the connector's new status")
    elif group == "ocpp" and action == "authorize":
        parser.add_argument("--id-tag", required=True)
    elif group == "ocpp" and action in STATUS_NOTIFICATIONS:
        parser.add_argument("--status", required=True, help="e.g. Uploading, Downloading")


def read_payload(text: str | None) -> dict[str, Any]:
    if text is None:
        return {}
    if text.startswith("@"):
        try:
            text = Path(text[1:]).read_text(encoding="utf-8")
        except OSError as exc:
            raise CommandError(f"--payload: {exc}", USAGE_ERROR) from None
    try:
        payload = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise CommandError(f"--payload: invalid JSON: {exc}", USAGE_ERROR) from None
    if not isinstance(payload, dict):
        raise CommandError("--payload: a JSON object is expected", USAGE_ERROR)
    return payload


def build_payload(args: argparse.Namespace) -> dict[str, Any]:
    """The procedure's payload from the options, under --payload's fields."""
    payload: dict[str, Any] = {}
    group, action = args.command, args.action
    if (group, action) == ("station", "add"):
        options: dict[str, Any] = {"autoStart": not args.no_auto_start}
        if args.name_suffix:
            options["nameSuffix"] = args.name_suffix
        payload = {"template": args.template, "numberOfStations": args.count, "options": options}
    elif (group, action) == ("station", "delete") and args.delete_configuration:
        payload["deleteConfiguration"] = True
    elif group == "atg" and args.connectors:
        payload["connectorIds"] = args.connectors
    elif (group, action) == ("transaction", "start"):
        payload = {"connectorId": args.connector, "idTag": args.id_tag}
    elif (group, action) == ("transaction", "stop"):
        payload = {"transactionId": args.transaction_id}
    elif group == "ocpp" and action in ("meterValues", "statusNotification"):
        payload["connectorId"] = args.connector
        if action == "statusNotification" and args.status:
            payload["status"] = args.status
    elif group == "ocpp" and action == "authorize":
        payload["idTag"] = args.id_tag
    elif group == "ocpp" and action in STATUS_NOTIFICATIONS:
        payload["status"] = args.status
    payload.update(read_payload(args.payload))
    return payload


def select_hash_ids(stations: list[dict[str, Any]], selectors: list[str]) -> list[str]:
    """hashIds of the stations whose hashId starts with a selector or whose id equals one."""
    chosen: list[str] = []
    for selector in selectors:
        matches = [
            s["stationInfo"]["hashId"]
            for s in stations
            if s["stationInfo"]["hashId"].startswith(selector)
            or s["stationInfo"]["chargingStationId"] == selector
        ]
        if not matches:
            raise CommandError(f"--hash-id {selector}: no such station")
        chosen.extend(m for m in matches if m not in chosen)
    return chosen


def run(args: argparse.Namespace) -> int:
    procedure, on_stations = GROUPS[args.command][args.action]
    try:
        payload = build_payload(args)
        response = asyncio.run(_run(args, procedure, on_stations, payload))
    except CommandError as exc:
        print(f"evsim: {exc}", file=sys.stderr)
        return exc.exit_code
    except UiUnreachable as exc:
        print(f"evsim: cannot reach the UI server at {exc}", file=sys.stderr)
        return FAILED
    if args.json:
        print(orjson.dumps(response, option=orjson.OPT_INDENT_2).decode())
    else:
        render(procedure, response, getattr(args, "hash_ids", None))
    return 0 if response.get("status") == "success" else FAILED


async def _run(
    args: argparse.Namespace, procedure: str, on_stations: bool, payload: dict[str, Any]
) -> dict[str, Any]:
    selectors: list[str] | None = getattr(args, "hash_ids", None)
    if selectors and on_stations:
        listed = await call_procedure(
            args.url, "listChargingStations", {}, args.user, args.password
        )
        if listed.get("status") != "success":
            return listed
        payload["hashIds"] = select_hash_ids(listed["chargingStations"], selectors)
    return await call_procedure(args.url, procedure, payload, args.user, args.password)


# -- output -----------------------------------------------------------------------------------


def render(procedure: str, response: dict[str, Any], selectors: list[str] | None) -> None:
    # Piped output (CI logs, grep) gets wide tables rather than truncated cells.
    console = Console(highlight=False, width=None if sys.stdout.isatty() else 200)
    if response.get("status") != "success" and "errorMessage" in response:
        console.print(f"[red]failure[/red]: {response['errorMessage']}")
        return
    if procedure == "listChargingStations":
        stations = response["chargingStations"]
        if selectors:
            chosen = set(select_hash_ids(stations, selectors))
            stations = [s for s in stations if s["stationInfo"]["hashId"] in chosen]
        console.print(stations_table(stations))
    elif procedure == "simulatorState":
        console.print(state_table(response["state"]))
    elif procedure == "performanceStatistics":
        fleet = response.get("fleet", {})
        console.print(performance_table("fleet", fleet.get("statisticsData", {})))
        console.print(f"{len(response['performanceStatistics'])} station records (--json)")
    else:
        console.print(result_table(procedure, response))


def connector_cell(entry: dict[str, Any]) -> str:
    """`1:Charging(tx 42)`: a connector entry (`{connectorId, connectorStatus}`) in a cell;
    `tx ?` while the CSMS has not given the transaction its id."""
    status = entry["connectorStatus"]
    cell = f"{entry['connectorId']}:{status['status']}"
    if status.get("transactionStarted"):
        cell += f"(tx {status.get('transactionId', '?')})"
    return cell


def stations_table(stations: list[dict[str, Any]]) -> Table:
    table = Table("hashId", "station", "template", "started", "ws", "boot", "connectors")
    for data in sorted(stations, key=lambda s: s["stationInfo"]["chargingStationId"]):
        info = data["stationInfo"]
        boot = data.get("bootNotificationResponse") or {}
        # A 1.6 station's connectors, a 2.0.1 station's those of its EVSEs.
        connectors = " ".join(connector_cell(dict(c)) for c in physical_connectors(data))
        table.add_row(
            info["hashId"][:12],
            info["chargingStationId"],
            info.get("templateName", ""),
            "yes" if data.get("started") else "no",
            ("connecting", "open", "closing", "closed")[data.get("wsState", 3)],
            boot.get("status", "-"),
            connectors,
        )
    table.caption = f"{len(stations)} stations"
    return table


def state_table(state: dict[str, Any]) -> Table:
    table = Table("template", "configured", "added", "started", title="evsim " + state["version"])
    for name, item in sorted(state["templateStatistics"].items()):
        table.add_row(name, str(item["configured"]), str(item["added"]), str(item["started"]))
    table.caption = "started" if state["started"] else "stopped"
    return table


def performance_table(title: str, statistics_data: dict[str, Any]) -> Table:
    table = Table(
        "command",
        "requests",
        "responses",
        "errors",
        "timeouts",
        "avg ms",
        "p95 ms",
        "p99 ms",
        "max ms",
        title=title,
    )
    for command, item in statistics_data.items():
        table.add_row(
            command,
            str(item["requestCount"]),
            str(item["responseCount"]),
            str(item["errorCount"]),
            str(item.get("timeoutCount", 0)),
            f"{item['avgTimeMeasurement']:.2f}",
            f"{item['ninetyFiveThPercentileTimeMeasurement']:.2f}",
            f"{item.get('ninetyNineThPercentileTimeMeasurement', 0):.2f}",
            f"{item['maxTimeMeasurement']:.2f}",
        )
    return table


def result_table(procedure: str, response: dict[str, Any]) -> Table:
    succeeded = response.get("hashIdsSucceeded", [])
    failed = response.get("responsesFailed", [])
    table = Table("hashId", "result", title=f"{procedure}: {response.get('status')}")
    for hash_id in succeeded:
        table.add_row(hash_id[:12], "ok")
    for item in failed:
        table.add_row(str(item.get("hashId", item.get("worker", "?")))[:12], str(item["error"]))
    table.caption = f"{len(succeeded)} succeeded, {len(failed)} failed"
    return table
