"""Hold HTTP exchanges with Intercom to Intercom's own OpenAPI description of API 2.14.

Both sides are checked: the requests our client sends (`validate_request`) and the responses the
sandbox (or anything else standing in for Intercom) sends back (`validate_response`).

The vendored description is OpenAPI 3.0.1. Its schemas are rewritten into JSON Schema 2020-12 once
(`nullable` becomes a `null` alternative, `#/components/...` references become absolute URIs in a
`referencing` registry, annotations and `format` are dropped) and each schema gets one compiled
validator, cached. The full document is never validated as an OpenAPI description: it has a known
unresolved path parameter elsewhere.

Where the description is looser than Intercom itself, the harness is stricter, and says so:

* request bodies may only carry documented top-level properties (Intercom answers unknown ones
  with 400 "bad 'x' parameter"), and query strings only documented parameters;
* requests must carry what Intercom's docs ask of a raw HTTP client (`Authorization: Bearer`,
  `Accept: application/json`, `Content-Type: application/json` on bodies, `Intercom-Version`);
* responses use `RESPONSE_OVERLAYS`: keys that every full object in the description's own
  examples carries (those a client reads) become required, and each object's `type` constant.

Where the description contradicts Intercom's own SDK, `RESPONSE_OVERRIDES` widens it (and names the
source).
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Protocol
from urllib.parse import unquote

import jsonschema
import yaml
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

SPEC_PATH: Final = (
    Path(__file__).parents[1] / "contract" / "intercom-openapi" / "api.intercom.io-2.14.yaml"
)

#: Base URI of the rewritten `components` section in the validators' registry.
_COMPONENTS_URI: Final = "urn:intercom-openapi:2.14"

_METHODS: Final = frozenset({"get", "put", "post", "delete", "patch", "head", "options", "trace"})

#: OpenAPI keywords that only annotate, or whose semantics the harness does not enforce.
_DROPPED_KEYWORDS: Final = frozenset(
    {
        "description",
        "example",
        "examples",
        "discriminator",
        "xml",
        "externalDocs",
        "deprecated",
        "readOnly",
        "writeOnly",
        "format",
        "default",
        "title",
    }
)
_SCHEMA_LIST_KEYWORDS: Final = ("allOf", "anyOf", "oneOf")
_SCHEMA_KEYWORDS: Final = ("not", "additionalProperties", "items")
_COMPOSITION_KEYWORDS: Final = frozenset({"$ref", "allOf", "anyOf", "oneOf", "not"})

#: Keys that every full contact in the description's own response examples carries (all 53 keys
#: are there in each of them; these are the ones a client reads). The `contact` schema itself
#: requires nothing.
_CONTACT_REQUIRED: Final = (
    "type",
    "id",
    "workspace_id",
    "external_id",
    "role",
    "email",
    "phone",
    "name",
    "avatar",
    "owner_id",
    "has_hard_bounced",
    "marked_email_as_spam",
    "unsubscribed_from_emails",
    "created_at",
    "updated_at",
    "signed_up_at",
    "last_seen_at",
    "custom_attributes",
    "tags",
    "notes",
    "companies",
    "location",
    "social_profiles",
)

#: Extra constraints on component schemas, applied in response validation only (`overlay=True`).
RESPONSE_OVERLAYS: Final[Mapping[str, Mapping[str, Any]]] = {
    "contact": {
        "required": list(_CONTACT_REQUIRED),
        "properties": {"type": {"const": "contact"}, "role": {"enum": ["user", "lead"]}},
    },
    "company": {
        "required": ["type", "id", "company_id", "created_at", "updated_at"],
        "properties": {"type": {"const": "company"}},
    },
    "data_attribute": {
        "required": ["type", "name", "full_name", "model", "data_type", "api_writable", "custom"],
        "properties": {"type": {"const": "data_attribute"}},
    },
    "contact_list": {"required": ["type", "data", "total_count"]},
    "company_list": {"required": ["type", "data"]},
    "data_attribute_list": {"required": ["type", "data"]},
    "error": {
        "properties": {"type": {"const": "error.list"}, "errors": {"minItems": 1}},
    },
}

#: Responses whose documented schema is known to be narrower than what Intercom returns.
#: `GET /companies?company_id=` answers with one company; Intercom's Fern overrides declare
#: `company | company_list` and the official Python SDK has that union
#: (`CompaniesRetrieveResponse`).
RESPONSE_OVERRIDES: Final[Mapping[tuple[str, str], Mapping[str, Any]]] = {
    ("retrieveCompany", "200"): {
        "anyOf": [
            {"$ref": "#/components/schemas/company_list"},
            {"$ref": "#/components/schemas/company"},
        ]
    },
}

_MAX_MESSAGE: Final = 600
_MAX_INSTANCE: Final = 60
_BEARER: Final = re.compile(r"^bearer [^\s]+$", re.IGNORECASE)
_JSON_MEDIA: Final = re.compile(r"^application/([a-z0-9.+-]+\+)?json$")


class ExchangeLike(Protocol):
    """What the harness reads from one recorded exchange (the sandbox's `Exchange`)."""

    @property
    def method(self) -> str: ...
    @property
    def path(self) -> str: ...
    @property
    def query(self) -> Mapping[str, Sequence[str]]: ...
    @property
    def headers(self) -> Mapping[str, str]: ...
    @property
    def body_text(self) -> str | None: ...
    @property
    def body_json(self) -> Any: ...
    @property
    def status(self) -> int: ...
    @property
    def response_headers(self) -> Mapping[str, str]: ...
    @property
    def response_text(self) -> str: ...
    @property
    def route(self) -> str | None: ...
    @property
    def fault(self) -> str | None: ...


@dataclass(frozen=True)
class RecordedExchange:
    """A hand-built exchange with the same attributes as the sandbox's `Exchange`."""

    method: str
    path: str
    query: dict[str, list[str]] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    body_text: str | None = None
    body_json: Any = None
    status: int = 200
    response_headers: dict[str, str] = field(default_factory=dict)
    response_text: str = ""
    route: str | None = None
    fault: str | None = None


@dataclass(frozen=True)
class Parameter:
    name: str
    location: str
    required: bool
    schema: Mapping[str, Any]


@dataclass(frozen=True)
class Operation:
    method: str
    template: str
    operation_id: str
    parameters: tuple[Parameter, ...]
    request_body: Mapping[str, Any] | None
    responses: Mapping[str, Any]

    @property
    def segments(self) -> tuple[str, ...]:
        return tuple(self.template.split("/")[1:])

    def path_params(self, path: str) -> dict[str, str]:
        """The raw (still percent-encoded) value of each path parameter in `path`."""
        values: dict[str, str] = {}
        for pattern, segment in zip(self.segments, _split_path(path), strict=True):
            if _is_param(pattern):
                values[pattern[1:-1]] = segment
        return values

    def params(self, location: str) -> dict[str, Parameter]:
        """Parameters in `location`, by name (lower-cased for headers)."""
        return {
            p.name.lower() if location == "header" else p.name: p
            for p in self.parameters
            if p.location == location
        }


def _split_path(path: str) -> list[str]:
    return path.split("?", 1)[0].split("/")[1:]


def _is_param(segment: str) -> bool:
    return segment.startswith("{") and segment.endswith("}")


def _shorten(text: str) -> str:
    return text if len(text) <= _MAX_MESSAGE else text[: _MAX_MESSAGE - 3] + "..."


def to_json_schema(node: Any) -> Any:
    """Rewrite an OpenAPI 3.0 schema object as JSON Schema 2020-12."""
    if not isinstance(node, Mapping):
        return node
    if "$ref" in node:
        # OpenAPI 3.0: siblings of $ref are ignored, but Intercom uses `nullable` there.
        ref = node["$ref"]
        target = {"$ref": _COMPONENTS_URI + ref if ref.startswith("#/") else ref}
        return {"anyOf": [{"type": "null"}, target]} if node.get("nullable") is True else target
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in _DROPPED_KEYWORDS or key == "nullable" or key.startswith("x-"):
            continue
        if key in ("properties", "patternProperties") and isinstance(value, Mapping):
            out[key] = {name: to_json_schema(sub) for name, sub in value.items()}
        elif key in _SCHEMA_LIST_KEYWORDS and isinstance(value, list):
            out[key] = [to_json_schema(sub) for sub in value]
        elif key == "items" and isinstance(value, list):
            out["prefixItems"] = [to_json_schema(sub) for sub in value]
        elif key in _SCHEMA_KEYWORDS:
            out[key] = to_json_schema(value)
        elif key in ("exclusiveMinimum", "exclusiveMaximum") and isinstance(value, bool):
            bound = "minimum" if key == "exclusiveMinimum" else "maximum"
            if value and bound in node:
                out[key] = node[bound]
        else:
            out[key] = value
    for key in ("exclusiveMinimum", "exclusiveMaximum"):
        bound = "minimum" if key == "exclusiveMinimum" else "maximum"
        if key in out:
            out.pop(bound, None)
    if node.get("nullable") is not True:
        return out
    if isinstance(out.get("type"), str) and not _COMPOSITION_KEYWORDS & out.keys():
        out["type"] = [out["type"], "null"]
        if "enum" in out and None not in out["enum"]:
            out["enum"] = [*out["enum"], None]
        return out
    return {"anyOf": [{"type": "null"}, out]}


def _registry(components: Mapping[str, Any], overlays: Mapping[str, Mapping[str, Any]]) -> Any:
    schemas = {name: to_json_schema(schema) for name, schema in components["schemas"].items()}
    for name, overlay in overlays.items():
        schemas[name] = {"allOf": [schemas[name], overlay]}
    resource = Resource.from_contents(
        {"components": {"schemas": schemas}}, default_specification=DRAFT202012
    )
    return Registry().with_resource(_COMPONENTS_URI, resource).crawl()


def _describe(error: jsonschema.ValidationError) -> str:
    """The error's message, with a long instance or schema cut down to what locates the fault."""
    instance = repr(error.instance)
    short = instance if len(instance) <= _MAX_INSTANCE else instance[: _MAX_INSTANCE - 3] + "..."
    if error.validator in ("anyOf", "oneOf"):
        if not error.context:
            return f"{short} matches more than one oneOf alternative"
        by_alternative: dict[Any, list[jsonschema.ValidationError]] = {}
        for sub in error.context:
            by_alternative.setdefault(sub.relative_schema_path[0], []).append(sub)
        reasons = []
        for index, errors in sorted(by_alternative.items()):
            closest = jsonschema.exceptions.best_match(errors)
            where = "".join(f"[{p!r}]" for p in closest.relative_path)
            reasons.append(f"#{index}: {where + ': ' if where else ''}{_describe(closest)}")
        alternatives = "; ".join(reasons)
        return f"{short} matches none of the {error.validator} alternatives ({alternatives})"
    return str(error.message).replace(instance, short)


def _format_errors(where: str, errors: Iterable[jsonschema.ValidationError]) -> list[str]:
    ordered = sorted(errors, key=lambda e: [str(p) for p in e.absolute_path])
    return [
        _shorten(where + "".join(f"[{p!r}]" for p in error.absolute_path) + ": " + _describe(error))
        for error in ordered
    ]


def _media_types(value: str) -> list[str]:
    return [part.split(";", 1)[0].strip().lower() for part in value.split(",") if part.strip()]


def _header(headers: Mapping[str, str], name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name:
            return value
    return None


def _json_body(text: str | None, fallback: Any) -> tuple[bool, Any, str | None]:
    """(present, value, parse error) for a body given as text (`fallback` if there is none)."""
    if text is None or not text.strip():
        return (fallback is not None, fallback, None)
    try:
        return (True, json.loads(text), None)
    except ValueError as exc:
        return (True, None, f"body is not JSON ({exc})")


def _coerce_query_value(value: str, schema: Mapping[str, Any]) -> Any:
    kind = schema.get("type")
    if kind == "integer" and re.fullmatch(r"-?\d+", value):
        return int(value)
    if kind == "number":
        try:
            return float(value)
        except ValueError:
            return value
    if kind == "boolean" and value in ("true", "false"):
        return value == "true"
    return value


class IntercomOpenApi:
    """Intercom's OpenAPI description, ready to match paths and validate exchanges."""

    def __init__(self, document: Mapping[str, Any]) -> None:
        self.document = document
        self.version: str = str(document["info"]["version"])
        version_schema = document["components"]["schemas"]["intercom_version"]
        self.intercom_versions: tuple[str, ...] = tuple(version_schema["enum"])
        self.operations: tuple[Operation, ...] = tuple(self._operations())
        self._by_method: dict[str, list[Operation]] = {}
        for operation in self.operations:
            self._by_method.setdefault(operation.method, []).append(operation)
        self._validators: dict[tuple[Any, ...], Any] = {}

    def _resolve(self, node: Any) -> Any:
        seen: set[str] = set()
        while isinstance(node, Mapping) and "$ref" in node:
            ref = node["$ref"]
            if ref in seen or not ref.startswith("#/"):
                raise ValueError(f"unresolvable reference {ref!r}")
            seen.add(ref)
            node = self.document
            for part in ref[2:].split("/"):
                node = node[part.replace("~1", "/").replace("~0", "~")]
        return node

    def _operations(self) -> Iterator[Operation]:
        for template, item in self.document["paths"].items():
            shared = [self._resolve(p) for p in item.get("parameters", [])]
            for method, raw in item.items():
                if method not in _METHODS:
                    continue
                own = [self._resolve(p) for p in raw.get("parameters", [])]
                merged = {(p["in"], p["name"]): p for p in [*shared, *own]}
                yield Operation(
                    method=method.upper(),
                    template=template,
                    operation_id=raw.get("operationId", f"{method.upper()} {template}"),
                    parameters=tuple(
                        Parameter(
                            name=p["name"],
                            location=p["in"],
                            required=bool(p.get("required", p["in"] == "path")),
                            schema=p.get("schema", {}),
                        )
                        for p in merged.values()
                    ),
                    request_body=self._resolve(raw.get("requestBody")),
                    responses={k: self._resolve(v) for k, v in raw.get("responses", {}).items()},
                )

    # -- matching -------------------------------------------------------------------------------

    def match(self, method: str, path: str) -> Operation | None:
        """The operation for a concrete, still percent-encoded path; literal segments win."""
        segments = _split_path(path)
        best: tuple[tuple[int, ...], Operation] | None = None
        for operation in self._by_method.get(method.upper(), []):
            pattern = operation.segments
            if len(pattern) != len(segments):
                continue
            rank: list[int] = []
            for expected, actual in zip(pattern, segments, strict=True):
                if _is_param(expected):
                    if not actual:
                        break
                    rank.append(1)
                elif expected == actual:
                    rank.append(0)
                else:
                    break
            else:
                if best is None or tuple(rank) < best[0]:
                    best = (tuple(rank), operation)
        return best[1] if best else None

    # -- validators -----------------------------------------------------------------------------

    @functools.cached_property
    def _plain_registry(self) -> Any:
        return _registry(self.document["components"], {})

    @functools.cached_property
    def _overlay_registry(self) -> Any:
        return _registry(self.document["components"], RESPONSE_OVERLAYS)

    def _validator(self, key: tuple[Any, ...], schema: Any, *, overlay: bool) -> Any:
        cache_key = (*key, overlay)
        validator = self._validators.get(cache_key)
        if validator is None:
            registry = self._overlay_registry if overlay else self._plain_registry
            validator = jsonschema.Draft202012Validator(to_json_schema(schema), registry=registry)
            self._validators[cache_key] = validator
        return validator

    def component_validator(self, name: str, *, overlay: bool = False) -> Any:
        """A compiled validator for `#/components/schemas/<name>`."""
        ref = {"$ref": f"#/components/schemas/{name}"}
        return self._validator(("component", name), ref, overlay=overlay)

    def _strict_validator(self, operation: Operation, schema: Any) -> Any:
        key = ("request-strict", operation.method, operation.template)
        validator = self._validators.get(key)
        if validator is None:
            strict = {"allOf": [to_json_schema(schema)], "unevaluatedProperties": False}
            validator = jsonschema.Draft202012Validator(strict, registry=self._plain_registry)
            self._validators[key] = validator
        return validator

    def documented_properties(self, schema: Any) -> set[str] | None:
        """Top-level property names a schema documents (None if it allows any)."""
        names: set[str] = set()
        pending, seen = [schema], set()
        while pending:
            node = pending.pop()
            if not isinstance(node, Mapping) or id(node) in seen:
                continue
            seen.add(id(node))
            node = self._resolve(node)
            additional = node.get("additionalProperties")
            if additional is True or isinstance(additional, Mapping):
                return None
            names.update(node.get("properties", {}))
            for keyword in _SCHEMA_LIST_KEYWORDS:
                pending.extend(node.get(keyword, []))
        return names

    # -- requests -------------------------------------------------------------------------------

    def validate_request(
        self,
        exchange: ExchangeLike,
        *,
        strict: bool = True,
        require_version: bool = True,
        pin_version: bool = True,
    ) -> list[str]:
        """Problems with the request side of `exchange`, as human-readable lines.

        `strict`: only documented top-level body properties and query parameters are allowed.
        `require_version`: the `Intercom-Version` header must be sent (the app default applies
        otherwise). `pin_version`: it must name the version this description describes.
        """
        operation = self.match(exchange.method, exchange.path)
        if operation is None:
            return [f"no operation {exchange.method.upper()} {exchange.path} in the description"]
        problems: list[str] = []
        problems += self._check_headers(exchange, operation, require_version, pin_version)
        problems += self._check_path(exchange, operation)
        problems += self._check_query(exchange, operation, strict=strict)
        problems += self._check_request_body(exchange, operation, strict=strict)
        return problems

    def _check_headers(
        self,
        exchange: ExchangeLike,
        operation: Operation,
        require_version: bool,
        pin_version: bool,
    ) -> list[str]:
        problems: list[str] = []
        headers = exchange.headers
        authorization = _header(headers, "authorization")
        if authorization is None:
            problems.append("header Authorization is missing (Intercom needs 'Bearer <token>')")
        elif not _BEARER.match(authorization):
            problems.append("header Authorization is not 'Bearer <token>'")
        accept = _header(headers, "accept")
        if accept is None:
            problems.append("header Accept is missing (Intercom needs 'application/json')")
        elif "application/json" not in _media_types(accept):
            problems.append(f"header Accept {accept!r} does not name application/json")
        for name, parameter in operation.params("header").items():
            value = _header(headers, name)
            if value is None:
                if parameter.required or (require_version and name == "intercom-version"):
                    problems.append(f"header {parameter.name} is missing")
                continue
            key = ("header", operation.method, operation.template, name)
            validator = self._validator(key, parameter.schema, overlay=False)
            errors = _format_errors(f"header {parameter.name}", validator.iter_errors(value))
            problems += errors
            if name == "intercom-version" and pin_version and not errors and value != self.version:
                problems.append(
                    f"header Intercom-Version {value!r} is not {self.version!r}, the version this "
                    "description documents"
                )
        return problems

    def _check_path(self, exchange: ExchangeLike, operation: Operation) -> list[str]:
        problems: list[str] = []
        values = operation.path_params(exchange.path)
        for name, parameter in operation.params("path").items():
            if name not in values:
                problems.append(
                    f"path parameter {name} is declared but not in {operation.template}"
                )
                continue
            key = ("path", operation.method, operation.template, name)
            validator = self._validator(key, parameter.schema, overlay=False)
            value = _coerce_query_value(unquote(values[name]), parameter.schema)
            problems += _format_errors(f"path parameter {name}", validator.iter_errors(value))
        return problems

    def _check_query(
        self, exchange: ExchangeLike, operation: Operation, *, strict: bool
    ) -> list[str]:
        problems: list[str] = []
        documented = operation.params("query")
        for name, parameter in documented.items():
            values = exchange.query.get(name)
            if not values:
                if parameter.required:
                    problems.append(f"query parameter {name} is missing")
                continue
            if len(values) > 1 and parameter.schema.get("type") != "array":
                problems.append(f"query parameter {name} is repeated ({len(values)} values)")
            key = ("query", operation.method, operation.template, name)
            validator = self._validator(key, parameter.schema, overlay=False)
            value = _coerce_query_value(values[0], parameter.schema)
            problems += _format_errors(f"query parameter {name}", validator.iter_errors(value))
        if strict:
            for name in sorted(set(exchange.query) - set(documented)):
                problems.append(f"query parameter {name} is not documented for this operation")
        return problems

    def _check_request_body(
        self, exchange: ExchangeLike, operation: Operation, *, strict: bool
    ) -> list[str]:
        present, body, parse_error = _json_body(exchange.body_text, exchange.body_json)
        spec = operation.request_body
        if not present:
            if spec is not None and spec.get("required"):
                return ["request body is required but missing"]
            return []
        if spec is None:
            return [f"{operation.method} {operation.template} takes no request body, one was sent"]
        problems: list[str] = []
        content_type = _header(exchange.headers, "content-type")
        if content_type is None:
            problems.append("header Content-Type is missing on a request with a body")
        elif _media_types(content_type)[:1] != ["application/json"]:
            problems.append(f"header Content-Type {content_type!r} is not application/json")
        if parse_error is not None:
            return [*problems, f"request {parse_error}"]
        media = spec.get("content", {}).get("application/json")
        if media is None or "schema" not in media:
            return [*problems, "the description documents no application/json request body"]
        schema = media["schema"]
        key = ("request", operation.method, operation.template)
        schema_errors = _format_errors(
            "request body", self._validator(key, schema, overlay=False).iter_errors(body)
        )
        problems += schema_errors
        if not strict or not isinstance(body, dict):
            return problems
        allowed = self.documented_properties(schema)
        unknown = sorted(set(body) - allowed) if allowed is not None else []
        problems += [
            f"request body: unknown top-level property {name!r} (not in the documented request "
            f"schema; Intercom answers 400 \"bad '{name}' parameter\")"
            for name in unknown
        ]
        if not schema_errors and not unknown:
            strict_errors = self._strict_validator(operation, schema).iter_errors(body)
            problems += _format_errors("request body (documented properties only)", strict_errors)
        return problems

    # -- responses ------------------------------------------------------------------------------

    def response_spec(self, operation: Operation, status: int) -> tuple[str, Any] | None:
        """(the key it is documented under, the response object) for a status, if documented."""
        for key in (str(status), f"{status // 100}XX", "default"):
            if key in operation.responses:
                return key, operation.responses[key]
        return None

    def validate_response(self, exchange: ExchangeLike, *, overlay: bool = True) -> list[str]:
        """Problems with the response side of `exchange` (none for faults and dropped ones).

        `overlay`: also apply `RESPONSE_OVERLAYS` (required keys and constant `type`s).
        """
        if exchange.fault is not None or exchange.status == 0:
            return []
        status = exchange.status
        operation = self.match(exchange.method, exchange.path)
        problems: list[str] = []
        routed = exchange.route
        if operation is not None and routed is not None and routed != operation.template:
            problems.append(
                f"routed as {routed!r}, the description routes it to {operation.template!r}"
            )
        present, body, parse_error = _json_body(exchange.response_text, None)
        if present:
            content_type = _header(exchange.response_headers, "content-type")
            media_type = (_media_types(content_type or "") or [""])[0]
            if not _JSON_MEDIA.match(media_type):
                problems.append(f"response Content-Type {content_type!r} is not application/json")
        if parse_error is not None:
            return [*problems, f"response {parse_error}"]
        documented = self.response_spec(operation, status) if operation is not None else None
        if documented is None:
            if _is_error_list(body):
                errors = self.component_validator("error", overlay=overlay).iter_errors(body)
                return problems + _format_errors(f"response {status} (error schema)", errors)
            if operation is None:
                return [*problems, f"no operation {exchange.method.upper()} {exchange.path}"]
            listed = ", ".join(operation.responses)
            what = "a body that is not an error.list" if status >= 400 else "this status"
            return [*problems, f"status {status} is not documented ({listed}); got {what}"]
        status_key, response = documented
        assert operation is not None
        content = response.get("content")
        media = (content or {}).get("application/json")
        if media is None or "schema" not in media:
            if _is_error_list(body):
                errors = self.component_validator("error", overlay=overlay).iter_errors(body)
                problems += _format_errors(f"response {status} (error schema)", errors)
            elif present and not content:
                problems.append(f"response {status}: a body was sent, none is documented")
            return problems
        if not present:
            return [*problems, f"response {status}: the documented JSON body is missing"]
        schema = RESPONSE_OVERRIDES.get((operation.operation_id, status_key), media["schema"])
        key = ("response", operation.method, operation.template, status_key)
        errors = self._validator(key, schema, overlay=overlay).iter_errors(body)
        return problems + _format_errors(f"response {status} body", errors)

    def examples(self, operation: Operation, status: str | None = None) -> dict[str, Any]:
        """The description's own named examples: of the request body, or of a response status."""
        if status is None:
            holder = operation.request_body or {}
        else:
            holder = operation.responses.get(status, {})
        media = (holder.get("content") or {}).get("application/json", {})
        return {name: ex.get("value") for name, ex in (media.get("examples") or {}).items()}

    def operation(self, method: str, template: str) -> Operation:
        for candidate in self._by_method.get(method.upper(), []):
            if candidate.template == template:
                return candidate
        raise KeyError(f"{method.upper()} {template}")


def _is_error_list(body: Any) -> bool:
    return isinstance(body, dict) and body.get("type") == "error.list"


@functools.cache
def load_spec() -> IntercomOpenApi:
    """The vendored 2.14 description, parsed once per process."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with SPEC_PATH.open("rb") as handle:
        document = yaml.load(handle, Loader=loader)  # noqa: S506 - a safe loader
    return IntercomOpenApi(document)


def validate_request(
    exchange: ExchangeLike,
    *,
    strict: bool = True,
    require_version: bool = True,
    pin_version: bool = True,
) -> list[str]:
    """Problems with the request side of `exchange` (see `IntercomOpenApi.validate_request`)."""
    return load_spec().validate_request(
        exchange, strict=strict, require_version=require_version, pin_version=pin_version
    )


def validate_response(exchange: ExchangeLike, *, overlay: bool = True) -> list[str]:
    """Problems with the response side of `exchange` (see `IntercomOpenApi.validate_response`)."""
    return load_spec().validate_response(exchange, overlay=overlay)


def assert_exchanges_conform(
    exchanges: Iterable[ExchangeLike], *, requests: bool = True, responses: bool = True
) -> None:
    """Raise AssertionError listing every problem of every exchange, or return quietly."""
    spec = load_spec()
    report: list[str] = []
    for index, exchange in enumerate(exchanges):
        problems = []
        if requests:
            problems += [f"request: {p}" for p in spec.validate_request(exchange)]
        if responses:
            problems += [f"response: {p}" for p in spec.validate_response(exchange)]
        if problems:
            status = "dropped" if exchange.status == 0 else str(exchange.status)
            fault = f" [fault {exchange.fault}]" if exchange.fault else ""
            report.append(f"#{index} {exchange.method.upper()} {exchange.path} -> {status}{fault}")
            report += [f"    {p}" for p in problems]
    if report:
        raise AssertionError(
            "exchanges do not conform to Intercom's OpenAPI 2.14 description:\n" + "\n".join(report)
        )


__all__ = [
    "RESPONSE_OVERLAYS",
    "RESPONSE_OVERRIDES",
    "ExchangeLike",
    "IntercomOpenApi",
    "Operation",
    "Parameter",
    "RecordedExchange",
    "assert_exchanges_conform",
    "load_spec",
    "to_json_schema",
    "validate_request",
    "validate_response",
]
