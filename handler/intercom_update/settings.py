"""Deployment settings, read from the environment once per container."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cache

DEFAULT_API_VERSION = "2.14"
DEFAULT_PREFIX = "intercom/"
REGION_BASE_URLS = {
    "us": "https://api.intercom.io",
    "eu": "https://api.eu.intercom.io",
    "au": "https://api.au.intercom.io",
}


@dataclass(frozen=True)
class Settings:
    connected_account_prefix: str = DEFAULT_PREFIX
    intercom_api_version: str = DEFAULT_API_VERSION
    # Overrides the region's base URL: the local sandbox in tests and the demo, or a proxy.
    intercom_base_url_override: str | None = None
    secret_cache_seconds: int = 300
    attribute_cache_seconds: int = 300
    aws_region: str | None = None
    # Used when no Lambda context tells the remaining time (local runs, tests).
    default_time_budget_seconds: float = 25.0
    idempotency_table_name: str | None = None
    idempotency_ttl_seconds: int = 3600


def _int_env(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise ValueError(f"environment variable {name} must be an integer, got {raw!r}") from exc
    if value < 0:
        raise ValueError(f"environment variable {name} must be >= 0, got {value}")
    return value


@cache
def get_settings() -> Settings:
    """Parse the environment once: a container's environment does not change."""
    prefix = os.environ.get("CONNECTED_ACCOUNT_PREFIX", "").strip() or DEFAULT_PREFIX
    base_url = os.environ.get("INTERCOM_API_BASE_URL", "").strip().rstrip("/") or None
    return Settings(
        connected_account_prefix=prefix,
        intercom_api_version=os.environ.get("INTERCOM_API_VERSION", "").strip()
        or DEFAULT_API_VERSION,
        intercom_base_url_override=base_url,
        secret_cache_seconds=_int_env("SECRET_CACHE_SECONDS", 300),
        attribute_cache_seconds=_int_env("ATTRIBUTE_CACHE_SECONDS", 300),
        aws_region=os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or None,
        default_time_budget_seconds=float(_int_env("LOCAL_TIME_BUDGET_SECONDS", 25)),
        idempotency_table_name=os.environ.get("IDEMPOTENCY_TABLE_NAME", "").strip() or None,
        idempotency_ttl_seconds=_int_env("IDEMPOTENCY_TTL_SECONDS", 3600),
    )
