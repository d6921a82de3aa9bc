"""Intercom-style errors: the ``error.list`` body and the exception the routes raise."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

# Default error code for a status, used by faults whose body is left to the sandbox and by
# generic failures. Codes come from Intercom's published error-code list.
_DEFAULT_CODES: dict[int, str] = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    406: "media_type_not_acceptable",
    408: "request_timeout",
    409: "conflict",
    415: "unsupported_media_type",
    422: "unprocessable_entity",
    429: "rate_limit_exceeded",
    500: "server_error",
    502: "service_unavailable",
    503: "service_unavailable",
    504: "service_unavailable",
}

_DEFAULT_MESSAGES: dict[int, str] = {
    401: "Access Token Invalid",
    404: "Resource Not Found",
}


def default_code(status: int) -> str:
    """The Intercom error code that goes with an HTTP status."""
    if status in _DEFAULT_CODES:
        return _DEFAULT_CODES[status]
    if status >= 500:
        return "server_error"
    return "client_error"


def default_message(status: int) -> str:
    """A human-readable message for an HTTP status."""
    if status in _DEFAULT_MESSAGES:
        return _DEFAULT_MESSAGES[status]
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def error_body(request_id: str | None, code: str, message: str) -> dict[str, Any]:
    """An Intercom ``error.list`` body (schema ``error``)."""
    return {
        "type": "error.list",
        "request_id": request_id,
        "errors": [{"code": code, "message": message}],
    }


class ApiError(Exception):
    """Raised by the workspace and the routes; turned into an ``error.list`` response."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.headers: dict[str, str] = dict(headers or {})


def bad_parameter(key: str) -> ApiError:
    """Intercom's answer to an unknown body key."""
    return ApiError(400, "bad_request", f"bad '{key}' parameter")


def parameter_invalid(message: str) -> ApiError:
    return ApiError(400, "parameter_invalid", message)


def parameter_not_found(message: str) -> ApiError:
    return ApiError(400, "parameter_not_found", message)


def user_not_found() -> ApiError:
    return ApiError(404, "not_found", "User Not Found")


def company_not_found() -> ApiError:
    return ApiError(404, "company_not_found", "Company Not Found")
