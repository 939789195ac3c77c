"""Generic process pools: they move opaque elements between worker processes.

Nothing here knows OCPP; `simulator/` names the element factory by import path.
"""
