"""What a function lets out: every log line at a given level, and every trace it records.

``lambda_log_level`` does what ``LogLevel`` does in Lambda: it sets the root logger's level (the
runtime's ApplicationLogLevel) and the function logger's (POWERTOOLS_LOG_LEVEL), and captures
every record any logger passes to the root (the function's logger propagates too; what it
prints on stdout is for the caller's capfd). ``recorded_traces`` swaps the tracer's provider for
one that keeps, as text, all that the X-Ray SDK would send: annotations, metadata, and the
message and repr of any exception leaving a subsegment (the SDK records those itself).
"""

from __future__ import annotations

import io
import logging
from collections.abc import AsyncGenerator, Generator, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from typing import Any

from aws_lambda_powertools.tracing.base import BaseProvider, BaseSegment

from intercom_update.observability import logger, tracer


@contextmanager
def lambda_log_level(level: int) -> Iterator[io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    handler.setLevel(logging.NOTSET)
    root = logging.getLogger()
    function_logger = logging.getLogger(logger.name)
    saved = (root.level, function_logger.level)
    root.addHandler(handler)
    root.setLevel(level)
    function_logger.setLevel(level)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        root.setLevel(saved[0])
        function_logger.setLevel(saved[1])


class RecordedSegment(BaseSegment):
    def __init__(self, name: str, record: list[str]) -> None:
        self._record = record
        record.append(f"subsegment {name}")

    def close(self, end_time: int | None = None) -> None:
        pass

    def add_subsegment(self, subsegment: Any) -> None:
        pass

    def remove_subsegment(self, subsegment: Any) -> None:
        pass

    def put_annotation(self, key: str, value: Any) -> None:
        self._record.append(f"annotation {key}={value!r}")

    def put_metadata(self, key: str, value: Any, namespace: str = "default") -> None:
        attributes = getattr(value, "__dict__", {})
        self._record.append(f"metadata {namespace}/{key}={value!r} {value} {attributes!r}")

    def add_exception(self, exception: BaseException, stack: Any, remote: bool = False) -> None:
        attributes = getattr(exception, "__dict__", {})
        self._record.append(f"exception {exception!r} {exception} {attributes!r}")


class RecordingProvider(BaseProvider):
    def __init__(self) -> None:
        self.record: list[str] = []
        self._open: list[RecordedSegment] = []

    @contextmanager
    def in_subsegment(self, name: Any = None, **kwargs: Any) -> Generator[BaseSegment, None, None]:
        segment = RecordedSegment(str(name), self.record)
        self._open.append(segment)
        try:
            yield segment
        except BaseException as error:
            segment.add_exception(error, None)
            raise
        finally:
            self._open.pop()

    @asynccontextmanager
    async def in_subsegment_async(
        self, name: Any = None, **kwargs: Any
    ) -> AsyncGenerator[BaseSegment, None]:
        with self.in_subsegment(name) as segment:
            yield segment

    def put_annotation(self, key: str, value: Any) -> None:
        if self._open:
            self._open[-1].put_annotation(key, value)

    def put_metadata(self, key: str, value: Any, namespace: str = "default") -> None:
        if self._open:
            self._open[-1].put_metadata(key, value, namespace)

    def patch(self, modules: Sequence[str]) -> None:
        pass

    def patch_all(self) -> None:
        pass

    def text(self) -> str:
        return "\n".join(self.record)


@contextmanager
def recorded_traces() -> Iterator[RecordingProvider]:
    """Tracing on, into memory, for the duration."""
    provider = RecordingProvider()
    saved = (tracer.provider, tracer.disabled)
    tracer.provider = provider
    tracer.disabled = False
    try:
        yield provider
    finally:
        tracer.provider, tracer.disabled = saved
