"""OCPP 1.6: importing the profile modules registers their handlers."""

from simulator.station.ocpp16 import core, remote_trigger
from simulator.station.ocpp16.routing import HANDLERS

__all__ = ["HANDLERS", "core", "remote_trigger"]
