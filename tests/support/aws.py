"""A local Secrets Manager: moto's server on loopback, reached over real HTTP by boto3."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Final

import boto3
from moto.server import ThreadedMotoServer

if TYPE_CHECKING:
    from mypy_boto3_secretsmanager.client import SecretsManagerClient

# The template's default: how long a delivery's record answers its duplicates.
IDEMPOTENCY_TTL_SECONDS: Final = 3600


@contextmanager
def local_aws() -> Iterator[str]:
    """Start moto's server on a free loopback port; boto3 clients made meanwhile use it."""
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's per-request access log
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    saved = os.environ.get("AWS_ENDPOINT_URL")
    # boto3 honours AWS_ENDPOINT_URL for every service: the function's own client uses it too.
    os.environ["AWS_ENDPOINT_URL"] = endpoint
    try:
        yield endpoint
    finally:
        if saved is None:
            os.environ.pop("AWS_ENDPOINT_URL", None)
        else:
            os.environ["AWS_ENDPOINT_URL"] = saved
        server.stop()


def secrets_client(endpoint: str) -> SecretsManagerClient:
    return boto3.client("secretsmanager", endpoint_url=endpoint)


def put_secret(endpoint: str, name: str, value: str | dict[str, Any]) -> str:
    """Create or overwrite a secret; returns its ARN."""
    client = secrets_client(endpoint)
    text = value if isinstance(value, str) else json.dumps(value)
    try:
        return client.create_secret(Name=name, SecretString=text)["ARN"]
    except client.exceptions.ResourceExistsException:
        client.put_secret_value(SecretId=name, SecretString=text)
        return client.describe_secret(SecretId=name)["ARN"]
