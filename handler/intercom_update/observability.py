"""Logger, Tracer and Metrics: one instance each per container, configured by POWERTOOLS_* env.

The defaults below apply only where the environment says nothing (local runs and tests); in
Lambda the template sets POWERTOOLS_SERVICE_NAME and POWERTOOLS_METRICS_NAMESPACE.

Where tracing is off (``POWERTOOLS_TRACE_DISABLED``, or outside Lambda, the same rule as
Powertools' own), the Tracer gets a provider that records nothing, instead of the X-Ray SDK:
importing the SDK costs a cold start about 100 ms even when it is disabled.
"""

from __future__ import annotations

import os
from collections.abc import AsyncGenerator, Generator, Sequence
from contextlib import asynccontextmanager, contextmanager
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.tracing.base import BaseProvider, BaseSegment

SERVICE_NAME = os.environ.get("POWERTOOLS_SERVICE_NAME") or "intercom-update-user"
METRICS_NAMESPACE = os.environ.get("POWERTOOLS_METRICS_NAMESPACE") or "IntercomUpdateUser"


def tracing_enabled() -> bool:
    disabled = os.environ.get("POWERTOOLS_TRACE_DISABLED", "").strip().lower()
    if disabled in {"1", "true", "yes", "on", "y", "t"}:
        return False
    in_lambda = bool(os.environ.get("LAMBDA_TASK_ROOT"))
    emulated = bool(os.environ.get("AWS_SAM_LOCAL") or os.environ.get("AWS_CHALICE_CLI_MODE"))
    return in_lambda and not emulated


class _UnrecordedSegment(BaseSegment):
    def close(self, end_time: int | None = None) -> None:
        pass

    def add_subsegment(self, subsegment: Any) -> None:
        pass

    def remove_subsegment(self, subsegment: Any) -> None:
        pass

    def put_annotation(self, key: str, value: Any) -> None:
        pass

    def put_metadata(self, key: str, value: Any, namespace: str = "default") -> None:
        pass

    def add_exception(self, exception: BaseException, stack: Any, remote: bool = False) -> None:
        pass


class UnrecordedTracing(BaseProvider):
    """A Powertools tracing provider for when tracing is off: every segment is a no-op."""

    @contextmanager
    def in_subsegment(self, name: Any = None, **kwargs: Any) -> Generator[BaseSegment, None, None]:
        yield _UnrecordedSegment()

    @asynccontextmanager
    async def in_subsegment_async(
        self, name: Any = None, **kwargs: Any
    ) -> AsyncGenerator[BaseSegment, None]:
        yield _UnrecordedSegment()

    def put_annotation(self, key: str, value: Any) -> None:
        pass

    def put_metadata(self, key: str, value: Any, namespace: str = "default") -> None:
        pass

    def patch(self, modules: Sequence[str]) -> None:
        pass

    def patch_all(self) -> None:
        pass


logger = Logger(service=SERVICE_NAME)
tracer = (
    Tracer(service=SERVICE_NAME)
    if tracing_enabled()
    else Tracer(service=SERVICE_NAME, disabled=True, provider=UnrecordedTracing())
)
metrics = Metrics(service=SERVICE_NAME, namespace=METRICS_NAMESPACE)
