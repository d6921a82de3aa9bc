"""Deployment settings, read from the environment once per container."""

from __future__ import annotations

import os
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from types import MappingProxyType
from typing import Final

DEFAULT_API_VERSION = "2.14"
DEFAULT_PREFIX = "intercom/"
REGION_BASE_URLS = {
    "us": "https://api.intercom.io",
    "eu": "https://api.eu.intercom.io",
    "au": "https://api.au.intercom.io",
}

LEGACY_ATTRIBUTES_ENV: Final = "LEGACY_ATTRIBUTE_NAMES"
# The legacy inputs Intercom 2.x cannot write as contact fields -> the custom contact attribute
# that stores each. Not the same names: contacts already carry standard read-only utm_* fields,
# session_count is a standard company attribute, and attribute names are unique across models.
DEFAULT_LEGACY_ATTRIBUTE_NAMES: Final[Mapping[str, str]] = MappingProxyType(
    {
        "session_count": "legacy_session_count",
        "utm_campaign": "legacy_utm_campaign",
        "utm_content": "legacy_utm_content",
        "utm_medium": "legacy_utm_medium",
        "utm_source": "legacy_utm_source",
        "utm_term": "legacy_utm_term",
    }
)
# Standard (non-custom) attribute names of 2.x contacts and companies, from the fields of
# Intercom's contact examples and the company data attribute list of the OpenAPI description.
# A custom attribute can never take one of them; the workspace's own list is checked too.
STANDARD_ATTRIBUTE_NAMES: Final = frozenset(
    {
        *("id", "type", "workspace_id", "external_id", "role", "email", "email_domain", "phone"),
        *("formatted_phone", "name", "avatar", "owner_id", "social_profiles"),
        *("has_hard_bounced", "marked_email_as_spam", "unsubscribed_from_emails"),
        *("created_at", "updated_at", "signed_up_at", "last_seen_at", "last_replied_at"),
        *("last_contacted_at", "last_email_opened_at", "last_email_clicked_at"),
        *("language_override", "browser", "browser_version", "browser_language", "os"),
        *("location", "custom_attributes", "tags", "notes", "companies", "referrer"),
        *("utm_campaign", "utm_content", "utm_medium", "utm_source", "utm_term"),
        *("opted_out_subscription_types", "opted_in_subscription_types"),
        *("enabled_push_messaging", "segment_id", "tag_id"),
        *(
            f"{platform}_{part}"
            for platform in ("android", "ios")
            for part in ("app_name", "app_version", "device", "os_version", "sdk_version")
        ),
        *("android_last_seen_at", "ios_last_seen_at"),
        *("company_id", "last_request_at", "remote_created_at", "user_count", "session_count"),
        *("plan", "monthly_spend", "size", "industry", "website", "app_id"),
    }
)


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
    # Legacy input -> custom contact attribute that stores it (env LEGACY_ATTRIBUTE_NAMES).
    legacy_attribute_names: Mapping[str, str] = field(
        default_factory=lambda: DEFAULT_LEGACY_ATTRIBUTE_NAMES
    )


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


def _attribute_name_problem(name: str) -> str | None:
    """Why Intercom would refuse ``name`` as a new custom attribute, if it would."""
    if not name or len(name) > 190 or name.startswith("$"):
        return "must be 1 to 190 characters, not starting with '$'"
    if not all(ch.isalnum() or ch in "_- " or unicodedata.category(ch) == "Sc" for ch in name):
        return "may hold only letters, digits, spaces, '_', '-' and currency symbols"
    if name in STANDARD_ATTRIBUTE_NAMES:
        return "is a standard Intercom attribute, which a custom attribute cannot be named after"
    return None


def parse_legacy_attribute_names(raw: str) -> Mapping[str, str]:
    """``input=attribute`` pairs separated by commas; inputs left out keep their default.

    Commas and ``=`` cannot occur in Intercom attribute names, so they separate safely.
    """
    names = dict(DEFAULT_LEGACY_ATTRIBUTE_NAMES)
    given: set[str] = set()
    for item in filter(None, (part.strip() for part in raw.split(","))):
        legacy_input, sep, attribute = (piece.strip() for piece in item.partition("="))
        problem: str | None = None
        if not sep:
            problem = "is not input=attribute"
        elif legacy_input not in names:
            problem = f"names no legacy input (they are: {', '.join(names)})"
        elif legacy_input in given:
            problem = "repeats an input"
        else:
            problem = _attribute_name_problem(attribute)
        if problem:
            raise ValueError(f"environment variable {LEGACY_ATTRIBUTES_ENV}: {item!r} {problem}")
        given.add(legacy_input)
        names[legacy_input] = attribute
    taken = [name for name in set(names.values()) if list(names.values()).count(name) > 1]
    if taken:
        raise ValueError(
            f"environment variable {LEGACY_ATTRIBUTES_ENV}: two inputs would share the "
            f"attribute {sorted(taken)[0]!r}; give each input its own attribute"
        )
    return MappingProxyType(names)


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
        legacy_attribute_names=parse_legacy_attribute_names(
            os.environ.get(LEGACY_ATTRIBUTES_ENV, "")
        ),
    )
