"""The names of the WebSocket client libraries a user chooses between (config.json wsTransport),
kept apart from transport.py so that reading the configuration imports neither library."""

from __future__ import annotations

import importlib.util
import os
from typing import Literal, get_args

TransportName = Literal["auto", "websockets", "picows"]
TRANSPORT_NAMES: tuple[TransportName, ...] = get_args(TransportName)


def picows_installed() -> bool:
    return importlib.util.find_spec("picows") is not None


def from_environment() -> TransportName:
    """EVSIM_WS_TRANSPORT (config.json wsTransport's environment form), else auto; a value
    that is none of the names is config.py's to refuse, and means auto here."""
    value = os.environ.get("EVSIM_WS_TRANSPORT", "auto")
    return next((name for name in TRANSPORT_NAMES if name == value), "auto")
