"""Logger, Tracer and Metrics: one instance each per container, configured by POWERTOOLS_* env.

The defaults below apply only where the environment says nothing (local runs and tests); in
Lambda the template sets POWERTOOLS_SERVICE_NAME and POWERTOOLS_METRICS_NAMESPACE.

Where tracing is off (``POWERTOOLS_TRACE_DISABLED``, or outside Lambda, the same rule as
Powertools' own), the Tracer gets a provider that records nothing, instead of the X-Ray SDK:
importing the SDK costs a cold start about 100 ms even when it is disabled.

Nothing personal or secret is traced or logged by the libraries at any level: handlers are
traced by ``trace_handler`` (no response, no error message or attributes in the trace), and the
loggers below are held at INFO from import on, before any AWS call a warm-up could make.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
from collections.abc import AsyncGenerator, Callable, Generator, Sequence
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from typing import Any, Final, TypeVar

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.tracing.base import BaseProvider, BaseSegment

SERVICE_NAME = os.environ.get("POWERTOOLS_SERVICE_NAME") or "intercom-update-user"
METRICS_NAMESPACE = os.environ.get("POWERTOOLS_METRICS_NAMESPACE") or "IntercomUpdateUser"
# LogLevel=DEBUG lowers the root logger. At DEBUG, botocore logs each AWS request's headers (the
# role's x-amz-security-token) and bodies (the secret, recorded outputs in DynamoDB), and
# Powertools' batch utility quotes each failed record's error (the looked-up email).
QUIET_LOGGERS: Final = ("botocore", "aws_lambda_powertools.utilities.batch")
for _name in QUIET_LOGGERS:
    logging.getLogger(_name).setLevel(logging.INFO)


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


def stdout_lines() -> Any:
    """A lock that keeps a metric blob and the log lines of other threads on lines of their own.

    Powertools prints a metric blob as two writes (the JSON, then the newline); a log line that
    another record's thread emits between them would join the blob's line, and CloudWatch would
    parse neither. The logger's handler takes this same lock around every line it writes.
    """
    return logger.registered_handler.lock or contextlib.nullcontext()


Result = TypeVar("Result")


@dataclass(frozen=True)
class _Raised:
    error: Exception


def trace_handler(handler: Callable[[Any, Any], Result]) -> Callable[[Any, Any], Result]:
    """``tracer.capture_lambda_handler`` that keeps responses and raised errors out of the trace.

    A response, and a raised error's message and attributes, hold personal data (the looked-up
    email, candidate ids, Intercom's error body). The X-Ray SDK records the message of any
    exception leaving a subsegment, so the error is held while the traced part runs and raised
    after it ended; the trace gets only its type, as the annotation ``error_type``.
    """

    @functools.wraps(handler)
    def held(event: Any, context: Any) -> Result | _Raised:
        try:
            return handler(event, context)
        except Exception as error:  # raised again below, outside the trace
            tracer.put_annotation(key="error_type", value=type(error).__name__)
            return _Raised(error)

    traced = tracer.capture_lambda_handler(held, capture_response=False, capture_error=False)

    @functools.wraps(handler)
    def run(event: Any, context: Any) -> Result:
        result: Result | _Raised = traced(event, context)
        if isinstance(result, _Raised):
            raise result.error
        return result

    return run
