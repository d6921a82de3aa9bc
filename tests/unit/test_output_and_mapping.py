"""The output shape, the PUT body mapping, HTTP statuses and how Intercom refusals are named."""

from __future__ import annotations

import json
from typing import Any

import pytest

from intercom_update.dal.intercom_client import IntercomApiError
from intercom_update.handlers.api_gateway import STATUS_BY_ERROR_CODE
from intercom_update.logic.intercom_errors import translate
from intercom_update.logic.update_user import contact_changes
from intercom_update.models import errors
from intercom_update.models.errors import (
    AmbiguousUserError,
    AttributeNotFoundError,
    ConflictError,
    ConnectedAccountError,
    InputValidationError,
    IntercomRequestError,
    IntercomUnavailableError,
    UnauthorizedError,
    UpdateUserError,
    UserNotFoundError,
)
from intercom_update.models.input import UpdateUserInput, parse_update_request
from intercom_update.models.output import UpdateUserOutput

# docs/contract.md "Output": the error codes of an unsuccessful (returned) outcome.
CONTRACT_ERROR_CODES = frozenset(
    {
        "validation_error",
        "connected_account_error",
        "unauthorized",
        "user_not_found",
        "ambiguous_user",
        "attribute_not_found",
        "conflict",
        "intercom_error",
    }
)
CONTACT_ID = "6571a0b2c3d4e5f6a7b8c9d0"
OUTPUT_KEYS = {"outcome", "json_output", "contact_id", "error"}
NOW = 1_795_773_600.75


def request(**extra: Any) -> UpdateUserInput:
    payload = {"connected_account": "intercom/acme", "value": "jane@example.com", **extra}
    return parse_update_request(payload, connected_account_prefix="intercom/")


def error_list(code: str, message: str, request_id: str | None = "req-1") -> str:
    body: dict[str, Any] = {"type": "error.list", "errors": [{"code": code, "message": message}]}
    if request_id:
        body["request_id"] = request_id
    return json.dumps(body)


# -- UpdateUserOutput -----------------------------------------------------------------------


def test_success_shape() -> None:
    text = json.dumps({"type": "contact", "id": CONTACT_ID, "email": "jane@example.com"})
    output = UpdateUserOutput.success(json_output=text, contact_id=CONTACT_ID)
    assert output.to_dict() == {
        "outcome": "success",
        "json_output": text,
        "contact_id": CONTACT_ID,
        "error": None,
    }
    assert output.error_code is None
    assert json.loads(json.dumps(output.to_dict())) == output.to_dict()


def test_unsuccessful_minimal_shape() -> None:
    output = UpdateUserOutput.unsuccessful(UserNotFoundError("no Intercom user has email x"))
    assert output.to_dict() == {
        "outcome": "unsuccessful",
        "json_output": None,
        "contact_id": None,
        "error": {"code": "user_not_found", "message": "no Intercom user has email x"},
    }
    assert output.error_code == "user_not_found"


def test_unsuccessful_full_shape() -> None:
    body = error_list("parameter_invalid", "bad")
    error = IntercomRequestError(
        "Intercom answered 400",
        field="email",
        details=[{"field": "email", "message": "bad"}],
        intercom_body=body,
        intercom_request_id="req-1",
    )
    error.contact_id = CONTACT_ID
    result = UpdateUserOutput.unsuccessful(error).to_dict()
    assert set(result) == OUTPUT_KEYS
    assert result == {
        "outcome": "unsuccessful",
        "json_output": body,
        "contact_id": CONTACT_ID,
        "error": {
            "code": "intercom_error",
            "message": "Intercom answered 400",
            "field": "email",
            "details": [{"field": "email", "message": "bad"}],
            "intercom_request_id": "req-1",
        },
    }
    assert json.loads(json.dumps(result)) == result


def test_unsuccessful_omits_empty_optional_error_keys() -> None:
    error = InputValidationError("invalid", field=None, details=[], intercom_request_id="")
    assert UpdateUserOutput.unsuccessful(error).error == {
        "code": "validation_error",
        "message": "invalid",
    }


