"""The answers of UI procedures (ui0.0.1): a status, an error message on failure, and for
procedures on stations the hashIds that succeeded and those that failed, with why."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

SUCCESS = "success"
FAILURE = "failure"

Answer = dict[str, Any]


def failure(message: str, **extra: Any) -> Answer:
    return {"status": FAILURE, "errorMessage": message, **extra}


def on_stations(succeeded: Iterable[str], failed: list[dict[str, Any]]) -> Answer:
    """The answer of a procedure on stations: a failure when any station failed. `failed`
    holds one {"hashId", "error"} per station (a dead worker's entry names no hashId)."""
    answer: Answer = {"status": FAILURE if failed else SUCCESS, "hashIdsSucceeded": list(succeeded)}
    if failed:
        answer["hashIdsFailed"] = [entry["hashId"] for entry in failed if "hashId" in entry]
        answer["responsesFailed"] = failed
    return answer
