"""Static checks of the SAM application: template.yaml, the example state machine, samconfig.toml
and the sample events.

The template is read as data (short-form intrinsics turned into their long form) and, where a
parameter changes the result, resolved for that parameter value with a small evaluator of the
template's Conditions, so that each deployment variant is checked rather than the union of all.
"""

from __future__ import annotations

import hashlib
import json
import re
import tomllib
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml
from aws_lambda_powertools.utilities.parser.models import (
    APIGatewayProxyEventModel,
    EventBridgeModel,
    SqsModel,
)

from intercom_update.models.input import parse_update_request

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "template.yaml"
STATE_MACHINE = ROOT / "statemachine" / "update_user.asl.json"
EVENTS = ROOT / "events"

HANDLERS = {
    "UpdateUserFunction": "intercom_update.handlers.direct.lambda_handler",
    "ApiUpdateUserFunction": "intercom_update.handlers.api_gateway.lambda_handler",
    "EventBridgeUpdateUserFunction": "intercom_update.handlers.eventbridge.lambda_handler",
    "SqsUpdateUserFunction": "intercom_update.handlers.sqs.lambda_handler",
}
FUNCTION_TIMEOUT = 30
SECRET_ARN = (
    "arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}"
    ":secret:${ConnectedAccountPrefix}*"
)
IDEMPOTENCY_ACTIONS = {
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
}
LAMBDA_SERVICE_ERRORS = {
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
    "Lambda.TooManyRequestsException",
}
INPUT_KEYS = {
    "connected_account",
    "update_by",
    "value",
    "avatar_image",
    "email",
    "name",
    "phone",
    "session_count",
    "user_id",
    "unsubscribed_from_emails",
    "update_last_request_at",
    "create_missing_attributes",
    *(f"utm_{part}" for part in ("campaign", "content", "medium", "source", "term")),
    *(f"company_id_{n}" for n in (1, 2, 3)),
    *(f"custom_attribute_{n}_{part}" for n in (1, 2, 3) for part in ("name", "value")),
}


# ------------------------------------------------------------------------- reading the template


class CloudFormationLoader(yaml.SafeLoader):
    """SafeLoader that accepts CloudFormation's short-form tags (!Ref, !Sub, !If ...)."""


