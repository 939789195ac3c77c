"""The version-neutral station core: state and decisions in core terms (connector numbers,
tokens, transaction events), no wire field or action name, no socket. It awaits only its ports;
each OCPP version's adapter (`simulator.station.ocpp16`, later `ocpp201`) translates."""
