"""Prefect orchestration, fetching, configuration and the command line."""
