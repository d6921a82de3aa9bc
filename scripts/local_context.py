"""A Lambda context object for running the handlers outside Lambda (demo, benchmark, tests)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field


@dataclass
class LocalLambdaContext:
    """The parts of Lambda's context object the handlers and Powertools read."""

    function_name: str = "UpdateUserFunction"
    memory_limit_in_mb: int = 256
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:UpdateUserFunction"
    aws_request_id: str = "00000000-0000-4000-8000-000000000000"
    timeout_s: float = 30.0
    _started: float = field(default_factory=time.monotonic)

    def get_remaining_time_in_millis(self) -> int:
        return int(max(0.0, self.timeout_s - (time.monotonic() - self._started)) * 1000)
