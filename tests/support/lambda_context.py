"""A Lambda context object as the runtime passes it (the parts our handlers read)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

ACCOUNT_ID = "123456789012"
REGION = "eu-west-1"


@dataclass
class FakeLambdaContext:
    function_name: str = "UpdateUserFunction"
    memory_limit_in_mb: int = 256
    invoked_function_arn: str = f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:UpdateUserFunction"
    aws_request_id: str = "7f1f1a6e-0000-4000-8000-000000000001"
    timeout_s: float = 30.0
    _started: float = field(default_factory=time.monotonic)

    def get_remaining_time_in_millis(self) -> int:
        return int(max(0.0, self.timeout_s - (time.monotonic() - self._started)) * 1000)
