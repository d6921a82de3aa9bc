"""API Gateway entry point: ``POST /users/update`` with the input object as JSON body.

Serves both proxy payloads users put in front of it: a REST API (and HTTP API payload 1.0), and
an HTTP API payload 2.0, with the same statuses and bodies. Any other event (``{}``, the Lambda
console's sample) is answered 400 with a ``validation_error`` naming ``(event)``.
"""

from __future__ import annotations

import json
from typing import Any, Final

from aws_lambda_powertools.event_handler import (
    APIGatewayHttpResolver,
    APIGatewayRestResolver,
    Response,
)
from aws_lambda_powertools.event_handler.api_gateway import ApiGatewayResolver
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from intercom_update.handlers.lambda_context import function_arn, time_budget
from intercom_update.logic.update_user import process_update
from intercom_update.models.errors import InputValidationError, ServiceUnavailableError
from intercom_update.models.input import parse_json_body
from intercom_update.models.output import UpdateUserOutput
from intercom_update.observability import logger, metrics, trace_handler

# The one place where outcomes become HTTP statuses (docs/contract.md "Per trigger").
STATUS_BY_ERROR_CODE: Final = {
    None: 200,
    "validation_error": 400,
    "user_not_found": 404,
    "ambiguous_user": 409,
    "conflict": 409,
    "attribute_not_found": 422,
    "connected_account_error": 422,
    "unauthorized": 502,
    "intercom_error": 502,
}
RETRY_AFTER_SECONDS: Final = 30
# API Gateway's REST integration gives up after 29 s, counting a cold start's init: the update
# must answer well before, so that the caller gets the contract's 503 and not the gateway's 504.
API_GATEWAY_BUDGET_S: Final = 25.0

NOT_A_REQUEST: Final = (
    "the event is not an API Gateway request: expected a REST API proxy event or an HTTP API "
    "payload 2.0 for POST /users/update with the inputs as JSON body (to test the inputs alone, "
    "invoke UpdateUserFunction directly)"
)


def _json_response(
    status: int, body: dict[str, Any], headers: dict[str, str] | None = None
) -> Response[str]:
    return Response(
        status_code=status,
        content_type="application/json",
        body=json.dumps(body, separators=(",", ":")),
        headers=headers,
    )


def answer_update(app: ApiGatewayResolver) -> Response[str]:
    """The response to one ``POST /users/update``, whichever payload format carried it."""
    event = app.current_event
    try:
        text = event.decoded_body
    except ValueError:  # base64 that does not decode, or bytes that are not UTF-8
        text = None
    try:
        payload = parse_json_body(text, "request body")
    except InputValidationError as error:
        return _json_response(400, UpdateUserOutput.unsuccessful(error).to_dict())
    context = app.lambda_context
    try:
        output = process_update(
            payload,
            time_budget_s=time_budget(context, API_GATEWAY_BUDGET_S),
            function_arn=function_arn(context),
        )
    except ServiceUnavailableError as unavailable:
        body = UpdateUserOutput.unavailable(unavailable).to_dict()
        return _json_response(503, body, {"Retry-After": str(RETRY_AFTER_SECONDS)})
    return _json_response(STATUS_BY_ERROR_CODE.get(output.error_code, 502), output.to_dict())


def _serving_updates(app: ApiGatewayResolver) -> ApiGatewayResolver:
    @app.post("/users/update")
    def update_user_route() -> Response[str]:
        return answer_update(app)

    return app


rest_api = _serving_updates(APIGatewayRestResolver())
http_api = _serving_updates(APIGatewayHttpResolver())


def resolver_for(event: Any) -> ApiGatewayResolver | None:
    """The resolver for this event's payload format, or None if it is no proxy request."""
    if not isinstance(event, dict) or not isinstance(event.get("requestContext"), dict):
        return None
    if event.get("version") == "2.0":
        http = event["requestContext"].get("http")
        shaped = (
            isinstance(http, dict)
            and isinstance(http.get("method"), str)
            and isinstance(event.get("rawPath"), str)
            and isinstance(event["requestContext"].get("stage"), str)
        )
        return http_api if shaped else None
    if isinstance(event.get("httpMethod"), str) and isinstance(event.get("path"), str):
        return rest_api
    return None


@logger.inject_lambda_context(
    correlation_id_path=correlation_paths.API_GATEWAY_REST, clear_state=True
)
@trace_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    resolver = resolver_for(event)
    if resolver is None:
        # Answered in the REST proxy format: the console shows it, no gateway reads it.
        error = InputValidationError(NOT_A_REQUEST, field="(event)")
        return {
            "statusCode": 400,
            "headers": {"Content-Type": "application/json"},
            "body": json.dumps(UpdateUserOutput.unsuccessful(error).to_dict()),
            "isBase64Encoded": False,
        }
    return resolver.resolve(event, context)
