#!/usr/bin/env bash
# Proves the SAM application without an AWS account or Docker: lints template.yaml (SAM's own
# validator and cfn-lint, which also runs the SAM transform), lints the Step Functions definition
# with cfn-lint's ASL schema, and runs a real `sam build` (function code + the arm64 layer).
# The SAM CLI and cfn-lint live in their own uv tool environment under .tools/, pinned in
# scripts/install-sam-tools.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

# shellcheck source=scripts/install-sam-tools.sh
source scripts/install-sam-tools.sh
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