@pytest.mark.parametrize(
    ("error_class", "code"),
    [
        (InputValidationError, "validation_error"),
        (ConnectedAccountError, "connected_account_error"),
        (UnauthorizedError, "unauthorized"),
        (UserNotFoundError, "user_not_found"),
        (AmbiguousUserError, "ambiguous_user"),
        (AttributeNotFoundError, "attribute_not_found"),
        (ConflictError, "conflict"),
        (IntercomRequestError, "intercom_error"),
    ],
)
def test_each_error_class_has_its_contract_code(
    error_class: type[UpdateUserError], code: str
) -> None:
    output = UpdateUserOutput.unsuccessful(error_class("m"))
    assert output.outcome == "unsuccessful"
    assert output.error_code == code
    assert set(output.to_dict()) == OUTPUT_KEYS


def test_the_returned_error_codes_are_exactly_the_contracts() -> None:
    codes = {
        cls.code
        for cls in vars(errors).values()
        if isinstance(cls, type) and issubclass(cls, UpdateUserError)
    }
    assert codes == CONTRACT_ERROR_CODES


def test_unavailable_is_raised_not_returned() -> None:
    assert IntercomUnavailableError.code == "intercom_unavailable"
    assert not issubclass(IntercomUnavailableError, UpdateUserError)


# -- STATUS_BY_ERROR_CODE -------------------------------------------------------------------


def test_status_map_covers_every_contract_code_and_success() -> None:
    assert set(STATUS_BY_ERROR_CODE) == {None, *CONTRACT_ERROR_CODES}
    assert "intercom_unavailable" not in STATUS_BY_ERROR_CODE


@pytest.mark.parametrize(
    ("code", "status"),
    [
        (None, 200),
        ("validation_error", 400),
        ("user_not_found", 404),
        ("ambiguous_user", 409),
        ("conflict", 409),
        ("attribute_not_found", 422),
        ("connected_account_error", 422),
        ("unauthorized", 502),
        ("intercom_error", 502),
    ],
)
def test_status_per_contract(code: str | None, status: int) -> None:
    assert STATUS_BY_ERROR_CODE[code] == status


# -- contact_changes ------------------------------------------------------------------------


def test_no_fields_no_changes() -> None:
    assert contact_changes(request(), {}, NOW) == {}


@pytest.mark.parametrize(
    ("field", "raw", "target", "sent"),
    [
        ("email", "new@example.com", "email", "new@example.com"),
        ("name", "Jane Doe", "name", "Jane Doe"),
        ("phone", "+14155550100", "phone", "+14155550100"),
        ("avatar_image", "https://example.com/a.png", "avatar", "https://example.com/a.png"),
        ("user_id", "u-42", "external_id", "u-42"),
        ("unsubscribed_from_emails", "true", "unsubscribed_from_emails", True),
        ("unsubscribed_from_emails", "false", "unsubscribed_from_emails", False),
        ("unsubscribed_from_emails", False, "unsubscribed_from_emails", False),
    ],
)
def test_field_maps_to_its_intercom_name(
    field: str, raw: object, target: str, sent: object
) -> None:
    changes = contact_changes(request(**{field: raw}), {}, NOW)
    assert changes == {target: sent}
    assert type(changes[target]) is type(sent)


def test_update_last_request_at_true_sets_last_seen_at_to_now() -> None:
    changes = contact_changes(request(update_last_request_at="true"), {}, NOW)
    assert changes == {"last_seen_at": int(NOW)}
    assert type(changes["last_seen_at"]) is int


@pytest.mark.parametrize("raw", [False, "false", None])
def test_update_last_request_at_false_or_absent_sends_nothing(raw: object) -> None:
    assert contact_changes(request(update_last_request_at=raw), {}, NOW) == {}


