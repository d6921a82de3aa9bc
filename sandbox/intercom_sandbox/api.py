"""The Intercom REST routes the sandbox implements, and how a request path finds one.

Each route names the function that serves it, in the module of its Intercom resource.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from intercom_sandbox import companies, contacts, data_attributes
from intercom_sandbox.request import RouteCall
from intercom_sandbox.workspace import Workspace

# Intercom-Version values Intercom accepts (OAS 2.16 enum plus the preview names).
KNOWN_VERSIONS = frozenset(
    [f"1.{minor}" for minor in range(5)]
    + [f"2.{minor}" for minor in range(17)]
    + ["Unstable", "Preview"]
)

Handler = Callable[[Workspace, RouteCall], Any]


@dataclass(frozen=True)
class Route:
    method: str
    pattern: tuple[str | None, ...]  # None = a path parameter
    template: str
    handler: Handler


# First match wins, so the literal paths come before the ones with a parameter in that place.
ROUTES: tuple[Route, ...] = (
    Route("POST", ("contacts", "search"), "/contacts/search", contacts.search_contacts),
    Route(
        "GET",
        ("contacts", "find_by_external_id", None),
        "/contacts/find_by_external_id/{external_id}",
        contacts.find_by_external_id,
    ),
    Route("GET", ("contacts", None), "/contacts/{contact_id}", contacts.get_contact),
    Route("PUT", ("contacts", None), "/contacts/{contact_id}", contacts.update_contact),
    Route(
        "GET",
        ("contacts", None, "companies"),
        "/contacts/{contact_id}/companies",
        companies.list_for_contact,
    ),
    Route(
        "POST",
        ("contacts", None, "companies"),
        "/contacts/{contact_id}/companies",
        companies.attach_to_contact,
    ),
    Route("GET", ("companies",), "/companies", companies.get_companies),
    Route("POST", ("companies",), "/companies", companies.upsert),
    Route("GET", ("data_attributes",), "/data_attributes", data_attributes.list_attributes),
    Route("POST", ("data_attributes",), "/data_attributes", data_attributes.create_attribute),
)


def split_path(raw_path: str) -> list[str]:
    """Path segments, each percent-decoded on its own (so ``%2F`` stays inside a segment)."""
    return [unquote(segment) for segment in raw_path.split("/")[1:]]


def resolve(method: str, segments: list[str]) -> tuple[Route, tuple[str, ...]] | None:
    """The route for a request and its decoded path parameters, or ``None``."""
    for route in ROUTES:
        if route.method != method or len(route.pattern) != len(segments):
            continue
        params: list[str] = []
        for expected, actual in zip(route.pattern, segments, strict=True):
            if expected is None:
                if not actual:
                    break
                params.append(actual)
            elif expected != actual:
                break
        else:
            return route, tuple(params)
    return None
