"""Generated hostile events through the real entry points, against the sandbox.

- Invalid events, through each trigger, end in that trigger's documented outcome for a
  validation error, and reach neither Intercom nor Secrets Manager.
- Valid events whose ``value`` is full of path and query syntax (``update_by`` user_id or id)
  only ever produce the documented request templates with an empty query: ``value`` is one path
  segment, exactly, and never changes where a request goes.

Each example goes over HTTP, so there are fewer of them than in tests/unit/test_hostile_input.py.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any, Final, Literal
from urllib.parse import unquote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from intercom_sandbox import IntercomSandbox
from intercom_update.handlers import api_gateway, direct, eventbridge, sqs
from intercom_update.models.errors import InputValidationError
from intercom_update.models.failures import UpdateUnsuccessfulError
from intercom_update.models.input import FIELD_NAMES, parse_update_request
from tests.support.events import TRIGGERS, Trigger, api_event, eventbridge_event, sqs_event
from tests.support.intercom import SECRET_NAME
from tests.support.lambda_context import ACCOUNT_ID, REGION, FakeLambdaContext
from tests.support.openapi import assert_exchanges_conform
from tests.support.stub_aws import StubAwsEndpoint

EXAMPLES_INVALID: Final = 500
EXAMPLES_INJECTION_PER_TRIGGER: Final = 200
# Fixtures are per test, not per example: each example resets what it uses itself.
OVER_HTTP: Final = settings(
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def deliver(trigger: Trigger, payload: Any) -> str | None:
    """Deliver ``payload`` (the input object, or anything else) through ``trigger``.

    Returns the error code of an unsuccessful outcome (None for success), read the way each
    trigger reports it (docs/contract.md "Per trigger"); anything undocumented fails the test.
    """
    return deliver_text(trigger, json.dumps(payload), payload)


def deliver_text(trigger: Trigger, text: str, payload: Any = None) -> str | None:
    """Like ``deliver``; API Gateway and SQS get ``text`` verbatim as their body."""
    context = FakeLambdaContext()
    if trigger == "direct":
        result = direct.lambda_handler(payload, context)
        assert set(result) == {"outcome", "json_output", "contact_id", "error"}
        return None if result["outcome"] == "success" else str(result["error"]["code"])
    if trigger == "api_gateway":
        response = api_gateway.lambda_handler(api_event(text), context)
        output = json.loads(response["body"])
        code = None if output["outcome"] == "success" else str(output["error"]["code"])
        assert response["statusCode"] == api_gateway.STATUS_BY_ERROR_CODE[code]
        return code
    if trigger == "eventbridge":
        try:
            result = eventbridge.lambda_handler(eventbridge_event(payload), context)
        except UpdateUnsuccessfulError as unsuccessful:
            return raised_code(unsuccessful)
        assert result["outcome"] == "success"
        return None
    batch = sqs.lambda_handler(sqs_event(text), context)
    if batch == {"batchItemFailures": []}:
        return None
    assert batch == {"batchItemFailures": [{"itemIdentifier": "msg-0"}]}
    # The batch response does not carry the reason: the record's exception does.
    failure = sqs.last_batch.exceptions[0][1]
    assert isinstance(failure, UpdateUnsuccessfulError)
    return raised_code(failure)


def raised_code(unsuccessful: UpdateUnsuccessfulError) -> str:
    """The error code an entry point raised with; its message starts with it (for the DLQ)."""
    assert unsuccessful.output.error is not None
    code = str(unsuccessful.output.error["code"])
    assert str(unsuccessful).startswith(f"{code}: ")
    return code


# -- invalid events ---------------------------------------------------------------------------

VALID_BASE: Final[dict[str, Any]] = {
    "connected_account": SECRET_NAME,
    "value": "ada@example.com",
    "name": "Ada Lovelace",
}
any_text = st.text(max_size=30)
json_leaf = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), any_text)
json_value = st.recursive(
    json_leaf,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(any_text, inner, max_size=3),
    max_leaves=6,
)
# Each defect alone makes an event invalid (tests/unit/test_input_model.py pins each rule).
TEXT_FIELDS: Final = ("name", "user_id", "company_id_1", "utm_source", "value")
Defect = Callable[[dict[str, Any]], None]


@st.composite
def defects(draw: st.DrawFn) -> Defect:
    kind = draw(
        st.sampled_from(
            [
                "missing",
                "unknown key",
                "container",
                "control character",
                "too long",
                "update_by",
                "account",
                "avatar",
                "value without name",
            ]
        )
    )
    text_field = draw(st.sampled_from(TEXT_FIELDS))
    if kind == "missing":
        required = draw(st.sampled_from(["connected_account", "value"]))
        return lambda event: event.pop(required, None)
    if kind == "unknown key":
        key = draw(any_text.filter(lambda k: k not in FIELD_NAMES))
        value = draw(json_value)
        return lambda event: event.update({key: value})
    if kind == "container":
        field = draw(st.sampled_from(sorted(FIELD_NAMES)))
        container = draw(st.lists(json_leaf, max_size=2) | st.dictionaries(any_text, json_leaf))
        return lambda event: event.update({field: container})
    if kind == "control character":
        char = draw(st.sampled_from(["\n", "\r\n", "\x00", "\t", "\x1b", "\x7f"]))
        return lambda event: event.update({text_field: f"ada{char}@example.com"})
    if kind == "too long":
        size = draw(st.integers(256, 5000))
        return lambda event: event.update({text_field: "a" * size})
    if kind == "update_by":
        update_by = draw(
            (st.sampled_from(["EMAIL", "external_id", "name", "Id"]) | any_text).filter(
                lambda text: text.strip() not in {"", "email", "user_id", "id", "phone"}
            )
        )
        return lambda event: event.update({"update_by": update_by})
    if kind == "account":
        account = draw(
            st.sampled_from(
                [
                    "prod/db",
                    "intercom/",
                    "intercom/../prod",
                    "intercom/%2e%2e/prod",
                    "Intercom/acme",
                    "arn:aws:secretsmanager:eu-west-1:999999999999:secret:intercom/acme",
                    "arn:aws:secretsmanager:us-east-1:123456789012:secret:intercom/acme",
                ]
            )
        )
        return lambda event: event.update({"connected_account": account})
    if kind == "avatar":
        url = draw(st.sampled_from(["http://x.example/a.png", "javascript:alert(1)", "https://"]))
        return lambda event: event.update({"avatar_image": url})
    return lambda event: event.update({"custom_attribute_2_value": "orphan"})


@st.composite
def invalid_events(draw: st.DrawFn) -> Any:
    if draw(st.integers(0, 9)) == 0:  # not an object at all
        return draw(json_value.filter(lambda value: not isinstance(value, dict)))
    event = dict(VALID_BASE)
    for defect in draw(st.lists(defects(), min_size=1, max_size=3)):
        defect(event)
    return event


@settings(OVER_HTTP, max_examples=EXAMPLES_INVALID)
@given(event=invalid_events())
def test_invalid_events_are_refused_by_every_trigger_before_any_call(
    sandbox: IntercomSandbox, counted_aws: StubAwsEndpoint, event: Any
) -> None:
    with pytest.raises(InputValidationError):
        parse_update_request(
            event,
            connected_account_prefix="intercom/",
            aws_region=REGION,
            aws_account_id=ACCOUNT_ID,
        )

    for trigger in TRIGGERS:
        assert deliver(trigger, event) == "validation_error", trigger

    assert sandbox.exchanges == []
    assert counted_aws.targets == []


BODIES: Final = {
    "not json": "{not json",
    "empty": "",
    "array": "[1, 2]",
    "null": "null",
    "string": '"text"',
    "lone surrogate": '{"connected_account": "intercom/acme", "value": "\\ud800@x.io"}',
    "deep arrays": "[" * 100_000 + "]" * 100_000,
    "deep objects": '{"a":' * 100_000 + "1" + "}" * 100_000,
    "huge number": '{"connected_account": "intercom/acme", "value": ' + "9" * 5000 + "}",
    "bom": '\ufeff{"connected_account": "intercom/acme", "value": "ada@example.com"}',
}


@pytest.mark.parametrize("trigger", ["api_gateway", "sqs"])
@pytest.mark.parametrize("name", sorted(BODIES))
def test_unparseable_or_hostile_bodies_are_validation_errors(
    sandbox: IntercomSandbox, counted_aws: StubAwsEndpoint, trigger: Trigger, name: str
) -> None:
    assert deliver_text(trigger, BODIES[name]) == "validation_error"

    assert sandbox.exchanges == []
    assert counted_aws.targets == []


def test_a_base64_body_that_is_not_base64_is_a_validation_error(
    sandbox: IntercomSandbox, counted_aws: StubAwsEndpoint
) -> None:
    garbage = api_event("%%% not base64 %%%", base64_encoded=True)
    not_utf8 = api_event(base64.b64encode(b"\xff\xfe{").decode(), base64_encoded=True)

    for event in (garbage, not_utf8):
        response = api_gateway.lambda_handler(event, FakeLambdaContext())
        assert response["statusCode"] == 400
        assert json.loads(response["body"])["error"]["code"] == "validation_error"
    assert sandbox.exchanges == []


# -- valid events with injection characters in ``value`` --------------------------------------

FRAGMENTS: Final = (
    "../",
    "..",
    "/",
    "//",
    "\\",
    "?",
    "?role=lead&per_page=150",
    "#",
    "#x",
    "&",
    "=",
    ";",
    "%",
    "%2e",
    "%2E%2e%2f",
    "%2f",
    "%252e",
    "%00",
    "%0d%0a",
    "%3F",
    "%23",
    " ",
    "+",
    "@",
    ":",
    "search",
    "find_by_external_id",
    "companies",
    "é",
    "中",
    "🦄",
)
# Format characters (U+202E, U+FEFF, ...) are refused: tests/integration/test_hostile_values.py.
injected_value = (
    st.lists(
        st.sampled_from(FRAGMENTS)
        | st.text(st.characters(exclude_categories=("Cc", "Cf", "Cs", "Zl", "Zp"))),
        min_size=1,
        max_size=6,
    )
    .map(lambda parts: "".join(parts).strip()[:255].strip())
    .filter(lambda value: bool(value) and set(value) != {"."})
)


@pytest.mark.parametrize("trigger", TRIGGERS)
@settings(OVER_HTTP, max_examples=EXAMPLES_INJECTION_PER_TRIGGER)
@given(
    update_by=st.sampled_from(["user_id", "id"]),
    value=injected_value,
    exists=st.booleans(),
)
def test_value_never_changes_the_request_path_or_query(
    sandbox: IntercomSandbox,
    lambda_env: None,
    account: str,
    trigger: Trigger,
    update_by: Literal["user_id", "id"],
    value: str,
    exists: bool,
) -> None:
    sandbox.reset()
    contact_id: str | None = None
    if exists:
        seeded = (
            sandbox.add_contact(role="user", external_id=value, name="Ada")
            if update_by == "user_id"
            else sandbox.add_contact(role="user", id=value, name="Ada")
        )
        contact_id = str(seeded["id"])
    event = {"connected_account": account, "update_by": update_by, "value": value, "name": "X"}

    code = deliver(trigger, event)

    assert code == (None if exists else "user_not_found")
    exchanges = sandbox.exchanges
    if update_by == "user_id":
        expected = [("GET", "/contacts/find_by_external_id/{external_id}")]
        segments = [["contacts", "find_by_external_id", value]]
    else:
        expected = [("GET", "/contacts/{contact_id}")]
        segments = [["contacts", value]]
    if exists:
        expected.append(("PUT", "/contacts/{contact_id}"))
        segments.append(["contacts", str(contact_id)])
    assert [(e.method, e.route) for e in exchanges] == expected
    # Each segment decoded on its own: the value arrives whole, as exactly one segment.
    assert [[unquote(part) for part in e.path.split("/")[1:]] for e in exchanges] == segments
    assert [e.query for e in exchanges] == [{}] * len(exchanges)
    if exists:
        assert sandbox.contact(str(contact_id))["name"] == "X"
    assert_exchanges_conform(exchanges)
