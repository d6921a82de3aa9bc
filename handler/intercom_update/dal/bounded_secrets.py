"""Secrets Manager reads that fit a deadline, behind Powertools' parameters cache.

Imported on the first read, not with the function: it loads boto3 (about 1 s of cold start on a
busy host), which runs that fail validation never need.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from aws_lambda_powertools.utilities.parameters import BaseProvider

if TYPE_CHECKING:
    from mypy_boto3_secretsmanager.client import SecretsManagerClient

# Secrets Manager answers in milliseconds: with time to spare, 3 attempts of at most 1 s to
# connect and 3 s to answer. botocore's standard retry mode waits up to 1 s, then 2 s, between
# attempts, so n attempts need n * 4 s plus those waits.
CONNECT_TIMEOUT_S: Final = 1.0
READ_TIMEOUT_S: Final = 3.0
MAX_ATTEMPTS: Final = 3
_RETRY_WAITS_S: Final = {1: 0.0, 2: 1.0, 3: 3.0}
# A read with less time than this is not started; shorter timeouts step by 0.1 s, so that only a
# handful of differently configured clients ever exist in one container.
MIN_READ_S: Final = 0.3
_STEP_S: Final = 0.1


@dataclass(frozen=True)
class CallLimits:
    connect_timeout_s: float
    read_timeout_s: float
    attempts: int


def call_limits(time_left_s: float | None) -> CallLimits | None:
    """The botocore limits whose worst case fits in ``time_left_s``, or None if no read fits.

    None as ``time_left_s`` (no deadline known) gets the full limits.
    """
    if time_left_s is None:
        return CallLimits(CONNECT_TIMEOUT_S, READ_TIMEOUT_S, MAX_ATTEMPTS)
    per_attempt = CONNECT_TIMEOUT_S + READ_TIMEOUT_S
    for attempts in range(MAX_ATTEMPTS, 0, -1):
        if attempts * per_attempt + _RETRY_WAITS_S[attempts] <= time_left_s:
            return CallLimits(CONNECT_TIMEOUT_S, READ_TIMEOUT_S, attempts)
    if time_left_s < MIN_READ_S:
        return None
    # One attempt, cut to fit: a quarter to connect, the rest to answer (both rounded down).
    connect = max(_STEP_S, _step_down(min(CONNECT_TIMEOUT_S, time_left_s / 4)))
    read = max(_STEP_S, _step_down(time_left_s - connect))
    return CallLimits(connect, read, 1)


def _step_down(seconds: float) -> float:
    return round(int(seconds / _STEP_S) * _STEP_S, 1)


class OutOfTimeError(Exception):
    """No Secrets Manager read fits in the time left."""


class BoundedSecretsProvider(BaseProvider):
    """Powertools' parameters provider for Secrets Manager whose reads fit a deadline.

    Powertools keeps the cache (``max_age``, ``force_fetch``); ``_get`` picks a client whose
    botocore timeouts and attempts fit the ``time_left_s`` it is given (one client per limits).
    """

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]  # Powertools' base is untyped
        self._clients: dict[CallLimits, SecretsManagerClient] = {}
        self._clients_lock = threading.Lock()
        self._session: Any = None

    def _client(self, limits: CallLimits) -> SecretsManagerClient:
        import boto3
        from botocore.config import Config

        with self._clients_lock:
            if limits not in self._clients:
                self._session = self._session or boto3.session.Session()
                config = Config(
                    connect_timeout=limits.connect_timeout_s,
                    read_timeout=limits.read_timeout_s,
                    retries={"mode": "standard", "total_max_attempts": limits.attempts},
                )
                self._clients[limits] = self._session.client("secretsmanager", config=config)
            return self._clients[limits]

    def _get(self, name: str, **sdk_options: Any) -> str | bytes:
        limits = call_limits(sdk_options.get("time_left_s"))
        if limits is None:
            raise OutOfTimeError
        answer = self._client(limits).get_secret_value(SecretId=name)
        if "SecretString" in answer:
            return answer["SecretString"]
        return answer.get("SecretBinary", b"")

    def _get_multiple(self, path: str, **sdk_options: Any) -> dict[str, str]:
        raise NotImplementedError("connected accounts are read one by one")

    def forget(self, name: str) -> None:
        """Drop the cached value of one secret, so that the next read fetches it."""
        self.store.pop(self._build_cache_key(name=name), None)
