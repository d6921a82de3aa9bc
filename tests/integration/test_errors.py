"""Each error code of the contract, produced the way it happens in real life."""

from __future__ import annotations

import json
from typing import Any

import pytest

from intercom_sandbox import Fault, IntercomSandbox
from intercom_update.dal.intercom_client import Deadline, IntercomClient
from intercom_update.logic.custom_attributes import AttributeSpec
from intercom_update.logic.update_user import Dependencies, process_update
from intercom_update.models.errors import ConnectedAccountUnavailableError, IntercomUnavailableError
from tests.support.aws import put_secret
from tests.support.intercom import Run, api_requests, writes


@pytest.fixture
def ada(sandbox: IntercomSandbox) -> dict[str, Any]:
    return sandbox.add_contact(role="user", email="ada@example.com", external_id="user-1001")


def test_conflict_when_the_new_email_belongs_to_another_user(
    run: Run, sandbox: IntercomSandbox, ada: dict[str, Any]
) -> None:
    other = sandbox.add_contact(role="user", email="taken@example.com", external_id="user-9")

    # By id: the lookup does not see the email, so Intercom's own 409 is what refuses it.
    output = run(update_by="id", value=ada["id"], email="taken@example.com")

    assert output.outcome == "unsuccessful"
    assert output.error is not None
    assert output.error["code"] == "conflict"
    assert output.contact_id == ada["id"]
    assert output.json_output is not None
    body = json.loads(output.json_output)
    assert body["type"] == "error.list"
    assert output.error["intercom_request_id"] == body["request_id"]
    assert sandbox.contact(ada["id"])["email"] == "ada@example.com"
    assert sandbox.contact(other["id"])["email"] == "taken@example.com"
    # 409 is final: exactly one PUT.
    assert len(api_requests(sandbox, "PUT")) == 1


def test_unauthorized_when_intercom_refuses_the_token(
    deps: Dependencies, aws_endpoint: str, sandbox: IntercomSandbox, ada: dict[str, Any]
) -> None:
    put_secret(aws_endpoint, "intercom/revoked", "tok_revoked_00000000")

    output = process_update(
        {"connected_account": "intercom/revoked", "value": "ada@example.com", "name": "X"},
        deps=deps,
    )

    assert output.error is not None
    assert output.error["code"] == "unauthorized"
    assert output.json_output is not None
    assert json.loads(output.json_output)["errors"][0]["code"] == "unauthorized"
    assert "tok_revoked_00000000" not in json.dumps(output.to_dict())
    assert len(api_requests(sandbox)) == 1


@pytest.mark.parametrize(
    ("secret_name", "secret_value", "expected"),
    [
        ("intercom/missing", None, "ResourceNotFoundException"),
        ("intercom/no-token", {"region": "eu"}, "no access_token"),
        ("intercom/bad-region", {"access_token": "tok_abcdefgh", "region": "mars"}, "region"),
        ("intercom/not-json", "{not json", "does not parse"),
        ("intercom/spaces", "this is not a token", "usable Intercom access token"),
    ],
)
def test_connected_account_error_for_a_missing_or_malformed_secret(
    deps: Dependencies,
    aws_endpoint: str,
    sandbox: IntercomSandbox,
    secret_name: str,
    secret_value: str | dict[str, Any] | None,
    expected: str,
) -> None:
    if secret_value is not None:
        put_secret(aws_endpoint, secret_name, secret_value)

    output = process_update(
        {"connected_account": secret_name, "value": "ada@example.com", "name": "X"}, deps=deps
    )

    assert output.outcome == "unsuccessful"
    assert output.error is not None
    assert output.error["code"] == "connected_account_error"
    assert output.error["field"] == "connected_account"
    assert expected in output.error["message"]
    assert output.json_output is None
    assert sandbox.exchanges == []
    if isinstance(secret_value, str):
        assert secret_value not in json.dumps(output.to_dict())


def test_a_secret_arn_under_the_prefix_is_accepted(
    deps: Dependencies, aws_endpoint: str, sandbox: IntercomSandbox, ada: dict[str, Any]
) -> None:
    from tests.support.intercom import TOKEN

    arn = put_secret(aws_endpoint, "intercom/by-arn", {"access_token": TOKEN})

    output = process_update(
        {"connected_account": arn, "value": "ada@example.com", "name": "By ARN"}, deps=deps
    )

    assert output.outcome == "success", output.error
    assert sandbox.contact(ada["id"])["name"] == "By ARN"


