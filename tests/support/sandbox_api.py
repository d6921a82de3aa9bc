"""A small HTTP client for the sandbox's own tests, with Intercom's usual request headers."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import urllib3

TOKEN = "tok_test"
OTHER_TOKEN = "tok_other"


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    data: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.data)

    @property
    def error_code(self) -> str:
        return str(self.json["errors"][0]["code"])

    @property
    def error_message(self) -> str:
        return str(self.json["errors"][0]["message"])


class Api:
    """A pooled HTTP client with Intercom's usual headers (each can be overridden or removed)."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        host, port = base_url.removeprefix("http://").split(":")
        self.pool = urllib3.HTTPConnectionPool(host, int(port), maxsize=4, retries=False)
        self.headers = {
            "Authorization": f"Bearer {TOKEN}",
            "Accept": "application/json",
            "Intercom-Version": "2.14",
        }

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        raw: bytes | None = None,
        headers: dict[str, str | None] | None = None,
        timeout: float = 5.0,
    ) -> Reply:
        merged: dict[str, str] = dict(self.headers)
        data: bytes | None = raw
        if body is not None:
            data = json.dumps(body).encode()
        if data is not None:
            merged["Content-Type"] = "application/json"
        for name, value in (headers or {}).items():
            if value is None:
                merged.pop(name, None)
            else:
                merged[name] = value
        response = self.pool.request(
            method, path, body=data, headers=merged, timeout=timeout, preload_content=True
        )
        return Reply(
            response.status,
            {k.lower(): v for k, v in response.headers.items()},
            response.data,
        )

    def get(self, path: str, **kwargs: Any) -> Reply:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, body: Any = None, **kwargs: Any) -> Reply:
        return self.request("POST", path, body, **kwargs)

    def put(self, path: str, body: Any = None, **kwargs: Any) -> Reply:
        return self.request("PUT", path, body, **kwargs)
