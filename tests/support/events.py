"""Events as each trigger delivers them, wrapping an input object."""

from __future__ import annotations

from typing import Any, Final, Literal

from tests.support.intercom import SECRET_NAME

Trigger = Literal["direct", "api_gateway", "eventbridge", "sqs"]
TRIGGERS: Final[tuple[Trigger, ...]] = ("direct", "api_gateway", "eventbridge", "sqs")


def direct_event(**inputs: Any) -> dict[str, Any]:
    return {"connected_account": SECRET_NAME, "value": "ada@example.com", **inputs}


def api_event(body: str, *, base64_encoded: bool = False) -> dict[str, Any]:
    return {
        "resource": "/users/update",
        "path": "/users/update",
        "httpMethod": "POST",
        "headers": {"Content-Type": "application/json"},
        "multiValueHeaders": {"Content-Type": ["application/json"]},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": None,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": "/users/update",
            "httpMethod": "POST",
            "path": "/v1/users/update",
            "stage": "v1",
            "requestId": "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
            "identity": {"sourceIp": "127.0.0.1"},
        },
        "body": body,
        "isBase64Encoded": base64_encoded,
    }


def eventbridge_event(detail: Any) -> dict[str, Any]:
    return {
        "version": "0",
        "id": "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa",
        "detail-type": "UpdateIntercomUser",
        "source": "app.users",
        "account": "123456789012",
        "time": "2026-11-27T10:00:00Z",
        "region": "eu-west-1",
        "resources": [],
        "detail": detail,
    }


def sqs_event(*bodies: str) -> dict[str, Any]:
    return {
        "Records": [
            {
                "messageId": f"msg-{index}",
                "receiptHandle": f"handle-{index}",
                "body": body,
                "attributes": {
                    "ApproximateReceiveCount": "1",
                    "SentTimestamp": "1764237600000",
                    "SenderId": "AIDAEXAMPLE",
                    "ApproximateFirstReceiveTimestamp": "1764237600001",
                },
                "messageAttributes": {},
                "md5OfBody": "0" * 32,
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:eu-west-1:123456789012:UpdateUserQueue",
                "awsRegion": "eu-west-1",
            }
            for index, body in enumerate(bodies)
        ]
    }
