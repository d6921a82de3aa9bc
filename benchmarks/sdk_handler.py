"""The same job written the way a user would with the official SDK (``python-intercom`` 5.0.1).

Idiomatic code from the SDK's README and docstrings: one ``Intercom`` client per container
(``Intercom(token=..., base_url=...)``, whose ``httpx.Client`` keeps connections alive), the token
read once from Secrets Manager with boto3 and kept in a global, then one call after the other:
find the contact, ``companies.create_or_update`` + ``companies.attach_contact`` per company,
``contacts.update`` with ``custom_attributes``. Kinder to the SDK than much real code (which
reads the secret on every invocation): the comparison is with a careful user, not a strawman.

It validates nothing and converts no attribute values (the benchmark's attribute is a string).

Run as a script (``python benchmarks/sdk_handler.py EVENT_JSON``) it is the SDK's cold start:
import, one invocation, print ``RESULT {...}``.
"""

from __future__ import annotations

import json
import os
import time
from typing import Any

import boto3

# The SDK is installed in .venv-bench only (make bench); in .venv, mypy sees no such module.
from intercom import (  # type: ignore[import-not-found, unused-ignore]
    CreateOrUpdateCompanyRequest,
    Intercom,
    SingleFilterSearchRequest,
)

_secrets = boto3.client("secretsmanager")
_clients: dict[str, Any] = {}


def _client(secret_id: str) -> Any:
    if secret_id not in _clients:
        secret = json.loads(_secrets.get_secret_value(SecretId=secret_id)["SecretString"])
        _clients[secret_id] = Intercom(
            token=secret["access_token"], base_url=os.environ["INTERCOM_API_BASE_URL"]
        )
    return _clients[secret_id]


def _find_contact(client: Any, update_by: str, value: str) -> Any:
    if update_by == "user_id":
        return client.contacts.show_contact_by_external_id(value)
    if update_by == "id":
        return client.contacts.find(value)
    results = client.contacts.search(
        query=SingleFilterSearchRequest(field=update_by, operator="=", value=value)
    )
    contacts = list(results)
    if not contacts:
        raise LookupError(f"no contact with {update_by} {value}")
    return contacts[0]


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    client = _client(event["connected_account"])
    contact = _find_contact(client, event.get("update_by", "email"), event["value"])

    for n in (1, 2, 3):
        company_id = event.get(f"company_id_{n}")
        if company_id:
            company = client.companies.create_or_update(
                request=CreateOrUpdateCompanyRequest(company_id=company_id)
            )
            client.companies.attach_contact(contact_id=contact.id, company_id=company.id)

    custom_attributes = {
        event[f"custom_attribute_{n}_name"]: event[f"custom_attribute_{n}_value"]
        for n in (1, 2, 3)
        if event.get(f"custom_attribute_{n}_name")
    }
    changes: dict[str, Any] = {}
    if event.get("name"):
        changes["name"] = event["name"]
    if event.get("update_last_request_at"):
        changes["last_seen_at"] = int(time.time())
    if custom_attributes:
        changes["custom_attributes"] = custom_attributes
    updated = client.contacts.update(contact.id, **changes)
    return {
        "outcome": "success",
        "json_output": str(updated.json()),
        "contact_id": str(contact.id),
        "error": None,
    }


if __name__ == "__main__":
    import resource
    import sys

    imported_at = time.perf_counter()
    output = lambda_handler(json.loads(sys.argv[1]), None)
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    result = {"outcome": output["outcome"], "maxrss_kb": peak_kb, "imported_at": imported_at}
    print("RESULT " + json.dumps(result), flush=True)
