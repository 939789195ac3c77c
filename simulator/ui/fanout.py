"""One UI procedure sent to every instance of a sharded fleet, the answers merged.

An instance is named by its URL; a DNS name that resolves to several addresses (a Kubernetes
headless Service) stands for one instance per address.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from simulator.ui.client import UiUnreachable, call_procedure

Resolver = Callable[[str, int], list[str]]

# Lists that are the union of the instances' lists; every other field is kept per instance.
MERGED_LISTS = ("hashIdsSucceeded", "hashIdsFailed", "responsesFailed", "chargingStations")


def resolve_addresses(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return sorted({str(info[4][0]) for info in infos})


def expand_urls(urls: Sequence[str], resolve: Resolver = resolve_addresses) -> list[str]:
    """One URL per instance: a host name with several addresses becomes one URL per address."""
    expanded: list[str] = []
    for url in urls:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port or (443 if parts.scheme in ("wss", "https") else 80)
        try:
            addresses = resolve(host, port)
        except OSError:
            addresses = []
        if len(addresses) <= 1:
            expanded.append(url)
            continue
        for address in addresses:
            literal = f"[{address}]" if ":" in address else address
            expanded.append(urlunsplit(parts._replace(netloc=f"{literal}:{port}")))
    return list(dict.fromkeys(expanded))


def merge_responses(answers: dict[str, dict[str, Any] | str]) -> dict[str, Any]:
    """A response PDU for the whole fleet: success only when every instance succeeded; the
    station lists concatenated; each instance's own answer (or why it was unreachable) kept
    under `instances`."""
    merged: dict[str, Any] = {"status": "success", "instances": answers}
    for url, answer in answers.items():
        if isinstance(answer, str):
            merged["status"] = "failure"
            merged.setdefault("errorMessage", "")
            merged["errorMessage"] += f"{url}: {answer}; "
            continue
        if answer.get("status") != "success":
            merged["status"] = "failure"
        for key in MERGED_LISTS:
            if key in answer:
                merged.setdefault(key, []).extend(answer[key])
    return merged


async def fan_out(
    urls: Sequence[str],
    procedure: str,
    payload: dict[str, Any],
    user: str | None = None,
    password: str | None = None,
) -> dict[str, Any]:
    async def one(url: str) -> dict[str, Any] | str:
        try:
            return await call_procedure(url, procedure, payload, user, password)
        except UiUnreachable as exc:
            return f"unreachable ({exc})"

    answers = await asyncio.gather(*(one(url) for url in urls))
    return merge_responses(dict(zip(urls, answers, strict=True)))
