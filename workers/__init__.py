"""Generic process pools: they move opaque elements between worker processes and know nothing of OCPP."""
