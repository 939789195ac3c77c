"""OCPP 2.0.1: pure building blocks (device model) for the 2.0.1 station adapter."""
