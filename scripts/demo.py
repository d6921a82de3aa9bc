"""Run the action once, locally, with no cloud account: ``make demo [EVENT=events/....json]``.

Starts the local Intercom sandbox and a local Secrets Manager (moto) on loopback, seeds a demo
workspace (the user Ada and a custom attribute), stores the connected account's token in a
secret, invokes the direct handler with a file from ``events/`` and prints the user before and
after, the function's output and the requests Intercom received.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from intercom_sandbox import IntercomSandbox
from scripts.local_context import LocalLambdaContext

DEMO_TOKEN = "tok_demo_not_a_real_token"  # noqa: S105 - the sandbox's own demo token
DEMO_SECRET = "intercom/demo"  # noqa: S105 - a secret's name, not its value
DEMO_CONTACT_ID = "6571a0b2c3d4e5f601234567"
ROOT = Path(__file__).resolve().parent.parent


def _show(title: str, value: Any) -> None:
    print(f"\n== {title}")
    print(json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False))


def _user_view(contact: dict[str, Any], companies: list[dict[str, Any]]) -> dict[str, Any]:
    keys = (
        "id",
        "role",
        "email",
        "external_id",
        "name",
        "phone",
        "avatar",
        "last_seen_at",
        "unsubscribed_from_emails",
        "custom_attributes",
    )
    view = {key: contact.get(key) for key in keys}
    view["companies"] = sorted(c["company_id"] for c in companies)
    return view


def seed_demo_workspace(sandbox: IntercomSandbox) -> dict[str, Any]:
    """The workspace every file in events/ is written for: the user Ada and a ``plan`` attribute."""
    sandbox.add_data_attribute("plan", data_type="string")
    return sandbox.add_contact(
        id=DEMO_CONTACT_ID,
        role="user",
        email="ada@example.com",
        external_id="user-1001",
        phone="+14155550100",
        name="Ada",
    )


@contextmanager
def local_sandbox_and_secrets(token: str, secret: str) -> Iterator[tuple[IntercomSandbox, str]]:
    """The sandbox and moto's server on free loopback ports, the token stored in ``secret``.

    Points the function's environment at both (``INTERCOM_API_BASE_URL``, ``AWS_ENDPOINT_URL``);
    yields the sandbox and moto's endpoint. Set the AWS credentials and region first.
    """
    import boto3
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's per-request access log
    with IntercomSandbox(tokens=(token,)) as sandbox:
        moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        moto.start()
        try:
            host, port = moto.get_host_and_port()
            endpoint = f"http://{host}:{port}"
            os.environ["AWS_ENDPOINT_URL"] = endpoint
            os.environ["INTERCOM_API_BASE_URL"] = sandbox.base_url
            boto3.client("secretsmanager").create_secret(
                Name=secret, SecretString=json.dumps({"access_token": token, "region": "us"})
            )
            yield sandbox, endpoint
        finally:
            moto.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--event", default="events/direct-email.json", help="event file to invoke")
    args = parser.parse_args(argv)
    event_path = (ROOT / args.event).resolve()
    event: dict[str, Any] = json.loads(event_path.read_text())

    # The environment Lambda would give the function, pointed at local services. Set before the
    # handler is imported: Powertools reads it at import time.
    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": "demo",
            "AWS_SECRET_ACCESS_KEY": "demo",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_REGION": "us-east-1",
            "POWERTOOLS_TRACE_DISABLED": "1",
            "POWERTOOLS_METRICS_DISABLED": "1",
            "POWERTOOLS_LOG_LEVEL": os.environ.get("POWERTOOLS_LOG_LEVEL", "WARNING"),
            "CONNECTED_ACCOUNT_PREFIX": "intercom/",
        }
    )
    os.environ.pop("AWS_PROFILE", None)

    with local_sandbox_and_secrets(DEMO_TOKEN, DEMO_SECRET) as (sandbox, aws_endpoint):
        ada = seed_demo_workspace(sandbox)
        print(
            f"Intercom sandbox: {sandbox.base_url}   Secrets Manager (moto): {aws_endpoint.removeprefix('http://')}"
        )
        print(f"Event: {event_path.relative_to(ROOT)}")
        _show("User before", _user_view(ada, []))

        from intercom_update.handlers import direct
        from intercom_update.models.errors import ServiceUnavailableError

        try:
            output = direct.lambda_handler(event, LocalLambdaContext(aws_request_id="demo"))
        except ServiceUnavailableError as unavailable:
            print(f"\nraised {type(unavailable).__name__}: {unavailable}")
            return 1
        shown = dict(output)
        if shown.get("json_output"):
            shown["json_output"] = f"<{len(shown['json_output'])} characters of contact JSON>"
        _show("Output", shown)
        after = sandbox.contact(ada["id"])
        _show("User after", _user_view(after, sandbox.contact_companies(ada["id"])))
        print("\n== Requests Intercom received")
        for exchange in sandbox.exchanges:
            query = "&".join(f"{k}={v}" for k, values in exchange.query.items() for v in values)
            target = f"{exchange.path}?{query}" if query else exchange.path
            print(f"  {exchange.method:4} {target} -> {exchange.status}")
        return 0 if output["outcome"] == "success" else 1


if __name__ == "__main__":
    raise SystemExit(main())
