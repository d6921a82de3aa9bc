"""parse_secret: the secret's value becomes a ConnectedAccount, never leaking the token."""

from __future__ import annotations

import json
from typing import Any

import pytest

from intercom_update.dal.connected_account import ConnectedAccount, parse_secret
from intercom_update.models.errors import ConnectedAccountError
from intercom_update.settings import REGION_BASE_URLS, Settings

SECRET_ID = "intercom/acme"
TOKEN = "dG9rOmFiY2RlZmdoaWprbG1ub3BxcnN0dXZ3eHl6MTIzNDU2Nzg5MA=="
SETTINGS = Settings()


def parse(raw: Any, settings: Settings = SETTINGS) -> ConnectedAccount:
    return parse_secret(SECRET_ID, raw, settings)


def refused(raw: Any) -> ConnectedAccountError:
    with pytest.raises(ConnectedAccountError) as info:
        parse(raw)
    error = info.value
    assert error.code == "connected_account_error"
    assert error.field == "connected_account"
    assert SECRET_ID in error.message
    return error


def assert_not_leaked(error: ConnectedAccountError, *secrets: str) -> None:
    shown = f"{error}|{error!r}|{error.message}|{error.details}|{error.intercom_body}"
    for secret in secrets:
        assert secret not in shown


@pytest.mark.parametrize("raw", [TOKEN, f"  {TOKEN}\n", f"\n{TOKEN}\r\n"])
def test_bare_token(raw: str) -> None:
    account = parse(raw)
    assert account.token == TOKEN
    assert account.region == "us"
    assert account.base_url == "https://api.intercom.io"
    assert account.secret_id == SECRET_ID


def test_json_without_region_defaults_to_us() -> None:
    account = parse(json.dumps({"access_token": TOKEN}))
    assert (account.token, account.region, account.base_url) == (
        TOKEN,
        "us",
        "https://api.intercom.io",
    )


@pytest.mark.parametrize(
    ("region", "expected"),
    [
        ("us", "us"),
        ("US", "us"),
        ("eu", "eu"),
        ("EU", "eu"),
        (" Eu ", "eu"),
        ("au", "au"),
        ("AU", "au"),
        (None, "us"),
        ("", "us"),
    ],
)
def test_json_with_region(region: str | None, expected: str) -> None:
    raw = json.dumps({"access_token": f" {TOKEN} ", "region": region, "note": "ignored"})
    account = parse(raw)
    assert account.token == TOKEN
    assert account.region == expected
    assert account.base_url == REGION_BASE_URLS[expected]


def test_region_base_urls() -> None:
    assert REGION_BASE_URLS == {
        "us": "https://api.intercom.io",
        "eu": "https://api.eu.intercom.io",
        "au": "https://api.au.intercom.io",
    }


@pytest.mark.parametrize("region", ["ap", "uk", "eu-west-1", "europe", 5, True, ["eu"], {"r": 1}])
def test_unknown_region_is_refused(region: object) -> None:
    error = refused(json.dumps({"access_token": TOKEN, "region": region}))
    assert "unknown region" in error.message
    assert "us, eu, au" in error.message
    assert_not_leaked(error, TOKEN)


@pytest.mark.parametrize(
    "document",
    [
        {"token": TOKEN},
        {"accessToken": TOKEN},
        {"access_token": ""},
        {"access_token": "   "},
        {"access_token": None},
        {"access_token": 12345678901},
        {"access_token": [TOKEN]},
        {},
    ],
)
def test_json_without_access_token_is_refused(document: dict[str, Any]) -> None:
    raw = json.dumps(document)
    error = refused(raw)
    assert "access_token" in error.message
    assert_not_leaked(error, TOKEN, raw)


