"""The flow's former module path: deployments registered before flows/ was laid out by stage
(`agencywatch schedule`, prefect.yaml) name `flows.pipeline.crawl_flow`, and keep running.
The flow lives in flows/orchestration/flow.py."""

from flows.orchestration.flow import crawl_flow

__all__ = ["crawl_flow"]
