"""The Intercom REST routes the sandbox implements, and how a request path finds one."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from intercom_sandbox.workspace import Workspace

# Intercom-Version values Intercom accepts (OAS 2.16 enum plus the preview names).
KNOWN_VERSIONS = frozenset(
    [f"1.{minor}" for minor in range(5)]
    + [f"2.{minor}" for minor in range(17)]
    + ["Unstable", "Preview"]
)


@dataclass(frozen=True)
class RouteCall:
    """What a route handler receives: decoded path parameters, the query, the JSON body."""

    params: tuple[str, ...]
    query: Mapping[str, list[str]]
    body: Mapping[str, Any]


Handler = Callable[[Workspace, RouteCall], Any]


@dataclass(frozen=True)
class Route:
    method: str
    pattern: tuple[str | None, ...]  # None = a path parameter
    template: str
    handler: Handler


def _search(ws: Workspace, call: RouteCall) -> Any:
    return ws.api_search(call.body)


def _find_by_external_id(ws: Workspace, call: RouteCall) -> Any:
    return ws.api_find_by_external_id(call.params[0])


def _get_contact(ws: Workspace, call: RouteCall) -> Any:
    return ws.api_get_contact(call.params[0])


def _update_contact(ws: Workspace, call: RouteCall) -> Any:
    return ws.api_update_contact(call.params[0], call.body)


def _list_contact_companies(ws: Workspace, call: RouteCall) -> Any:
    return ws.api_list_contact_companies(call.params[0], call.query)


def _attach_company(ws: Workspace, call: RouteCall) -> Any:
    return ws.api_attach_company(call.params[0], call.body)


def _get_companies(ws: Workspace, call: RouteCall) -> Any:
    return ws.api_get_companies(call.query)


def _upsert_company(ws: Workspace, call: RouteCall) -> Any:
    return ws.api_upsert_company(call.body)


def _list_data_attributes(ws: Workspace, call: RouteCall) -> Any:
    return ws.api_list_data_attributes(call.query)


def _create_data_attribute(ws: Workspace, call: RouteCall) -> Any:
    return ws.api_create_data_attribute(call.body)


# First match wins, so the literal paths come before the ones with a parameter in that place.
ROUTES: tuple[Route, ...] = (
    Route("POST", ("contacts", "search"), "/contacts/search", _search),
    Route(
        "GET",
        ("contacts", "find_by_external_id", None),
        "/contacts/find_by_external_id/{external_id}",
        _find_by_external_id,
    ),
    Route("GET", ("contacts", None), "/contacts/{contact_id}", _get_contact),
    Route("PUT", ("contacts", None), "/contacts/{contact_id}", _update_contact),
    Route(
        "GET",
        ("contacts", None, "companies"),
        "/contacts/{contact_id}/companies",
        _list_contact_companies,
    ),
    Route(
        "POST", ("contacts", None, "companies"), "/contacts/{contact_id}/companies", _attach_company
    ),
    Route("GET", ("companies",), "/companies", _get_companies),
    Route("POST", ("companies",), "/companies", _upsert_company),
    Route("GET", ("data_attributes",), "/data_attributes", _list_data_attributes),
    Route("POST", ("data_attributes",), "/data_attributes", _create_data_attribute),
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