@pytest.mark.parametrize(
    "raw",
    [
        "{" + TOKEN,
        '{"access_token": "' + TOKEN + '"',
        "{'access_token': '" + TOKEN + "'}",
    ],
)
def test_json_that_does_not_parse_is_refused(raw: str) -> None:
    error = refused(raw)
    assert "does not parse" in error.message
    assert_not_leaked(error, TOKEN, raw)
    # The parser's error (which holds the document) is not kept: not even as suppressed context.
    assert error.__context__ is None
    assert error.__cause__ is None


def test_token_inside_json_is_trimmed() -> None:
    assert parse(json.dumps({"access_token": f"\t{TOKEN}\n"}) + "\n").token == TOKEN


def test_json_with_trailing_data_is_refused() -> None:
    raw = '{"access_token": "' + TOKEN + '"} trailing'
    error = refused(raw)
    assert "does not parse" in error.message
    assert_not_leaked(error, TOKEN, raw)


@pytest.mark.parametrize(
    "raw",
    [
        f"my token is {TOKEN}",
        f"{TOKEN} {TOKEN}",
        "access_token=" + TOKEN + "\nregion=eu",
        json.dumps({"access_token": f"Bearer {TOKEN}"}),
        json.dumps({"access_token": f"{TOKEN[:20]}\n{TOKEN[20:]}"}),
        json.dumps({"access_token": f"tok\u00e9n-{TOKEN}"}),
    ],
)
def test_garbage_with_spaces_or_non_ascii_is_refused(raw: str) -> None:
    error = refused(raw)
    assert "usable Intercom access token" in error.message
    assert_not_leaked(error, TOKEN, raw)


@pytest.mark.parametrize("token", ["", "   ", "short", "1234567"])
def test_too_short_token_is_refused(token: str) -> None:
    for raw in (token, json.dumps({"access_token": token})):
        error = refused(raw)
        if token.strip():
            assert_not_leaked(error, token)


def test_too_long_token_is_refused() -> None:
    token = "t" * 4097
    error = refused(token)
    assert_not_leaked(error, token)
    assert parse("t" * 4096).token == "t" * 4096


def test_shortest_token_is_accepted() -> None:
    assert parse("12345678").token == "12345678"


@pytest.mark.parametrize("raw", [TOKEN.encode(), bytearray(TOKEN.encode()), None, 12345678, []])
def test_binary_or_non_text_value_is_refused(raw: object) -> None:
    error = refused(raw)
    assert "SecretString" in error.message
    assert_not_leaked(error, TOKEN)


@pytest.mark.parametrize("override", ["http://127.0.0.1:4010", "https://proxy.example.com/x"])
@pytest.mark.parametrize(
    "raw", [TOKEN, json.dumps({"access_token": TOKEN, "region": "eu"})], ids=["bare", "eu"]
)
def test_base_url_override_wins_over_the_region(override: str, raw: str) -> None:
    account = parse(raw, Settings(intercom_base_url_override=override))
    assert account.base_url == override
    assert account.token == TOKEN


def test_repr_never_shows_the_token() -> None:
    account = parse(json.dumps({"access_token": TOKEN, "region": "eu"}))
    for shown in (repr(account), str(account), f"{account}", f"{account!r}"):
        assert TOKEN not in shown
        assert account.cache_key not in shown
        assert SECRET_ID in shown


def test_cache_key_is_stable_opaque_and_per_workspace() -> None:
    first = parse(TOKEN)
    assert first.cache_key == parse(f" {TOKEN} ").cache_key
    assert first.cache_key == parse(json.dumps({"access_token": TOKEN})).cache_key
    assert TOKEN not in first.cache_key
    assert len(first.cache_key) == 32
    other_token = parse(TOKEN[::-1])
    other_region = parse(json.dumps({"access_token": TOKEN, "region": "eu"}))
    assert len({first.cache_key, other_token.cache_key, other_region.cache_key}) == 3


def test_connected_account_is_immutable() -> None:
    account = parse(TOKEN)
    with pytest.raises(AttributeError):
        account.token = "other"  # type: ignore[misc]
