"""The OCPP 2.0.1 schema set (`SCHEMAS201`): the `ocpp` package's v201 schemas, whose files name
a request "<Action>Request.json" (OCPP-J 2.0.1 4.1.6: the action is the message name without
"Request"), asked for by the session's names like 1.6's ("TransactionEvent",
"TransactionEventResponse").

Not compiled in the forkserver preload as 1.6's are: all 128 take 0.7 to 1 s and 11 MiB, the
dozen of a station's day (boot, heartbeat, statuses, authorize, transaction events, meter values
and their answers) 0.1 to 0.15 s and 7 to 8 MiB (bench/schema_compile_cost.py), which a
1.6-only fleet would pay in every worker for nothing. A worker with 2.0.1 stations compiles
each validator on its first use, once (`SCHEMAS201.precompile(names)` compiles chosen ones
ahead)."""

from __future__ import annotations

from simulator.station.schemas import Schemas

SCHEMAS201 = Schemas("ocpp.v201", request_suffix="Request")
"""Every OCPP 2.0.1 payload validator of the process."""

__all__ = ["SCHEMAS201"]
