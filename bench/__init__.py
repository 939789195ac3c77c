"""Load scenarios for evsim and the report they print (`make bench`)."""
