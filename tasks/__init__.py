"""Prefect tasks: one step of the case flow each, thin — load, call pure code or a service, store."""
