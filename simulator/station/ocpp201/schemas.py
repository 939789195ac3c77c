"""The OCPP 2.0.1 schema set (`SCHEMAS201`): the `ocpp` package's v201 schemas, whose files name
a request "<Action>Request.json" (OCPP-J 2.0.1 4.1.6: the action is the message name without
"Request"), asked for by the session's names like 1.6's ("TransactionEvent",
"TransactionEventResponse")."""

from __future__ import annotations

from typing import Final

from simulator.station.schemas import Schemas

SCHEMAS201 = Schemas("ocpp.v201", request_suffix="Request")
"""Every OCPP 2.0.1 payload validator of the process."""

# The messages of every 2.0.1 station's day, compiled in the forkserver preload (about 0.1 s of
# the 0.9 s all 128 take): a fleet with 2.0.1 stations starts without compiling them in each
# worker; the rest compile on first use, in the worker that needs them.
HOT_PATH: Final = tuple(
    name
    for action in (
        "BootNotification",
        "Heartbeat",
        "StatusNotification",
        "Authorize",
        "TransactionEvent",
        "MeterValues",
    )
    for name in (action, f"{action}Response")
)


def precompile_hot_path() -> None:
    """Compile the validators of HOT_PATH now (where the worker stack is preloaded)."""
    SCHEMAS201.precompile(HOT_PATH)


__all__ = ["HOT_PATH", "SCHEMAS201", "precompile_hot_path"]