def test_secrets_manager_unreachable_is_raised_for_a_retry(
    deps: Dependencies, sandbox: IntercomSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Nothing listens on port 9 of loopback: connection refused, as in an outage.
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")

    with pytest.raises(ConnectedAccountUnavailableError) as raised:
        process_update(
            {"connected_account": "intercom/acme", "value": "ada@example.com", "name": "X"},
            deps=deps,
        )

    assert "retry later" in str(raised.value)
    assert sandbox.exchanges == []


def test_intercom_error_for_other_refusals(
    run: Run, sandbox: IntercomSandbox, ada: dict[str, Any]
) -> None:
    sandbox.add_fault(
        Fault(
            method="PUT",
            path="/contacts/*",
            status=422,
            body={
                "type": "error.list",
                "request_id": "req-422",
                "errors": [{"code": "parameter_invalid", "message": "Name is too long"}],
            },
        )
    )

    output = run(value="ada@example.com", name="Ada")

    assert output.error is not None
    assert output.error["code"] == "intercom_error"
    assert "422" in output.error["message"]
    assert "Name is too long" in output.error["message"]
    assert output.error["intercom_request_id"] == "req-422"
    assert output.json_output is not None
    assert json.loads(output.json_output)["errors"][0]["code"] == "parameter_invalid"
    assert len(api_requests(sandbox, "PUT")) == 1


def test_attribute_deleted_between_check_and_write_is_attribute_not_found(
    run: Run, sandbox: IntercomSandbox, ada: dict[str, Any]
) -> None:
    sandbox.add_data_attribute("plan")
    sandbox.add_fault(
        Fault(
            method="PUT",
            path="/contacts/*",
            status=400,
            body={
                "type": "error.list",
                "request_id": "req-400",
                "errors": [
                    {
                        "code": "parameter_invalid",
                        "message": "Custom attribute 'plan' does not exist",
                    }
                ],
            },
        )
    )

    output = run(
        value="ada@example.com", custom_attribute_1_name="plan", custom_attribute_1_value="x"
    )

    assert output.error is not None
    assert output.error["code"] == "attribute_not_found"
    assert "'plan'" in output.error["message"]


def test_intercom_unavailable_is_raised_after_bounded_attempts(
    run: Run, sandbox: IntercomSandbox, ada: dict[str, Any]
) -> None:
    sandbox.add_fault(Fault(status=503, times=-1))

    with pytest.raises(IntercomUnavailableError) as raised:
        run(value="ada@example.com", name="Ada")

    assert "gave up after 4 attempts" in str(raised.value)
    assert len(sandbox.exchanges) == 4
    assert writes(sandbox) == []


def test_a_failed_attribute_creation_still_reports_each_company(
    run: Run, sandbox: IntercomSandbox, ada: dict[str, Any]
) -> None:
    sandbox.add_fault(Fault(method="POST", path="/data_attributes", status=403))

    output = run(
        value="ada@example.com",
        name="Changed",
        company_id_1="acme",
        create_missing_attributes=True,
        utm_source="ads",
    )

    assert output.error is not None
    assert output.error["code"] == "unauthorized"
    assert "1 of 1 companies attached" in output.error["message"]
    assert output.error["details"] == [{"company_id": "acme", "status": "attached"}]
    assert [c["company_id"] for c in sandbox.contact_companies(ada["id"])] == ["acme"]
    assert api_requests(sandbox, "PUT") == []


def test_a_type_changed_since_the_attribute_list_was_cached_is_looked_up_again(
    run: Run, deps: Dependencies, account: str, sandbox: IntercomSandbox, ada: dict[str, Any]
) -> None:
    sandbox.add_data_attribute("seats", data_type="integer")
    workspace = deps.accounts.resolve(account).cache_key
    deps.catalog.get(workspace, _client(deps, account))
    # As if the container had cached the list when "seats" was still a boolean.
    deps.catalog.remember(workspace, AttributeSpec("seats", "boolean", None, True))

    output = run(
        value="ada@example.com", custom_attribute_1_name="seats", custom_attribute_1_value="12"
    )

    assert output.outcome == "success", output.error
    assert sandbox.contact(ada["id"])["custom_attributes"] == {"seats": 12}
    assert len([e for e in sandbox.exchanges if e.route == "/data_attributes"]) == 2


def _client(deps: Dependencies, account: str) -> IntercomClient:
    connected = deps.accounts.resolve(account)
    return IntercomClient(
        base_url=connected.base_url,
        token=connected.token,
        api_version="2.14",
        deadline=Deadline(10),
        policy=deps.retry_policy,
    )