def _construct_intrinsic(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        assert isinstance(node, yaml.MappingNode)
        value = loader.construct_mapping(node, deep=True)
    if suffix in ("Ref", "Condition"):
        return {suffix: value}
    if suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {f"Fn::{suffix}": value}


CloudFormationLoader.add_multi_constructor("!", _construct_intrinsic)


def load_template() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.load(TEMPLATE.read_text(encoding="utf-8"), CloudFormationLoader)  # noqa: S506 (a SafeLoader)
    return loaded


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return load_template()


@pytest.fixture(scope="module")
def state_machine() -> dict[str, Any]:
    definition: dict[str, Any] = json.loads(STATE_MACHINE.read_text(encoding="utf-8"))
    return definition


def resources_of_type(template: Mapping[str, Any], type_: str) -> dict[str, dict[str, Any]]:
    return {name: res for name, res in template["Resources"].items() if res["Type"] == type_}


def function_property(template: Mapping[str, Any], function: str, name: str) -> Any:
    """A function property as deployed: its own value, else the one from Globals."""
    properties = template["Resources"][function]["Properties"]
    if name in properties:
        return properties[name]
    return template["Globals"]["Function"][name]


def ref(name: str) -> dict[str, str]:
    return {"Ref": name}


def get_att(resource: str, attribute: str) -> dict[str, list[str]]:
    return {"Fn::GetAtt": [resource, attribute]}


# ------------------------------------------------------------ resolving one deployment variant

_NO_VALUE = object()


def evaluate_conditions(
    template: Mapping[str, Any], parameters: Mapping[str, str] | None = None
) -> dict[str, bool]:
    """Truth of every template Condition for the defaults overridden by `parameters`."""
    values = {name: str(p.get("Default", "")) for name, p in template["Parameters"].items()}
    values.update(parameters or {})
    expressions: Mapping[str, Any] = template["Conditions"]

    def scalar(expr: Any) -> str:
        if isinstance(expr, dict) and set(expr) == {"Ref"}:
            return values[expr["Ref"]]
        assert isinstance(expr, str), expr
        return expr

    def truth(expr: Any) -> bool:
        (function, args), *_ = expr.items()
        match function:
            case "Fn::Equals":
                return scalar(args[0]) == scalar(args[1])
            case "Fn::Not":
                return not truth(args[0])
            case "Fn::And":
                return all(truth(a) for a in args)
            case "Fn::Or":
                return any(truth(a) for a in args)
            case "Condition":
                return truth(expressions[args])
        raise AssertionError(f"unsupported condition function {function}")

    return {name: truth(expr) for name, expr in expressions.items()}


def resolve(node: Any, conditions: Mapping[str, bool]) -> Any:
    """`node` with every Fn::If decided and every AWS::NoValue removed."""
    if isinstance(node, dict):
        if set(node) == {"Fn::If"}:
            name, when_true, when_false = node["Fn::If"]
            return resolve(when_true if conditions[name] else when_false, conditions)
        if node == ref("AWS::NoValue"):
            return _NO_VALUE
        resolved = {key: resolve(value, conditions) for key, value in node.items()}
        return {key: value for key, value in resolved.items() if value is not _NO_VALUE}
    if isinstance(node, list):
        items = [resolve(item, conditions) for item in node]
        return [item for item in items if item is not _NO_VALUE]
    return node


def variant(template: Mapping[str, Any], **parameters: str) -> dict[str, Any]:
    """The template as CloudFormation would create it for these parameter values."""
    conditions = evaluate_conditions(template, parameters)
    resources = {
        name: resolve(res, conditions)
        for name, res in template["Resources"].items()
        if conditions.get(res.get("Condition", ""), True)
    }
    resolved: dict[str, Any] = {
        **template,
        "Globals": resolve(template["Globals"], conditions),
        "Resources": resources,
    }
    return resolved


def iam_statements(template: Mapping[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every IAM statement written in the template (SAM adds its own on top), by resource."""
    for name, res in template["Resources"].items():
        properties = res.get("Properties", {})
        documents = []
        if res["Type"] in ("AWS::IAM::ManagedPolicy", "AWS::IAM::Policy"):
            documents.append(properties["PolicyDocument"])
        if res["Type"] == "AWS::IAM::Role":
            documents.extend(p["PolicyDocument"] for p in properties.get("Policies", []))
        if res["Type"] in ("AWS::Serverless::Function", "AWS::Serverless::StateMachine"):
            documents.extend(p for p in properties.get("Policies", []) if "Statement" in p)
        for document in documents:
            for statement in document["Statement"]:
                yield name, statement


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


ALL_VARIANTS = [
    {
        "EnableIdempotency": "true",
        "DeployExampleStateMachine": "true",
        "ApiAuth": "AWS_IAM",
    },
    {"EnableIdempotency": "false", "DeployExampleStateMachine": "false", "ApiAuth": "API_KEY"},
    {"EnableIdempotency": "true", "ApiAuth": "COGNITO", "EnableApiAccessLogs": "true"},
]


# ------------------------------------------------------------------------------------ functions


def test_the_template_is_a_sam_template(template: dict[str, Any]) -> None:
    assert template["Transform"] == "AWS::Serverless-2016-10-31"
    functions = set(resources_of_type(template, "AWS::Serverless::Function"))
    # The backfill function is optional and checked in test_backfill_template.py.
    assert functions == {*HANDLERS, "BackfillFunction"}


@pytest.mark.parametrize(("function", "handler"), HANDLERS.items())
def test_every_function_runs_its_handler_from_the_shared_code_and_layer(
    template: dict[str, Any], function: str, handler: str
) -> None:
    assert function_property(template, function, "Handler") == handler
    assert function_property(template, function, "CodeUri") == "handler/"
    assert function_property(template, function, "Runtime") == "python3.13"
    assert function_property(template, function, "Architectures") == ["arm64"]
    assert function_property(template, function, "Layers") == [ref("DependenciesLayer")]
    assert function_property(template, function, "Tracing") == "Active"
    assert function_property(template, function, "Timeout") == FUNCTION_TIMEOUT
    assert function_property(template, function, "MemorySize") == ref("FunctionMemorySize")
    assert template["Parameters"]["FunctionMemorySize"]["Default"] == 256
    assert "Role" not in template["Resources"][function]["Properties"]


@pytest.mark.parametrize("function", HANDLERS)
def test_every_function_logs_to_its_own_group_with_retention(
    template: dict[str, Any], function: str
) -> None:
    logging = {
        **template["Globals"]["Function"]["LoggingConfig"],
        **template["Resources"][function]["Properties"]["LoggingConfig"],
    }
    group = logging["LogGroup"]["Ref"]
    assert template["Resources"][group]["Type"] == "AWS::Logs::LogGroup"
    assert template["Resources"][group]["Properties"]["RetentionInDays"] == ref("LogRetentionDays")
    groups = [template["Resources"][f]["Properties"]["LoggingConfig"]["LogGroup"] for f in HANDLERS]
    assert groups.count(logging["LogGroup"]) == 1


def test_every_log_group_has_the_retention_parameter(template: dict[str, Any]) -> None:
    assert template["Parameters"]["LogRetentionDays"]["Default"] == 30
    for group in resources_of_type(template, "AWS::Logs::LogGroup").values():
        assert group["Properties"]["RetentionInDays"] == ref("LogRetentionDays")


def test_the_layer_is_built_by_sam_for_python313_arm64(template: dict[str, Any]) -> None:
    layer = template["Resources"]["DependenciesLayer"]
    assert layer["Type"] == "AWS::Serverless::LayerVersion"
    assert layer["Properties"]["ContentUri"] == "layers/"
    assert layer["Properties"]["CompatibleRuntimes"] == ["python3.13"]
    assert layer["Properties"]["CompatibleArchitectures"] == ["arm64"]
    assert layer["Metadata"] == {"BuildMethod": "python3.13", "BuildArchitecture": "arm64"}
    assert (ROOT / "layers" / "requirements.txt").is_file()


@pytest.mark.parametrize("enable_idempotency", ["true", "false"])
def test_environment_has_every_setting_the_code_reads(
    template: dict[str, Any], enable_idempotency: str
) -> None:
    resolved = variant(template, EnableIdempotency=enable_idempotency)
    env = resolved["Globals"]["Function"]["Environment"]["Variables"]
    assert env == {
        "CONNECTED_ACCOUNT_PREFIX": ref("ConnectedAccountPrefix"),
        "INTERCOM_API_VERSION": ref("IntercomApiVersion"),
        "LEGACY_ATTRIBUTE_NAMES": ref("LegacyAttributeNames"),
        "POWERTOOLS_SERVICE_NAME": "intercom-update-user",
        "POWERTOOLS_METRICS_NAMESPACE": env["POWERTOOLS_METRICS_NAMESPACE"],
        "POWERTOOLS_LOG_LEVEL": ref("LogLevel"),
        "SECRET_CACHE_SECONDS": "300",
        "IDEMPOTENCY_TABLE_NAME": (ref("IdempotencyTable") if enable_idempotency == "true" else ""),
        "IDEMPOTENCY_TTL_SECONDS": "3600",
        # Declared so that local runs can set it (sam local drops undeclared variables); empty
        # means each account's region decides.
        "INTERCOM_API_BASE_URL": "",
    }
    assert env["POWERTOOLS_METRICS_NAMESPACE"]
    assert ("IdempotencyTable" in resolved["Resources"]) == (enable_idempotency == "true")


def test_lambda_log_level_follows_the_log_level_parameter(template: dict[str, Any]) -> None:
    levels = template["Parameters"]["LogLevel"]["AllowedValues"]
    assert levels == ["DEBUG", "INFO", "WARNING", "ERROR"]
    assert template["Parameters"]["LogLevel"]["Default"] == "INFO"
    logging = template["Globals"]["Function"]["LoggingConfig"]
    assert logging["ApplicationLogLevel"] == {
        "Fn::FindInMap": ["LambdaLogLevel", ref("LogLevel"), "Level"]
    }
    lambda_levels = {"TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"}
    assert set(template["Mappings"]["LambdaLogLevel"]) == set(levels)
    assert {m["Level"] for m in template["Mappings"]["LambdaLogLevel"].values()} <= lambda_levels


# ------------------------------------------------------------------------------ least privilege


@pytest.mark.parametrize("parameters", ALL_VARIANTS)
def test_iam_grants_only_the_secret_prefix_and_the_idempotency_table(
    template: dict[str, Any], parameters: dict[str, str]
) -> None:
    resolved = variant(template, **parameters)
    statements = [s for _, s in iam_statements(resolved)]
    assert statements
    for statement in statements:
        assert statement["Effect"] == "Allow"
        actions = as_list(statement["Action"])
        resources = as_list(statement["Resource"])
        assert all("*" not in action for action in actions), statement
        assert "*" not in resources, statement
        if actions == ["secretsmanager:GetSecretValue"]:
            assert resources == [{"Fn::Sub": SECRET_ARN}]
        else:
            assert set(actions) == IDEMPOTENCY_ACTIONS, statement
            assert resources == [get_att("IdempotencyTable", "Arn")]
    granted = {a for s in statements for a in as_list(s["Action"])}
    expected = {"secretsmanager:GetSecretValue"}
    if parameters["EnableIdempotency"] == "true":
        expected |= IDEMPOTENCY_ACTIONS
    assert granted == expected


@pytest.mark.parametrize("function", HANDLERS)
@pytest.mark.parametrize("enable_idempotency", ["true", "false"])
def test_each_function_gets_only_the_policies_its_code_needs(
    template: dict[str, Any], function: str, enable_idempotency: str
) -> None:
    resolved = variant(template, EnableIdempotency=enable_idempotency)
    policies = resolved["Resources"][function]["Properties"]["Policies"]
    # Only the at-least-once triggers use the idempotency table (handlers/idempotency.py).
    uses_table = function in {"EventBridgeUpdateUserFunction", "SqsUpdateUserFunction"}
    expected = [ref("UpdateUserRuntimePolicy")]
    if uses_table and enable_idempotency == "true":
        expected.append(ref("IdempotencyTablePolicy"))
    assert policies == expected
    for policy in policies:
        assert resolved["Resources"][policy["Ref"]]["Type"] == "AWS::IAM::ManagedPolicy"


def test_the_connected_account_prefix_is_a_folder(template: dict[str, Any]) -> None:
    parameter = template["Parameters"]["ConnectedAccountPrefix"]
    assert parameter["Default"] == "intercom/"
    pattern = re.compile(parameter["AllowedPattern"])
    for good in ("intercom/", "prod/intercom/", "team_a.intercom/"):
        assert pattern.fullmatch(good), good
    for bad in ("", "intercom", "*", "intercom/*", "/", "a//", "intercom/ x/"):
        assert not pattern.fullmatch(bad), bad


def test_the_only_hand_written_iam_is_the_two_managed_policies(
    template: dict[str, Any],
) -> None:
    kinds = {res["Type"] for res in template["Resources"].values()}
    assert "AWS::IAM::Role" not in kinds
    assert "AWS::IAM::Policy" not in kinds
    assert set(resources_of_type(template, "AWS::IAM::ManagedPolicy")) == {
        "UpdateUserRuntimePolicy",
        "IdempotencyTablePolicy",
    }


# ------------------------------------------------------------------------------------ triggers


def test_api_is_post_users_update_on_a_traced_rest_api(template: dict[str, Any]) -> None:
    api = template["Resources"]["UpdateUserApi"]
    assert api["Type"] == "AWS::Serverless::Api"
    assert api["Properties"]["StageName"] == ref("ApiStageName")
    assert template["Parameters"]["ApiStageName"]["Default"] == "v1"
    assert api["Properties"]["TracingEnabled"] is True
    events = template["Resources"]["ApiUpdateUserFunction"]["Properties"]["Events"]
    assert list(events.values()) == [
        {
            "Type": "Api",
            "Properties": {
                "RestApiId": ref("UpdateUserApi"),
                "Path": "/users/update",
                "Method": "post",
            },
        }
    ]


@pytest.mark.parametrize(
    ("auth", "scheme"),
    [
        ("AWS_IAM", {"x-amazon-apigateway-authtype": "awsSigv4", "name": "Authorization"}),
        ("API_KEY", {"name": "x-api-key"}),
        (
            "COGNITO",
            {
                "x-amazon-apigateway-authtype": "cognito_user_pools",
                "x-amazon-apigateway-authorizer": {
                    "type": "cognito_user_pools",
                    "providerARNs": [ref("CognitoUserPoolArn")],
                },
            },
        ),
    ],
)
def test_api_auth_parameter_selects_the_security_scheme(
    template: dict[str, Any], auth: str, scheme: dict[str, Any]
) -> None:
    parameter = template["Parameters"]["ApiAuth"]
    assert parameter["Default"] == "AWS_IAM"
    assert parameter["AllowedValues"] == ["AWS_IAM", "API_KEY", "COGNITO"]
    resolved = variant(template, ApiAuth=auth)
    body = resolved["Resources"]["UpdateUserApi"]["Properties"]["DefinitionBody"]
    schemes = body["components"]["securitySchemes"]
    assert len(schemes) == 1
    (name, definition), *_ = schemes.items()
    assert definition.items() >= {"type": "apiKey", "in": "header", **scheme}.items()
    assert body["paths"]["/users/update"]["post"]["security"] == [{name: []}]
    has_key = {"ApiKey", "ApiUsagePlan", "ApiUsagePlanKey"} <= set(resolved["Resources"])
    assert has_key == (auth == "API_KEY")


def test_cognito_needs_a_user_pool(template: dict[str, Any]) -> None:
    rule = template["Rules"]["CognitoNeedsUserPool"]
    assert rule["RuleCondition"] == {"Fn::Equals": [ref("ApiAuth"), "COGNITO"]}
    assert rule["Assertions"][0]["Assert"] == {
        "Fn::Not": [{"Fn::Equals": [ref("CognitoUserPoolArn"), ""]}]
    }


def test_eventbridge_rule_retries_delivery_then_dead_letters(template: dict[str, Any]) -> None:
    rules = resources_of_type(template, "AWS::Events::Rule")
    assert len(rules) == 1
    (rule_name, rule), *_ = rules.items()
    assert rule["Properties"]["EventPattern"] == ref("EventPattern")
    assert rule["Properties"]["EventBusName"] == ref("EventBusName")
    (target,) = rule["Properties"]["Targets"]
    assert target["Arn"] == get_att("EventBridgeUpdateUserFunction", "Arn")
    assert set(target["RetryPolicy"]) == {"MaximumRetryAttempts", "MaximumEventAgeInSeconds"}
    dlq = target["DeadLetterConfig"]["Arn"]["Fn::GetAtt"][0]
    assert template["Resources"][dlq]["Type"] == "AWS::SQS::Queue"

    (policy,) = [
        p
        for p in resources_of_type(template, "AWS::SQS::QueuePolicy").values()
        if p["Properties"]["Queues"] == [ref(dlq)]
    ]
    (statement,) = policy["Properties"]["PolicyDocument"]["Statement"]
    assert statement["Principal"] == {"Service": "events.amazonaws.com"}
    assert statement["Action"] == "sqs:SendMessage"
    assert statement["Resource"] == get_att(dlq, "Arn")
    assert statement["Condition"] == {"ArnEquals": {"aws:SourceArn": get_att(rule_name, "Arn")}}

    (permission,) = resources_of_type(template, "AWS::Lambda::Permission").values()
    assert permission["Properties"] == {
        "Action": "lambda:InvokeFunction",
        "FunctionName": ref("EventBridgeUpdateUserFunction"),
        "Principal": "events.amazonaws.com",
        "SourceArn": get_att(rule_name, "Arn"),
    }


def test_default_event_pattern_matches_the_sample_event(template: dict[str, Any]) -> None:
    pattern = json.loads(template["Parameters"]["EventPattern"]["Default"])
    assert pattern == {"source": ["app.users"], "detail-type": ["UpdateIntercomUser"]}
    event = json.loads((EVENTS / "eventbridge.json").read_text(encoding="utf-8"))
    assert event["source"] in pattern["source"]
    assert event["detail-type"] in pattern["detail-type"]


def test_eventbridge_function_failures_go_to_an_sqs_destination(template: dict[str, Any]) -> None:
    config = template["Resources"]["EventBridgeUpdateUserFunction"]["Properties"][
        "EventInvokeConfig"
    ]
    assert config["MaximumRetryAttempts"] == 2
    on_failure = config["DestinationConfig"]["OnFailure"]
    assert on_failure["Type"] == "SQS"
    queue = on_failure["Destination"]["Fn::GetAtt"][0]
    assert template["Resources"][queue]["Type"] == "AWS::SQS::Queue"


def test_sqs_function_reports_partial_batch_failures_with_bounded_concurrency(
    template: dict[str, Any],
) -> None:
    events = template["Resources"]["SqsUpdateUserFunction"]["Properties"]["Events"]
    (event,) = events.values()
    assert event["Type"] == "SQS"
    properties = event["Properties"]
    assert properties["Queue"] == get_att("UpdateUserQueue", "Arn")
    assert properties["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert properties["BatchSize"] == ref("SqsBatchSize")
    assert properties["ScalingConfig"] == {"MaximumConcurrency": ref("SqsMaxConcurrency")}
    parameters = template["Parameters"]
    assert parameters["SqsBatchSize"]["Default"] == 10
    assert parameters["SqsMaxConcurrency"]["Default"] == 5
    assert parameters["SqsMaxConcurrency"]["MinValue"] == 2


def test_update_queue_redrives_to_its_dlq(template: dict[str, Any]) -> None:
    queue = template["Resources"]["UpdateUserQueue"]["Properties"]
    assert queue["VisibilityTimeout"] >= 6 * FUNCTION_TIMEOUT
    assert queue["RedrivePolicy"] == {
        "deadLetterTargetArn": get_att("UpdateUserDLQ", "Arn"),
        "maxReceiveCount": ref("MaxReceiveCount"),
    }
    assert template["Parameters"]["MaxReceiveCount"]["Default"] == 5
    dlq = template["Resources"]["UpdateUserDLQ"]["Properties"]
    assert dlq["MessageRetentionPeriod"] > queue["MessageRetentionPeriod"]


def test_every_queue_is_encrypted(template: dict[str, Any]) -> None:
    queues = resources_of_type(template, "AWS::SQS::Queue")
    assert len(queues) == 4
    for queue in queues.values():
        assert queue["Properties"]["SqsManagedSseEnabled"] is True


def test_idempotency_table(template: dict[str, Any]) -> None:
    assert template["Parameters"]["EnableIdempotency"]["Default"] == "true"
    table = template["Resources"]["IdempotencyTable"]
    assert table["Condition"] == "IdempotencyEnabled"
    properties = table["Properties"]
    assert properties["KeySchema"] == [{"AttributeName": "id", "KeyType": "HASH"}]
    assert properties["AttributeDefinitions"] == [{"AttributeName": "id", "AttributeType": "S"}]
    assert properties["TimeToLiveSpecification"] == {"AttributeName": "expiration", "Enabled": True}
    assert properties["BillingMode"] == "PAY_PER_REQUEST"
    assert properties["SSESpecification"] == {"SSEEnabled": True}
    assert properties["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}


# ------------------------------------------------------------------------------- state machine


def test_state_machine_is_optional_and_may_only_invoke_the_direct_function(
    template: dict[str, Any], state_machine: dict[str, Any]
) -> None:
    assert template["Parameters"]["DeployExampleStateMachine"]["Default"] == "false"
    resource = template["Resources"]["UpdateUserStateMachine"]
    assert resource["Condition"] == "StateMachineEnabled"
    properties = resource["Properties"]
    assert ROOT / properties["DefinitionUri"] == STATE_MACHINE
    assert properties["Policies"] == [
        {"LambdaInvokePolicy": {"FunctionName": ref("UpdateUserFunction")}}
    ]
    placeholders = set(re.findall(r"\$\{(\w+)\}", STATE_MACHINE.read_text(encoding="utf-8")))
    assert placeholders == set(properties["DefinitionSubstitutions"])
    assert properties["DefinitionSubstitutions"]["UpdateUserFunctionArn"] == get_att(
        "UpdateUserFunction", "Arn"
    )


def test_state_machine_invokes_the_function_with_the_execution_input(
    state_machine: dict[str, Any],
) -> None:
    task = state_machine["States"][state_machine["StartAt"]]
    assert task["Type"] == "Task"
    assert task["Resource"] == "arn:aws:states:::lambda:invoke"
    assert task["Parameters"] == {"FunctionName": "${UpdateUserFunctionArn}", "Payload.$": "$"}
    assert task["OutputPath"] == "$.Payload"


RETRYABLE_ERRORS = ("IntercomUnavailableError", "ConnectedAccountUnavailableError")


def test_state_machine_retries_and_catches_intercom_unavailable(
    state_machine: dict[str, Any],
) -> None:
    task = state_machine["States"][state_machine["StartAt"]]
    retries = {tuple(r["ErrorEquals"]): r for r in task["Retry"]}
    unavailable = retries[RETRYABLE_ERRORS]
    assert unavailable["IntervalSeconds"] == 2
    assert unavailable["BackoffRate"] == 2
    assert unavailable["MaxAttempts"] == 4
    assert unavailable["JitterStrategy"] == "FULL"
    assert any(set(errors) == LAMBDA_SERVICE_ERRORS for errors in retries)
    (catch,) = task["Catch"]
    assert catch["ErrorEquals"] == list(RETRYABLE_ERRORS)
    assert state_machine["States"][catch["Next"]]["Type"] == "Fail"


def test_state_machine_branches_on_the_outcome(state_machine: dict[str, Any]) -> None:
    states = state_machine["States"]
    choice = states[states[state_machine["StartAt"]]["Next"]]
    assert choice["Type"] == "Choice"
    (rule,) = choice["Choices"]
    assert rule["Variable"] == "$.outcome"
    assert rule["StringEquals"] == "success"
    assert states[rule["Next"]]["Type"] == "Succeed"
    unsuccessful = states[choice["Default"]]
    assert unsuccessful["Type"] == "Fail"
    assert unsuccessful["ErrorPath"] == "$.error.code"


RETRIER_FIELDS = {
    "ErrorEquals",
    "IntervalSeconds",
    "MaxAttempts",
    "BackoffRate",
    "MaxDelaySeconds",
    "JitterStrategy",
    "Comment",
}


def test_state_machine_transitions_are_sound(state_machine: dict[str, Any]) -> None:
    """What cfn-lint's ASL schema does not check: targets exist, all states reachable."""
    states: dict[str, dict[str, Any]] = state_machine["States"]
    edges: dict[str, set[str]] = {}
    for name, state in states.items():
        targets = {state[key] for key in ("Next", "Default") if key in state}
        targets |= {c["Next"] for c in state.get("Choices", []) + state.get("Catch", [])}
        assert targets <= set(states), (name, targets - set(states))
        terminal = state["Type"] in ("Succeed", "Fail") or state.get("End") is True
        assert terminal != bool(state.get("Next")) or state["Type"] == "Choice", name
        edges[name] = targets
        for retrier in state.get("Retry", []):
            assert set(retrier) <= RETRIER_FIELDS, retrier
            assert retrier.get("JitterStrategy", "NONE") in ("FULL", "NONE")
    reachable, frontier = set(), [state_machine["StartAt"]]
    while frontier:
        name = frontier.pop()
        if name not in reachable:
            reachable.add(name)
            frontier.extend(edges[name])
    assert reachable == set(states)


def test_retried_error_is_the_name_lambda_reports_for_the_exception() -> None:
    sources = list((ROOT / "handler" / "intercom_update").rglob("*.py"))
    text = "".join(p.read_text("utf-8") for p in sources)
    for name in RETRYABLE_ERRORS:
        assert f"class {name}(" in text, f"Lambda reports errorType {name} as the class name"


# -------------------------------------------------------------------------- alarms and outputs

PERIOD = 300  # seconds: every alarm looks at 5-minute datapoints
ONE_OR_MORE = {"Threshold": 1, "ComparisonOperator": "GreaterThanOrEqualToThreshold"}
ANY_MESSAGE = {"Threshold": 0, "ComparisonOperator": "GreaterThanThreshold"}


def _alarms(template: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [a["Properties"] for a in resources_of_type(template, "AWS::CloudWatch::Alarm").values()]


def _watched(alarm: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The metrics a metric math alarm reads: the Metric and Stat of each MetricStat query."""
    return [
        {**query["MetricStat"]["Metric"], "Stat": query["MetricStat"]["Stat"]}
        for query in alarm.get("Metrics", [])
        if "MetricStat" in query
    ]


def _alarms_watching(template: Mapping[str, Any], metric: Mapping[str, Any]) -> list[Any]:
    return [a for a in _alarms(template) if any(metric.items() <= w.items() for w in _watched(a))]


def _watched_expression(alarm: Mapping[str, Any]) -> str:
    (returned,) = [q for q in alarm["Metrics"] if q["ReturnData"]]
    expression: str = returned["Expression"]
    return expression


@pytest.mark.parametrize("parameters", [*ALL_VARIANTS, {"EnableBackfill": "true"}])
def test_metric_math_alarms_follow_cloudwatch_rules(
    template: dict[str, Any], parameters: dict[str, str]
) -> None:
    """What cfn-lint does not check and CloudWatch refuses at deploy time."""
    for alarm in _alarms(variant(template, **parameters)):
        if "Metrics" not in alarm:
            continue
        queries = alarm["Metrics"]
        ids = [q["Id"] for q in queries]
        assert len(set(ids)) == len(ids), ids
        assert all(re.fullmatch(r"[a-z][A-Za-z0-9_]*", i) for i in ids), ids
        assert [q["ReturnData"] for q in queries].count(True) == 1
        assert all(("Expression" in q) != ("MetricStat" in q) for q in queries)
        assert 1 <= len(_watched(alarm)) <= 10
        assert all(q["MetricStat"]["Period"] == PERIOD for q in queries if "MetricStat" in q)
        assert not {"Namespace", "MetricName", "Dimensions", "Statistic", "Period"} & set(alarm)
        # METRICS() takes in every query, so none can be added and left out of the alarm.
        assert re.fullmatch(r"(SUM|MAX)\(METRICS\(\)\)", _watched_expression(alarm))


@pytest.mark.parametrize("function", [*HANDLERS, "BackfillFunction"])
@pytest.mark.parametrize("metric", ["Errors", "Throttles"])
def test_every_function_has_error_and_throttle_alarms(
    template: dict[str, Any], function: str, metric: str
) -> None:
    # The backfill function exists only with EnableBackfill; then its query joins the alarm.
    deployed = variant(template, EnableBackfill="true")
    watched = {
        "Namespace": "AWS/Lambda",
        "MetricName": metric,
        "Dimensions": [{"Name": "FunctionName", "Value": ref(function)}],
        "Stat": "Sum",
    }
    (alarm,) = _alarms_watching(deployed, watched)
    assert _watched_expression(alarm) == "SUM(METRICS())"  # any one function's errors count
    assert ONE_OR_MORE.items() <= alarm.items()
    assert {w["MetricName"] for w in _watched(alarm)} == {metric}
    assert function in alarm["AlarmDescription"]


def test_every_dead_letter_queue_has_an_alarm(template: dict[str, Any]) -> None:
    resources = template["Resources"]
    dlq_arns = [
        resources["UpdateUserQueue"]["Properties"]["RedrivePolicy"]["deadLetterTargetArn"],
        resources["UpdateUserRule"]["Properties"]["Targets"][0]["DeadLetterConfig"]["Arn"],
        resources["EventBridgeUpdateUserFunction"]["Properties"]["EventInvokeConfig"][
            "DestinationConfig"
        ]["OnFailure"]["Destination"],
    ]
    dlqs = {arn["Fn::GetAtt"][0] for arn in dlq_arns}
    assert len(dlqs) == 3
    (alarm,) = _alarms_watching(template, {"MetricName": "ApproximateNumberOfMessagesVisible"})
    assert _watched_expression(alarm) == "MAX(METRICS())"  # a message in any one DLQ counts
    assert ANY_MESSAGE.items() <= alarm.items()
    watched = _watched(alarm)
    assert {(w["Namespace"], w["Stat"]) for w in watched} == {("AWS/SQS", "Maximum")}
    by_queue = {w["Dimensions"][0]["Value"]["Fn::GetAtt"][0]: w["Dimensions"] for w in watched}
    assert by_queue == {q: [{"Name": "QueueName", "Value": get_att(q, "QueueName")}] for q in dlqs}
    assert len(watched) == len(dlqs)
    assert all(dlq in alarm["AlarmDescription"] for dlq in dlqs)


def test_api_5xx_alarm_watches_this_api_stage(template: dict[str, Any]) -> None:
    (alarm,) = [a for a in _alarms(template) if a.get("MetricName") == "5XXError"]
    assert alarm["Namespace"] == "AWS/ApiGateway"
    assert alarm["Dimensions"] == [
        {"Name": "ApiName", "Value": template["Resources"]["UpdateUserApi"]["Properties"]["Name"]},
        {"Name": "Stage", "Value": ref("ApiStageName")},
    ]
    assert (alarm["Statistic"], alarm["Period"]) == ("Sum", PERIOD)
    assert ONE_OR_MORE.items() <= alarm.items()


@pytest.mark.parametrize("topic", ["", "arn:aws:sns:eu-west-1:123456789012:ops"])
def test_alarms_notify_the_topic_only_when_given(template: dict[str, Any], topic: str) -> None:
    resolved = variant(template, AlarmTopicArn=topic)
    alarms = _alarms(resolved)
    assert len(alarms) == 4  # one per kind of failure: errors, throttles, DLQ messages, API 5XX
    for alarm in alarms:
        assert alarm.get("AlarmActions") == ([ref("AlarmTopicArn")] if topic else None)
        assert alarm["TreatMissingData"] == "notBreaching"  # no traffic is no failure
        assert alarm["EvaluationPeriods"] == 1


def test_outputs(template: dict[str, Any]) -> None:
    outputs = template["Outputs"]
    for function in HANDLERS:
        assert outputs[f"{function}Arn"]["Value"] == get_att(function, "Arn")
    assert outputs["UpdateUserApiUrl"]["Value"] == {
        "Fn::Sub": "https://${UpdateUserApi}.execute-api.${AWS::Region}.${AWS::URLSuffix}"
        "/${ApiStageName}/users/update"
    }
    assert outputs["UpdateUserQueueUrl"]["Value"] == ref("UpdateUserQueue")
    assert outputs["UpdateUserQueueArn"]["Value"] == get_att("UpdateUserQueue", "Arn")
    for dlq in ("UpdateUserDLQ", "EventBridgeDeliveryDLQ", "EventBridgeFailedInvocationDLQ"):
        assert outputs[f"{dlq}Url"]["Value"] == ref(dlq)
    assert outputs["UpdateUserStateMachineArn"]["Condition"] == "StateMachineEnabled"
    assert outputs["IdempotencyTableName"]["Condition"] == "IdempotencyEnabled"
    assert outputs["DependenciesLayerArn"]["Value"] == ref("DependenciesLayer")


def test_every_documented_parameter_exists(template: dict[str, Any]) -> None:
    assert {
        "ConnectedAccountPrefix": "intercom/",
        "IntercomApiVersion": "2.14",
        "LogLevel": "INFO",
        "LogRetentionDays": 30,
        "SqsMaxConcurrency": 5,
        "SqsBatchSize": 10,
        "MaxReceiveCount": 5,
        "ApiAuth": "AWS_IAM",
        "CognitoUserPoolArn": "",
        "EnableIdempotency": "true",
        "DeployExampleStateMachine": "false",
        "AlarmTopicArn": "",
    }.items() <= {name: p.get("Default") for name, p in template["Parameters"].items()}.items()
    assert "EventPattern" in template["Parameters"]


# ----------------------------------------------------------------------------- samconfig.toml


def test_samconfig_builds_in_parallel_and_deploys_with_a_changeset_review() -> None:
    config = tomllib.loads((ROOT / "samconfig.toml").read_text(encoding="utf-8"))
    assert config["version"] == 0.1
    default = config["default"]
    assert default["build"]["parameters"] == {"cached": True, "parallel": True}
    assert default["validate"]["parameters"]["lint"] is True
    deploy = default["deploy"]["parameters"]
    assert deploy["capabilities"] == "CAPABILITY_IAM"
    assert deploy["confirm_changeset"] is True
    assert deploy["resolve_s3"] is True
    assert not {"stack_name", "region", "s3_bucket"} & set(deploy)


# ------------------------------------------------------------------------------- sample events


def _event(name: str) -> Any:
    return json.loads((EVENTS / name).read_text(encoding="utf-8"))


def _assert_is_an_input(payload: Any) -> None:
    assert isinstance(payload, dict)
    assert set(payload) <= INPUT_KEYS, set(payload) - INPUT_KEYS
    assert payload["connected_account"] == "intercom/demo"
    parse_update_request(payload, connected_account_prefix="intercom/")  # raises if invalid


@pytest.mark.parametrize(
    ("name", "update_by", "value"),
    [
        ("direct-email.json", "email", "ada@example.com"),
        ("direct-user-id.json", "user_id", "user-1001"),
        ("direct-id.json", "id", "6571a0b2c3d4e5f601234567"),
        ("direct-phone.json", "phone", "+14155550100"),
    ],
)
def test_direct_events_are_inputs(name: str, update_by: str, value: str) -> None:
    event = _event(name)
    _assert_is_an_input(event)
    assert (event["update_by"], event["value"]) == (update_by, value)


def test_api_gateway_event_is_a_rest_proxy_post_with_an_input_body() -> None:
    raw = _event("api-gateway.json")
    event = APIGatewayProxyEventModel.model_validate(raw)
    assert event.httpMethod == "POST"
    assert event.resource == event.path == "/users/update"
    assert event.requestContext.identity.sourceIp
    assert not event.isBase64Encoded
    _assert_is_an_input(json.loads(raw["body"]))


def test_eventbridge_event_carries_an_input_in_detail() -> None:
    event = EventBridgeModel.model_validate(_event("eventbridge.json"))
    _assert_is_an_input(event.detail)


def test_sqs_event_has_two_records_of_inputs() -> None:
    raw = _event("sqs.json")
    event = SqsModel.model_validate(raw)
    assert len({record.messageId for record in event.Records}) == 2
    for record in raw["Records"]:
        _assert_is_an_input(json.loads(record["body"]))
        md5 = hashlib.md5(record["body"].encode(), usedforsecurity=False).hexdigest()
        assert record["md5OfBody"] == md5


def test_one_event_is_minimal() -> None:
    assert set(_event("direct-id.json")) == {"connected_account", "update_by", "value", "name"}


# ------------------------------------------------------------- adoption: throttling, dashboard, SAR

INTERCOM_REQUESTS_PER_MINUTE = 10_000  # per app (Intercom's documented rate limit)
MAX_INTERCOM_CALLS_PER_UPDATE = 5  # lookup, update, company lookup, create and attach


def test_api_stage_throttles_every_caller_below_intercoms_limit(template: dict[str, Any]) -> None:
    for parameters in ALL_VARIANTS:
        api = variant(template, **parameters)["Resources"]["UpdateUserApi"]["Properties"]
        assert api["MethodSettings"] == [
            {
                "ResourcePath": "/*",
                "HttpMethod": "*",
                "ThrottlingRateLimit": ref("ApiThrottlingRateLimit"),
                "ThrottlingBurstLimit": ref("ApiThrottlingBurstLimit"),
            }
        ]
    rate = template["Parameters"]["ApiThrottlingRateLimit"]["Default"]
    burst = template["Parameters"]["ApiThrottlingBurstLimit"]["Default"]
    assert rate * 60 * MAX_INTERCOM_CALLS_PER_UPDATE < INTERCOM_REQUESTS_PER_MINUTE
    assert rate <= burst


def _dashboard_body(template: dict[str, Any]) -> dict[str, Any]:
    body, variables = template["Resources"]["Dashboard"]["Properties"]["DashboardBody"]["Fn::Sub"]
    names = {"AWS::Region": "eu-west-1", **{n: f"<{n}>" for n in HANDLERS}}
    names |= {name: f"<{name}>" for name in variables}
    text = re.sub(r"\$\{([^}]+)\}", lambda m: names[m.group(1)], body)
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def test_dashboard_is_optional_and_off_by_default(template: dict[str, Any]) -> None:
    assert template["Parameters"]["EnableDashboard"]["Default"] == "false"
    assert "Dashboard" not in variant(template)["Resources"]
    assert "Dashboard" in variant(template, EnableDashboard="true")["Resources"]


def test_dashboard_shows_outcomes_retries_dead_letters_and_durations(
    template: dict[str, Any],
) -> None:
    widgets = _dashboard_body(template)["widgets"]
    text = json.dumps(widgets)
    for metric in ("Success", "Unsuccessful", "Unavailable", "IntercomRetries"):
        assert metric in text, metric
    variables = template["Resources"]["Dashboard"]["Properties"]["DashboardBody"]["Fn::Sub"][1]
    queues = {v["Fn::GetAtt"][0] for v in variables.values()}
    dlqs = {n for n in resources_of_type(template, "AWS::SQS::Queue") if n.endswith("DLQ")}
    assert queues == dlqs
    for function in HANDLERS:
        assert f"<{function}>" in text, function
    namespace = template["Globals"]["Function"]["Environment"]["Variables"]
    assert namespace["POWERTOOLS_METRICS_NAMESPACE"] in text


def test_serverless_repo_metadata_lets_sam_publish(template: dict[str, Any]) -> None:
    app = template["Metadata"]["AWS::ServerlessRepo::Application"]
    assert {"Name", "Description", "Author", "SpdxLicenseId", "LicenseUrl", "ReadmeUrl"} <= set(app)
    assert app["SpdxLicenseId"] == "MIT"
    assert (ROOT / app["LicenseUrl"]).is_file()
    assert (ROOT / app["ReadmeUrl"]).is_file()
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert app["SemanticVersion"] == project["version"]
    assert project["license"] == app["SpdxLicenseId"]
    assert f"## [{app['SemanticVersion']}]" in (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