def test_fields_not_written_as_contact_fields_are_absent() -> None:
    changes = contact_changes(
        request(
            session_count=3,
            utm_source="newsletter",
            company_id_1="acme",
            custom_attribute_1_name="plan",
            custom_attribute_1_value="pro",
            create_missing_attributes=True,
        ),
        {},
        NOW,
    )
    assert changes == {}


def test_custom_attributes_are_sent_as_given() -> None:
    attributes = {"plan": "pro", "session_count": 3, "trial": False}
    changes = contact_changes(request(name="Jane"), attributes, NOW)
    assert changes == {"name": "Jane", "custom_attributes": attributes}


def test_everything_at_once() -> None:
    changes = contact_changes(
        request(
            email="new@example.com",
            name="Jane",
            phone="+14155550100",
            avatar_image="https://example.com/a.png",
            user_id="u-42",
            unsubscribed_from_emails="FALSE",
            update_last_request_at=True,
        ),
        {"utm_source": "newsletter"},
        NOW,
    )
    assert changes == {
        "email": "new@example.com",
        "name": "Jane",
        "phone": "+14155550100",
        "avatar": "https://example.com/a.png",
        "external_id": "u-42",
        "unsubscribed_from_emails": False,
        "last_seen_at": int(NOW),
        "custom_attributes": {"utm_source": "newsletter"},
    }


# -- translate ------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [401, 403])
def test_refused_token_is_unauthorized(status: int) -> None:
    body = error_list("unauthorized", "Access Token Invalid")
    error = translate(IntercomApiError(status, body, "req-1"), "looking the user up")
    assert isinstance(error, UnauthorizedError)
    assert error.code == "unauthorized"
    assert error.field == "connected_account"
    assert error.intercom_body == body
    assert error.intercom_request_id == "req-1"
    assert "looking the user up" in error.message
    assert str(status) in error.message
    assert "Access Token Invalid" in error.message


@pytest.mark.parametrize(
    ("status", "code"), [(409, "conflict"), (409, "unknown"), (400, "conflict"), (422, "conflict")]
)
def test_conflict(status: int, code: str) -> None:
    body = error_list(code, "A contact matching those details already exists")
    error = translate(IntercomApiError(status, body, "req-2"), "updating the contact")
    assert isinstance(error, ConflictError)
    assert error.code == "conflict"
    assert error.intercom_body == body
    assert error.intercom_request_id == "req-2"


@pytest.mark.parametrize("status", [400, 404, 422])
def test_missing_custom_attribute(status: int) -> None:
    body = error_list("parameter_invalid", "Custom attribute 'plan tier' does not exist")
    error = translate(IntercomApiError(status, body, None), "updating the contact")
    assert isinstance(error, AttributeNotFoundError)
    assert error.code == "attribute_not_found"
    assert "'plan tier'" in error.message
    assert "create_missing_attributes" in error.message
    assert error.intercom_body == body


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (400, error_list("parameter_invalid", "Email is invalid")),
        (404, error_list("not_found", "Resource Not Found")),
        (422, error_list("unprocessable", "nope")),
        (400, "<html>Bad Request</html>"),
        (400, ""),
    ],
)
def test_anything_else_is_intercom_error(status: int, body: str) -> None:
    error = translate(IntercomApiError(status, body, "req-3"), "attaching a company")
    assert type(error) is IntercomRequestError
    assert error.code == "intercom_error"
    assert error.intercom_body == body
    assert error.intercom_request_id == "req-3"
    assert str(status) in error.message
    assert "attaching a company" in error.message


def test_translated_errors_become_unsuccessful_outputs_with_intercom_body() -> None:
    body = error_list("conflict", "taken", request_id="req-9")
    output = UpdateUserOutput.unsuccessful(translate(IntercomApiError(409, body, "req-9"), "x"))
    assert output.json_output == body
    assert output.error is not None
    assert output.error["intercom_request_id"] == "req-9"
    assert STATUS_BY_ERROR_CODE[output.error_code] == 409
