"""The contract as files (schemas/): up to date with the models, and true of events/ and outputs.

Every file in events/ is a valid input (for wrapped triggers, the payload inside: the API
Gateway body, the EventBridge detail, each SQS record's body); every output the function can
produce is a valid output; the OpenAPI document names every status POST /users/update answers.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from intercom_update.handlers.api_gateway import STATUS_BY_ERROR_CODE
from intercom_update.models.errors import (
    ConnectedAccountUnavailableError,
    InputValidationError,
    IntercomUnavailableError,
    UpdateUserError,
)
from intercom_update.models.input import parse_json_body, parse_update_request
from intercom_update.models.output import UpdateUserOutput
from scripts import generate_schemas

ROOT = Path(__file__).resolve().parents[2]
EVENTS = sorted((ROOT / "events").glob("*.json"))


def _load(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((ROOT / "schemas" / name).read_text(encoding="utf-8"))
    return loaded


INPUT = Draft202012Validator(_load("update-user-input.schema.json"))
OUTPUT = Draft202012Validator(_load("update-user-output.schema.json"))


def _payloads(path: Path) -> list[Any]:
    """The input objects an event carries, unwrapped as its trigger's handler unwraps them."""
    event = json.loads(path.read_text(encoding="utf-8"))
    if path.stem.startswith("direct-"):
        return [event]
    if path.stem.startswith("api-gateway"):  # REST (1.0) and HTTP API (2.0) payloads
        return [parse_json_body(event["body"], "request body")]
    if path.stem == "eventbridge":
        return [event["detail"]]
    if path.stem == "sqs":
        return [parse_json_body(record["body"], "message body") for record in event["Records"]]
    if path.stem == "backfill":  # each row, with the batch's connected account
        return [{**event["BatchInput"], **item["row"]} for item in event["Items"]]
    pytest.fail(f"events/{path.name}: teach this test where its trigger keeps the input")


@pytest.mark.parametrize("name", sorted(generate_schemas.documents()))
def test_checked_in_file_matches_the_models(name: str) -> None:
    text = (ROOT / "schemas" / name).read_text(encoding="utf-8")
    assert text == generate_schemas.documents()[name], f"schemas/{name} is stale: make schemas"


def test_the_schemas_are_valid_json_schema() -> None:
    for validator in (INPUT, OUTPUT):
        Draft202012Validator.check_schema(validator.schema)


@pytest.mark.parametrize("path", EVENTS, ids=lambda p: p.stem)
def test_every_sample_event_carries_valid_input(path: Path) -> None:
    for payload in _payloads(path):
        errors = [f"{list(e.path)}: {e.message}" for e in INPUT.iter_errors(payload)]
        assert not errors, errors
        parse_update_request(payload, connected_account_prefix="intercom/")  # and the model agrees


@pytest.mark.parametrize(
    "payload",
    [
        {"value": "ada@example.com"},  # no connected_account
        {"connected_account": "intercom/demo", "value": "a@b.co", "nickname": "x"},
        {"connected_account": "intercom/demo", "value": "a@b.co", "update_by": "name"},
        {"connected_account": "intercom/demo", "value": "a@b.co", "session_count": -1},
        {"connected_account": "intercom/demo", "value": "a@b.co", "update_last_request_at": "y"},
    ],
)
def test_input_the_model_refuses_for_its_shape_the_schema_refuses(payload: dict[str, Any]) -> None:
    assert not INPUT.is_valid(payload)
    with pytest.raises(InputValidationError):
        parse_update_request(payload, connected_account_prefix="intercom/")


def test_text_forms_the_function_accepts_are_valid() -> None:
    payload = {
        "connected_account": "intercom/demo",
        "value": 1001,
        "update_by": "user_id",
        "session_count": "12",
        "unsubscribed_from_emails": "FALSE",
        "custom_attribute_1_name": "vip",
        "custom_attribute_1_value": True,
        "name": None,
        "email": "",
    }
    assert INPUT.is_valid(payload)
    parse_update_request(payload, connected_account_prefix="intercom/")


def _every_error() -> list[UpdateUserError]:
    found: list[UpdateUserError] = []
    pending: list[type[UpdateUserError]] = [UpdateUserError]
    while pending:
        cls = pending.pop()
        error = cls("refused", field="email", details=[{"field": "email", "message": "bad"}])
        error.intercom_request_id = "req-1"
        error.intercom_body = '{"type":"error.list"}'
        found.append(error)
        pending.extend(cls.__subclasses__())
    return found


def test_every_output_the_function_produces_is_valid() -> None:
    outputs = [
        UpdateUserOutput.success(json_output='{"type":"contact"}', contact_id="c1"),
        *(UpdateUserOutput.unsuccessful(error) for error in _every_error()),
        UpdateUserOutput.unavailable(IntercomUnavailableError("down")),
        UpdateUserOutput.unavailable(ConnectedAccountUnavailableError("throttled")),
    ]
    for output in outputs:
        errors = [e.message for e in OUTPUT.iter_errors(output.to_dict())]
        assert not errors, (output, errors)
    assert not OUTPUT.is_valid({**outputs[0].to_dict(), "outcome": "partial"})


def test_openapi_names_every_status_the_function_answers() -> None:
    document = _load("openapi.json")
    responses = document["paths"]["/users/update"]["post"]["responses"]
    statuses = {str(status) for status in STATUS_BY_ERROR_CODE.values()} | {"503"}
    assert statuses <= set(responses)
    for code, status in STATUS_BY_ERROR_CODE.items():
        if code is not None:
            assert f"`{code}`" in responses[str(status)]["description"]
    assert "Retry-After" in responses["503"]["headers"]
    schemas = document["components"]["schemas"]
    assert schemas["UpdateUserInput"]["properties"] == INPUT.schema["properties"]
    assert schemas["UpdateUserOutput"]["properties"] == OUTPUT.schema["properties"]
