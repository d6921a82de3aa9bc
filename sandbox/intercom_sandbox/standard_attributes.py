"""Intercom's standard (non-custom) data attributes, which every workspace starts with.

``GET /data_attributes`` lists them with ``custom: false``, and no custom attribute may take
their names (names are unique across the contact and company models). The table is
``standard_attributes.json``:

- ``contact`` rows are ``[name, label, description, data_type, api_writable]``: the fields of
  Intercom's 2.x contact examples, including the read-only marketing ones (``utm_*``,
  ``referrer``) and the mobile SDK ones (``android_*``, ``ios_*``);
- ``company`` rows are ``[name, full_name, label, description, data_type, api_writable]``, as in
  the 2.14 ``GET /data_attributes`` example.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

_TABLE = Path(__file__).with_name("standard_attributes.json")


@functools.cache
def _rows() -> tuple[tuple[Any, ...], ...]:
    """``(model, name, full_name, label, description, data_type, api_writable)`` rows."""
    table = json.loads(_TABLE.read_text(encoding="utf-8"))
    contact_rows = [("contact", row[0], *row) for row in table["contact"]]  # full_name = name
    return (*contact_rows, *(("company", *row) for row in table["company"]))


def standard_attributes() -> list[dict[str, Any]]:
    """The standard attributes of both models, as ``GET /data_attributes`` renders them."""
    return [
        {
            "type": "data_attribute",
            "name": name,
            "full_name": full_name,
            "label": label,
            "description": description,
            "data_type": data_type,
            "api_writable": api_writable,
            "ui_writable": False,
            "messenger_writable": True,
            "custom": False,
            "archived": False,
            "model": model,
        }
        for model, name, full_name, label, description, data_type, api_writable in _rows()
    ]
