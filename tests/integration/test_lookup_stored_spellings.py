"""Lookups that survive real data: case, phone formatting, untrustworthy hits and key changes.

Intercom does not document whether email search ignores case, so the email tests run against a
sandbox that ignores it and one that does not. Phones are stored stripped of formatting, as
Intercom stores them. Every hit is re-checked before it counts.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from intercom_sandbox import Fault, IntercomSandbox
from tests.support.intercom import Run, api_requests, writes

ROLE_USER = {"field": "role", "operator": "=", "value": "user"}


def _by(field: str, value: str) -> dict[str, Any]:
    return {
        "operator": "AND",
        "value": [{"field": field, "operator": "=", "value": value}, ROLE_USER],
    }


def _queries(sandbox: IntercomSandbox) -> list[Any]:
    return [
        e.body_json["query"] for e in api_requests(sandbox, "POST") if e.route == "/contacts/search"
    ]


@pytest.fixture(params=[False, True], ids=["case-insensitive-search", "exact-case-search"])
def exact_email(request: pytest.FixtureRequest, sandbox: IntercomSandbox) -> bool:
    sandbox.exact_email_search = request.param
    return bool(request.param)


# ------------------------------------------------------------------------------ email


@pytest.mark.usefixtures("exact_email")
@pytest.mark.parametrize("typed", ["Jane@Example.com", "JANE@EXAMPLE.COM", "jane@example.com"])
def test_a_mixed_case_email_finds_the_user(run: Run, sandbox: IntercomSandbox, typed: str) -> None:
    jane = sandbox.add_contact(email="jane@example.com", name="Jane")

    output = run(value=typed, name="Jane Doe")

    assert output.outcome == "success", output.error
    assert output.contact_id == jane["id"]
    assert sandbox.contact(jane["id"])["name"] == "Jane Doe"
    [query] = _queries(sandbox)
    if typed == typed.lower():
        assert query == _by("email", typed)
    else:  # one search: an OR of both spellings, each a group (filters and groups never mix)
        assert query == {
            "operator": "OR",
            "value": [_by("email", typed), _by("email", typed.lower())],
        }


@pytest.mark.usefixtures("exact_email")
def test_a_user_found_under_both_spellings_counts_once(run: Run, sandbox: IntercomSandbox) -> None:
    jane = sandbox.add_contact(email="jane@example.com")

    output = run(value="Jane@example.com", name="Jane")

    assert output.outcome == "success", output.error
    assert output.contact_id == jane["id"]


def test_two_users_differing_only_in_case_are_ambiguous(run: Run, sandbox: IntercomSandbox) -> None:
    first = sandbox.add_contact(email="jane@example.com", external_id="u1")
    second = sandbox.add_contact(email="Jane@Example.com", external_id="u2")
    sandbox.exact_email_search = True

    output = run(value="Jane@Example.com", name="X")

    assert output.error is not None
    assert output.error["code"] == "ambiguous_user"
    assert {d["contact_id"] for d in output.error["details"]} == {first["id"], second["id"]}
    assert writes(sandbox) == []


# ------------------------------------------------------------------------------ phone


@pytest.mark.parametrize("typed", ["+1 (415) 555-0100", "+1 415-555-0100", "+14155550100"])
def test_a_formatted_phone_finds_the_user(run: Run, sandbox: IntercomSandbox, typed: str) -> None:
    ada = sandbox.add_contact(email="ada@example.com", phone="+14155550100")

    output = run(update_by="phone", value=typed, name="Ada")

    assert output.outcome == "success", output.error
    assert output.contact_id == ada["id"]
    [query] = _queries(sandbox)
    if typed == "+14155550100":
        assert query == _by("phone", typed)
    else:
        assert query == {
            "operator": "OR",
            "value": [_by("phone", typed), _by("phone", "+14155550100")],
        }


# ------------------------------------------------------------------------------ re-checked hits


def _search_answers(sandbox: IntercomSandbox, contacts: list[dict[str, Any]]) -> None:
    """Make the next search answer with these contacts, whatever was asked."""
    body = {
        "type": "list",
        "data": contacts,
        "total_count": len(contacts),
        "pages": {"type": "pages", "page": 1, "per_page": 10, "total_pages": 1},
    }
    sandbox.add_fault(Fault(method="POST", path="/contacts/search", status=200, body=body))


@pytest.mark.parametrize(
    ("update_by", "value", "seed"),
    [
        ("email", "ada@example.com", {"email": "ada@example.com", "role": "lead"}),
        ("email", "ada@example.com", {"email": "ada@example.co"}),
        ("email", "ada@example.com", {"email": "xada@example.com"}),
        ("phone", "+14155550100", {"phone": "+14155550101", "email": "p@example.com"}),
        ("phone", "+14155550100", {"phone": "+4155550100", "email": "p@example.com"}),
    ],
    ids=["lead", "email-near-miss", "email-contains", "phone-near-miss", "phone-no-country"],
)
def test_a_lead_or_near_miss_hit_is_never_updated(
    run: Run, sandbox: IntercomSandbox, update_by: str, value: str, seed: dict[str, Any]
) -> None:
    impostor = sandbox.add_contact(name="Impostor", **seed)
    _search_answers(sandbox, [sandbox.contact(impostor["id"])])

    output = run(update_by=update_by, value=value, name="Changed")

    assert output.error is not None
    assert output.error["code"] == "user_not_found"
    assert writes(sandbox) == []
    assert sandbox.contact(impostor["id"])["name"] == "Impostor"


def test_only_the_hit_that_really_matches_counts(run: Run, sandbox: IntercomSandbox) -> None:
    ada = sandbox.add_contact(email="ada@example.com", name="Ada")
    lead = sandbox.add_contact(email="ada@example.com", role="lead", name="Lead")
    near = sandbox.add_contact(email="ada@example.org", name="Near")
    _search_answers(sandbox, [sandbox.contact(c["id"]) for c in (lead, near, ada, ada)])

    output = run(value="ada@example.com", name="Ada L")

    assert output.outcome == "success", output.error
    assert output.contact_id == ada["id"]
    assert [e.path for e in api_requests(sandbox, "PUT")] == [f"/contacts/{ada['id']}"]
    assert sandbox.contact(lead["id"])["name"] == "Lead"
    assert sandbox.contact(near["id"])["name"] == "Near"


# ------------------------------------------------------------------------------ key changes


@pytest.mark.parametrize(
    ("update_by", "old", "new", "field"),
    [
        ("email", "ada@example.com", "ada.lovelace@example.com", "email"),
        ("email", "ada@example.com", "Ada@Example.org", "email"),
        ("phone", "+14155550100", "+1 (415) 555-0199", "phone"),
        ("user_id", "user-1001", "user-2002", "user_id"),
    ],
)
def test_a_retried_key_changing_update_succeeds(
    run: Run, sandbox: IntercomSandbox, update_by: str, old: str, new: str, field: str
) -> None:
    ada = sandbox.add_contact(
        email="ada@example.com", phone="+14155550100", external_id="user-1001"
    )
    inputs = {"update_by": update_by, "value": old, field: new, "name": "Ada"}

    first = run(**inputs)
    # The PUT landed; its answer was lost, so the same input runs again.
    again = run(**inputs)

    assert first.outcome == "success", first.error
    assert again.outcome == "success", again.error
    assert again.contact_id == ada["id"]
    assert again.json_output is not None
    stored = {"email": "email", "phone": "phone", "user_id": "external_id"}[field]
    assert json.loads(again.json_output)[stored] == sandbox.contact(ada["id"])[stored]
    assert len(api_requests(sandbox, "PUT")) == 2


def test_a_retry_by_user_id_asks_for_the_new_id_only_when_the_old_one_is_gone(
    run: Run, sandbox: IntercomSandbox
) -> None:
    sandbox.add_contact(email="ada@example.com", external_id="user-2002")

    output = run(update_by="user_id", value="user-1001", user_id="user-2002", name="Ada")

    assert output.outcome == "success", output.error
    lookups = [e.path for e in api_requests(sandbox, "GET")]
    assert lookups == [
        "/contacts/find_by_external_id/user-1001",
        "/contacts/find_by_external_id/user-2002",
    ]


def test_a_missing_user_is_reported_with_both_values(run: Run, sandbox: IntercomSandbox) -> None:
    output = run(update_by="user_id", value="user-1001", user_id="user-2002", name="Ada")

    assert output.error is not None
    assert output.error["code"] == "user_not_found"
    assert "'user-1001'" in output.error["message"]
    assert "'user-2002'" in output.error["message"]


@pytest.mark.parametrize(
    ("update_by", "field", "old_holder", "new_holder", "old", "new"),
    [
        (
            "email",
            "email",
            {"email": "ada@example.com"},
            {"email": "new@example.com"},
            "ada@example.com",
            "new@example.com",
        ),
        (
            "phone",
            "phone",
            {"phone": "+14155550100"},
            {"phone": "+14155550199"},
            "+14155550100",
            "+1 415 555 0199",
        ),
    ],
)
def test_old_and_new_value_on_two_users_is_a_conflict(
    run: Run,
    sandbox: IntercomSandbox,
    update_by: str,
    field: str,
    old_holder: dict[str, Any],
    new_holder: dict[str, Any],
    old: str,
    new: str,
) -> None:
    first = sandbox.add_contact(name="First", **old_holder)
    second = sandbox.add_contact(name="Second", **new_holder)

    output = run(update_by=update_by, value=old, **{field: new, "name": "Changed"})

    assert output.error is not None
    assert output.error["code"] == "conflict"
    assert output.error["field"] == field
    assert {d["contact_id"] for d in output.error["details"]} == {first["id"], second["id"]}
    assert writes(sandbox) == []
    assert [len(_queries(sandbox))] == [1]  # one search covers both values
