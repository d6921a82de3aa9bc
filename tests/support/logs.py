"""Capture everything the function logs (all levels, formatted as in CloudWatch)."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from contextlib import contextmanager

from intercom_update.observability import logger


@contextmanager
def captured_logs() -> Iterator[io.StringIO]:
    """Attach a DEBUG handler with Powertools' JSON formatter to the function's logger."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logger.registered_formatter)
    std_logger = logging.getLogger(logger.name)
    previous = std_logger.level
    std_logger.addHandler(handler)
    std_logger.setLevel(logging.DEBUG)
    try:
        yield stream
    finally:
        std_logger.removeHandler(handler)
        std_logger.setLevel(previous)
