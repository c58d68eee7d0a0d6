"""Prefect: the flow, its temporary API server, Dask, deployments."""
