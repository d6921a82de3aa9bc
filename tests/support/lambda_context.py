"""The tests' Lambda context: the local one, in the tests' region and account."""

from __future__ import annotations

from dataclasses import dataclass

from scripts.local_context import LocalLambdaContext

ACCOUNT_ID = "123456789012"
REGION = "eu-west-1"


@dataclass
class FakeLambdaContext(LocalLambdaContext):
    invoked_function_arn: str = f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:UpdateUserFunction"
    aws_request_id: str = "7f1f1a6e-0000-4000-8000-000000000001"
