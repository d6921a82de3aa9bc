"""Where the legacy inputs that Intercom 2.x cannot write as contact fields are stored."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

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
