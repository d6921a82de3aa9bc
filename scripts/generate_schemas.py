"""Write the contract as files: ``make schemas`` (``--check`` fails when they are out of date).

- ``schemas/update-user-input.schema.json``: JSON Schema (2020-12) of one input object, from the
  pydantic model ``UpdateUserInput``, widened to what the function accepts before the model
  sees it (workflow tools send booleans and numbers as text, numbers as text fields).
- ``schemas/update-user-output.schema.json``: the output, with every public error code.
- ``schemas/openapi.json``: OpenAPI 3.1 of ``POST /users/update``, every status code it answers.

The schemas describe the shape. The function checks more (email and phone formats, https URLs,
attribute names, cross-field rules) and reports every problem at once, each naming its field.
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
from pathlib import Path
from typing import Any, Final

from pydantic import TypeAdapter

from intercom_update.handlers.api_gateway import RETRY_AFTER_SECONDS, STATUS_BY_ERROR_CODE
from intercom_update.models.errors import (
    NotStartedError,
    ServiceUnavailableError,
    UpdateUserError,
)
from intercom_update.models.input import MAX_SESSION_COUNT, UpdateUserInput
from intercom_update.models.output import UpdateUserOutput

ROOT: Final = Path(__file__).resolve().parent.parent
SCHEMAS: Final = ROOT / "schemas"
BASE_ID: Final = "https://intercom-update-user.invalid/schemas/"
BOOL_TEXT: Final = {"type": "string", "pattern": r"^\s*([Tt][Rr][Uu][Ee]|[Ff][Aa][Ll][Ss][Ee])\s*$"}
COUNT_TEXT: Final = {"type": "string", "pattern": r"^\s*[0-9]{1,10}\s*$"}


def _codes(base: type[UpdateUserError] | type[ServiceUnavailableError]) -> list[str]:
    found: set[str] = set()
    pending = [base]
    while pending:
        cls = pending.pop()
        found.add(cls.code)
        pending.extend(cls.__subclasses__())
    return sorted(found)


def _codes_unavailable() -> list[str]:
    return _codes(ServiceUnavailableError)


def _widen(name: str, schema: dict[str, Any]) -> dict[str, Any]:
    """One property as the function reads it: text for booleans and counts, numbers as text."""
    kind = schema.get("type")
    if kind == "boolean":
        return {"anyOf": [{"type": "boolean"}, BOOL_TEXT]}
    if kind == "integer":
        return {"anyOf": [{**schema, "minimum": 0, "maximum": MAX_SESSION_COUNT}, COUNT_TEXT]}
    if kind == "string" and "enum" not in schema:
        alternatives: list[dict[str, Any]] = [schema, {"type": "number"}]
        if name.startswith("custom_attribute_") and name.endswith("_value"):
            alternatives.append({"type": "boolean"})  # written as "true" / "false"
        return {"anyOf": alternatives}
    return schema


def input_schema() -> dict[str, Any]:
    generated = UpdateUserInput.model_json_schema()
    properties: dict[str, Any] = {}
    for name, prop in generated["properties"].items():
        options = prop.get("anyOf", [prop])
        # Absent, null and "" leave an optional field unchanged (the default applies).
        nullable = name not in generated["required"]
        (value,) = [
            {k: v for k, v in option.items() if k not in ("title", "default")}
            for option in options
            if option != {"type": "null"}
        ]
        widened = _widen(name, value)
        if nullable:
            blank = [{"const": ""}] if value.get("type") in ("boolean", "integer") else []
            widened = {"anyOf": [*widened.get("anyOf", [widened]), *blank, {"type": "null"}]}
        if "default" in prop and prop["default"] is not None:
            widened["default"] = prop["default"]
        properties[name] = widened
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"{BASE_ID}update-user-input.schema.json",
        "title": "UpdateUserInput",
        "description": (
            "One update request: the direct / Step Functions event, the API Gateway request "
            'body, the EventBridge detail, one SQS message body. Absent, null and "" leave a '
            "field unchanged. The function also checks formats and cross-field rules."
        ),
        "type": "object",
        "properties": properties,
        "required": generated["required"],
        "additionalProperties": False,
    }


def output_schema() -> dict[str, Any]:
    generated = TypeAdapter(UpdateUserOutput).json_schema()
    properties = {
        name: {k: v for k, v in prop.items() if k not in ("title", "default")}
        for name, prop in generated["properties"].items()
    }
    problem = {
        "type": "object",
        "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
        "required": ["field", "message"],
    }
    properties["error"] = {
        "anyOf": [
            {
                "type": "object",
                "properties": {
                    "code": {"enum": sorted({*_codes(UpdateUserError), *_codes_unavailable()})},
                    "message": {"type": "string"},
                    "field": {"type": "string"},
                    "details": {"type": "array", "items": problem},
                    "intercom_request_id": {"type": "string"},
                },
                "required": ["code", "message"],
                "additionalProperties": False,
            },
            {"type": "null"},
        ]
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"{BASE_ID}update-user-output.schema.json",
        "title": "UpdateUserOutput",
        "description": (
            "What the function returns (direct / Step Functions, EventBridge) and the API "
            "Gateway response body. error is null on success."
        ),
        "type": "object",
        "properties": properties,
        "required": sorted(properties),
        "additionalProperties": False,
    }


def _response(description: str, codes: list[str] | None, headers: Any = None) -> dict[str, Any]:
    schema: dict[str, Any] = {"$ref": "#/components/schemas/UpdateUserOutput"}
    response: dict[str, Any] = {"description": description}
    if codes is not None:
        response["content"] = {"application/json": {"schema": schema}}
        if codes:
            response["description"] += " error.code: " + ", ".join(f"`{c}`" for c in codes) + "."
    if headers:
        response["headers"] = headers
    return response


def openapi() -> dict[str, Any]:
    by_status: dict[int, list[str]] = {}
    for code, status in STATUS_BY_ERROR_CODE.items():
        by_status.setdefault(status, [])
        if code is not None:
            by_status[status].append(code)
    responses: dict[str, Any] = {
        str(status): _response("Success." if status == 200 else "Unsuccessful.", sorted(codes))
        for status, codes in sorted(by_status.items())
    }
    responses["503"] = _response(
        "Intercom or Secrets Manager stayed unavailable: retry after Retry-After seconds.",
        # not_started is a batch record's (SQS, backfill) only: the API runs one request.
        [code for code in _codes_unavailable() if code != NotStartedError.code],
        {"Retry-After": {"schema": {"type": "string", "example": str(RETRY_AFTER_SECONDS)}}},
    )
    gateway_body = {
        "application/json": {
            "schema": {"type": "object", "properties": {"message": {"type": "string"}}}
        }
    }
    responses["403"] = {
        "description": "API Gateway refused the caller (ApiAuth: SigV4, API key or Cognito).",
        "content": gateway_body,
    }
    responses["429"] = {
        "description": "API Gateway throttled the call (stage throttling or the usage plan).",
        "content": gateway_body,
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Update a user in Intercom",
            "version": "1.0",
            "description": (
                "POST the input object as JSON. The body of every answer from the function is "
                "the output object. Which security scheme applies is the ApiAuth parameter."
            ),
        },
        "paths": {
            "/users/update": {
                "post": {
                    "operationId": "updateUser",
                    "summary": "Update a user in Intercom",
                    "security": [{"sigv4": []}, {"api_key": []}, {"cognito": []}],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/UpdateUserInput"}
                            }
                        },
                    },
                    "responses": dict(sorted(responses.items())),
                }
            }
        },
        "components": {
            "schemas": {
                "UpdateUserInput": _embedded(input_schema()),
                "UpdateUserOutput": _embedded(output_schema()),
            },
            "securitySchemes": {
                "sigv4": {
                    "type": "apiKey",
                    "name": "Authorization",
                    "in": "header",
                    "description": "ApiAuth AWS_IAM: a SigV4-signed request (execute-api:Invoke).",
                },
                "api_key": {
                    "type": "apiKey",
                    "name": "x-api-key",
                    "in": "header",
                    "description": "ApiAuth API_KEY: the stack's API key.",
                },
                "cognito": {
                    "type": "apiKey",
                    "name": "Authorization",
                    "in": "header",
                    "description": "ApiAuth COGNITO: a token of the configured user pool.",
                },
            },
        },
    }


def _embedded(schema: dict[str, Any]) -> dict[str, Any]:
    inner = copy.deepcopy(schema)
    inner.pop("$schema")
    inner.pop("$id")
    return inner


def documents() -> dict[str, str]:
    """File name under schemas/ -> its text."""
    docs = {
        "update-user-input.schema.json": input_schema(),
        "update-user-output.schema.json": output_schema(),
        "openapi.json": openapi(),
    }
    return {
        name: json.dumps(doc, indent=2, ensure_ascii=False) + "\n" for name, doc in docs.items()
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="fail if a file is out of date")
    args = parser.parse_args(argv)
    stale = []
    for name, text in documents().items():
        path = SCHEMAS / name
        if path.is_file() and path.read_text(encoding="utf-8") == text:
            continue
        stale.append(name)
        if not args.check:
            SCHEMAS.mkdir(exist_ok=True)
            path.write_text(text, encoding="utf-8")
    if args.check and stale:
        print(f"out of date: {', '.join(stale)} (run make schemas)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
