#!/usr/bin/env bash
# Proves the SAM application without an AWS account or Docker: lints template.yaml (SAM's own
# validator and cfn-lint, which also runs the SAM transform), lints the Step Functions definition
# with cfn-lint's ASL schema, and runs a real `sam build` (function code + the arm64 layer).
# The SAM CLI and cfn-lint live in their own uv tool environment under .tools/, pinned here.
set -euo pipefail
cd "$(dirname "$0")/.."

SAM_CLI_VERSION=1.170.0
CFN_LINT_VERSION=1.58.0

export UV_PYTHON_DOWNLOADS=never
export UV_TOOL_DIR="$PWD/.tools/uv-tools"
export UV_TOOL_BIN_DIR="$PWD/.tools/uv-tools/bin"
export SAM_CLI_TELEMETRY=0
# The tools run on their own environment only (the Makefile exports the project's PYTHONPATH).
unset PYTHONPATH
# No call reaches AWS, but the SAM translator needs a region to build ARNs.
export AWS_DEFAULT_REGION="${AWS_DEFAULT_REGION:-us-east-1}"

[ -x .tools/bin/uv ] || make .tools/bin/uv
python313="$(scripts/find-python.sh 3.13)"

.tools/bin/uv tool install --quiet --python "$python313" \
  "aws-sam-cli==$SAM_CLI_VERSION" \
  --with "cfn-lint==$CFN_LINT_VERSION" --with-executables-from cfn-lint
sam="$UV_TOOL_BIN_DIR/sam"
cfn_lint="$UV_TOOL_BIN_DIR/cfn-lint"
echo "== $("$sam" --version), cfn-lint $("$cfn_lint" --version | awk '{print $2}')"

echo "== sam validate --lint"
"$sam" validate --lint --template template.yaml

echo "== cfn-lint template.yaml"
"$cfn_lint" template.yaml

echo "== cfn-lint statemachine/update_user.asl.json (as an inline definition)"
asl_check_dir="$(mktemp -d)"
trap 'rm -rf "$asl_check_dir"' EXIT
"$python313" - statemachine/update_user.asl.json "$asl_check_dir/asl.json" <<'PY'
import json
import sys

definition = open(sys.argv[1], encoding="utf-8").read().replace(
    "${UpdateUserFunctionArn}", "arn:aws:lambda:us-east-1:123456789012:function:UpdateUser"
)
template = {
    "AWSTemplateFormatVersion": "2010-09-09",
    "Resources": {
        "StateMachine": {
            "Type": "AWS::StepFunctions::StateMachine",
            "Properties": {
                "RoleArn": "arn:aws:iam::123456789012:role/StateMachineRole",
                "Definition": json.loads(definition),
            },
        }
    },
}
with open(sys.argv[2], "w", encoding="utf-8") as out:
    json.dump(template, out)
PY
"$cfn_lint" "$asl_check_dir/asl.json"

echo "== sam build (python3.13 from $python313)"
PATH="$(dirname "$python313"):$PATH" "$sam" build --template template.yaml

echo "== template checks passed"
