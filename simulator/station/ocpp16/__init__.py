"""OCPP 1.6: importing the profile modules registers their handlers."""

from simulator.station.ocpp16 import (
    core,
    firmware_management,
    local_auth_list,
    remote_trigger,
    reservation,
    smart_charging,
)
from simulator.station.ocpp16.routing import HANDLERS

__all__ = [
    "HANDLERS",
    "core",
    "firmware_management",
    "local_auth_list",
    "remote_trigger",
    "reservation",
    "smart_charging",
]
