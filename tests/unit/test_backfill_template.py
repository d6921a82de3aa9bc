"""The optional backfill from S3: its parameters, resources, least-privilege IAM and the
Distributed Map definition (statemachine/backfill.asl.json), read as data.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from intercom_update.models.failures import BackfillItemsUnavailableError
from tests.unit.test_template import (
    LAMBDA_SERVICE_ERRORS,
    ROOT,
    SECRET_ARN,
    as_list,
    get_att,
    iam_statements,
    load_template,
    ref,
    variant,
)

DEFINITION = ROOT / "statemachine" / "backfill.asl.json"
BACKFILL_RESOURCES = {
    "BackfillBucket",
    "BackfillBucketPolicy",
    "BackfillFunction",
    "BackfillLogGroup",
    "BackfillStateMachine",
}
MACHINE_ARN = (
    "arn:${AWS::Partition}:states:${AWS::Region}:${AWS::AccountId}"
    ":stateMachine:${AWS::StackName}-backfill"
)
EXECUTIONS_ARN = (
    "arn:${AWS::Partition}:states:${AWS::Region}:${AWS::AccountId}"
    ":execution:${AWS::StackName}-backfill/*"
)


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return load_template()


@pytest.fixture(scope="module")
def definition() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(DEFINITION.read_text(encoding="utf-8"))
    return loaded


def maps(definition: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {n: s for n, s in definition["States"].items() if s["Type"] == "Map"}


def test_the_backfill_is_off_by_default_and_all_of_it_behind_one_condition(
    template: dict[str, Any],
) -> None:
    assert template["Parameters"]["EnableBackfill"]["Default"] == "false"
    assert template["Conditions"]["BackfillEnabled"] == {
        "Fn::Equals": [ref("EnableBackfill"), "true"]
    }
    conditional = {
        n for n, r in template["Resources"].items() if r.get("Condition") == "BackfillEnabled"
    }
    assert conditional == BACKFILL_RESOURCES
    assert not BACKFILL_RESOURCES & set(variant(template)["Resources"])
    assert set(variant(template, EnableBackfill="true")["Resources"]) >= BACKFILL_RESOURCES


def test_the_function_runs_the_backfill_handler_with_room_for_a_batch(
    template: dict[str, Any],
) -> None:
    function = template["Resources"]["BackfillFunction"]["Properties"]
    assert function["Handler"] == "intercom_update.handlers.backfill.lambda_handler"
    assert function["Policies"] == [ref("UpdateUserRuntimePolicy")]
    assert function["Timeout"] == 300
    group = template["Resources"][function["LoggingConfig"]["LogGroup"]["Ref"]]
    assert group["Properties"]["RetentionInDays"] == ref("LogRetentionDays")


def test_every_setting_of_the_map_is_a_parameter(template: dict[str, Any]) -> None:
    machine = template["Resources"]["BackfillStateMachine"]["Properties"]
    substitutions = machine["DefinitionSubstitutions"]
    assert machine["DefinitionUri"] == "statemachine/backfill.asl.json"
    assert substitutions["MaxConcurrency"] == ref("BackfillMaxConcurrency")
    assert substitutions["ToleratedFailurePercentage"] == ref("BackfillToleratedFailurePercentage")
    assert substitutions["BatchSize"] == ref("BackfillBatchSize")
    assert substitutions["BackfillFunctionArn"] == get_att("BackfillFunction", "Arn")
    assert substitutions["ResultsBucket"] == ref("BackfillBucket")
    used = set(re.findall(r"\$\{(\w+)\}", DEFINITION.read_text(encoding="utf-8")))
    assert used == set(substitutions)
    for name in ("BackfillMaxConcurrency", "BackfillToleratedFailurePercentage"):
        assert template["Parameters"][name]["Type"] == "Number"
    assert template["Parameters"]["BackfillToleratedFailurePercentage"]["MaxValue"] == 100


def test_iam_is_least_privilege(template: dict[str, Any]) -> None:
    resolved = variant(template, EnableBackfill="true")
    statements = {
        s["Sid"]: s for name, s in iam_statements(resolved) if name == "BackfillStateMachine"
    }
    bucket_arn = get_att("BackfillBucket", "Arn")
    assert {sid: sorted(as_list(s["Action"])) for sid, s in statements.items()} == {
        "RunChildExecutions": ["states:StartExecution"],
        "ManageChildExecutions": ["states:DescribeExecution", "states:StopExecution"],
        "ReadRows": ["s3:GetObject"],
        "ListRows": ["s3:ListBucket"],
        "WriteResults": [
            "s3:AbortMultipartUpload",
            "s3:GetObject",
            "s3:ListMultipartUploadParts",
            "s3:PutObject",
        ],
    }
    assert statements["RunChildExecutions"]["Resource"] == {"Fn::Sub": MACHINE_ARN}
    assert statements["ManageChildExecutions"]["Resource"] == {"Fn::Sub": EXECUTIONS_ARN}
    assert statements["ReadRows"]["Resource"] == {"Fn::Sub": "${BackfillBucket.Arn}/input/*"}
    assert statements["ListRows"]["Resource"] == bucket_arn
    assert statements["ListRows"]["Condition"] == {"StringLike": {"s3:prefix": "input/*"}}
    assert statements["WriteResults"]["Resource"] == {"Fn::Sub": "${BackfillBucket.Arn}/results/*"}
    machine = resolved["Resources"]["BackfillStateMachine"]["Properties"]
    assert machine["Name"] == {"Fn::Sub": "${AWS::StackName}-backfill"}
    assert machine["Policies"][0] == {
        "LambdaInvokePolicy": {"FunctionName": ref("BackfillFunction")}
    }
    secret_statements = [s for n, s in iam_statements(resolved) if "secretsmanager" in str(s)]
    assert all(s["Resource"] == {"Fn::Sub": SECRET_ARN} for s in secret_statements)


def test_the_bucket_is_private_encrypted_tls_only_and_expires_files(
    template: dict[str, Any],
) -> None:
    bucket = template["Resources"]["BackfillBucket"]["Properties"]
    assert all(bucket["PublicAccessBlockConfiguration"].values())
    assert bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert bucket["LifecycleConfiguration"]["Rules"][0]["ExpirationInDays"] == 30
    deny = template["Resources"]["BackfillBucketPolicy"]["Properties"]["PolicyDocument"]
    assert deny["Statement"][0]["Effect"] == "Deny"
    assert deny["Statement"][0]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_the_file_type_picks_the_reader(definition: dict[str, Any]) -> None:
    choices = definition["States"]["FileType"]["Choices"]
    assert [(c["StringMatches"], c["Next"]) for c in choices] == [
        ("*.csv", "BackfillCsv"),
        ("*.jsonl", "BackfillJsonLines"),
    ]
    readers = {n: s["ItemReader"]["ReaderConfig"] for n, s in maps(definition).items()}
    assert readers == {
        "BackfillCsv": {"InputType": "CSV", "CSVHeaderLocation": "FIRST_ROW"},
        "BackfillJsonLines": {"InputType": "JSONL"},
    }
    unsupported = definition["States"][definition["States"]["FileType"]["Default"]]
    assert unsupported["Type"] == "Fail"


def test_each_map_batches_rows_with_the_account_and_writes_results(
    definition: dict[str, Any],
) -> None:
    for state in maps(definition).values():
        assert state["ItemProcessor"]["ProcessorConfig"]["Mode"] == "DISTRIBUTED"
        assert state["ItemSelector"] == {
            "index.$": "$$.Map.Item.Index",
            "row.$": "$$.Map.Item.Value",
        }
        assert state["ItemBatcher"]["BatchInput"] == {
            "connected_account.$": "$.input.connected_account"
        }
        assert state["ItemReader"]["Parameters"] == {
            "Bucket.$": "$.input.bucket",
            "Key.$": "$.input.key",
        }
        settings = definition["States"]["Settings"]["Parameters"]["settings"]
        for path_field, setting in (
            ("MaxConcurrencyPath", "max_concurrency"),
            ("ToleratedFailurePercentagePath", "tolerated_failure_percentage"),
            ("MaxItemsPerBatchPath", "batch_size"),
        ):
            holder = state["ItemBatcher"] if path_field.startswith("MaxItems") else state
            assert holder[path_field] == f"$.settings.{setting}"
            assert f"{setting}.$" in settings
        assert state["ResultWriter"]["Resource"] == "arn:aws:states:::s3:putObject"
        assert state["ResultWriter"]["Parameters"] == {
            "Bucket": "${ResultsBucket}",
            "Prefix": "${ResultsPrefix}",
        }


def test_unavailable_rows_are_retried_as_the_error_lambda_reports(
    definition: dict[str, Any],
) -> None:
    for state in maps(definition).values():
        processor = state["ItemProcessor"]
        (task,) = processor["States"].values()
        assert task["Parameters"] == {"FunctionName": "${BackfillFunctionArn}", "Payload.$": "$"}
        assert task["OutputPath"] == "$.Payload"
        retried = [set(r["ErrorEquals"]) for r in task["Retry"]]
        assert retried == [{BackfillItemsUnavailableError.__name__}, LAMBDA_SERVICE_ERRORS]
        assert "Catch" not in task  # a batch still failing is a failed child: listed in FAILED_n


def test_the_sample_event_is_the_batch_the_map_hands_over() -> None:
    event = json.loads(Path(ROOT / "events" / "backfill.json").read_text(encoding="utf-8"))
    assert set(event) == {"BatchInput", "Items"}
    assert set(event["BatchInput"]) == {"connected_account"}
    assert all(set(item) == {"index", "row"} for item in event["Items"])
    # CSV cells arrive as text, empty cells as "".
    assert all(isinstance(v, str) for item in event["Items"] for v in item["row"].values())
