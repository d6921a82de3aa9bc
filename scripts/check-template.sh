#!/usr/bin/env bash
# Proves the SAM application without an AWS account or Docker: lints template.yaml (SAM's own
# validator and cfn-lint, which also runs the SAM transform), lints every Step Functions definition
# with cfn-lint's ASL schema and asl-validator, and runs a real `sam build` (function code + the
# arm64 layer). The SAM CLI and cfn-lint live in their own uv tool environment under .tools/,
# pinned in scripts/install-sam-tools.sh; asl-validator in .tools/npm (from the npm registry),
# pinned here.
set -euo pipefail
cd "$(dirname "$0")/.."

ASL_VALIDATOR_VERSION=4.0.0

# shellcheck source=scripts/install-sam-tools.sh
source scripts/install-sam-tools.sh
# asl-validator (npm): the Amazon States Language schema, stricter than cfn-lint's on Map states
# (Distributed Map fields, unknown keys) and on JSONPath and intrinsic function syntax.
npm install --silent --no-audit --no-fund --prefix .tools/npm "asl-validator@$ASL_VALIDATOR_VERSION" >/dev/null
asl_validator=.tools/npm/node_modules/.bin/asl-validator
echo "== $("$sam" --version), cfn-lint $("$cfn_lint" --version | awk '{print $2}'), asl-validator $ASL_VALIDATOR_VERSION"

echo "== sam validate --lint"
"$sam" validate --lint --template template.yaml

echo "== cfn-lint template.yaml"
"$cfn_lint" template.yaml

asl_check_dir="$(mktemp -d)"
trap 'rm -rf "$asl_check_dir"' EXIT
# Each definition with its DefinitionSubstitutions filled in as CloudFormation would, so that
# both linters see the state machine that is deployed.
for definition in statemachine/*.asl.json; do
  name="$(basename "$definition" .asl.json)"
  "$python313" - "$definition" "$asl_check_dir/$name.asl.json" "$asl_check_dir/$name.template.json" <<'PY'
import json
import re
import sys

SUBSTITUTIONS = {
    "UpdateUserFunctionArn": "arn:aws:lambda:us-east-1:123456789012:function:UpdateUser",
    "BackfillFunctionArn": "arn:aws:lambda:us-east-1:123456789012:function:Backfill",
    "ResultsBucket": "example-backfill-bucket",
    "ResultsPrefix": "results",
    "BatchSize": "10",
    "MaxConcurrency": "5",
    "ToleratedFailurePercentage": "10",
}
text = open(sys.argv[1], encoding="utf-8").read()
unknown = set(re.findall(r"\$\{(\w+)\}", text)) - set(SUBSTITUTIONS)
if unknown:
    sys.exit(f"{sys.argv[1]}: no test value for substitution(s) {sorted(unknown)}")
definition = json.loads(re.sub(r"\$\{(\w+)\}", lambda m: SUBSTITUTIONS[m.group(1)], text))
json.dump(definition, open(sys.argv[2], "w", encoding="utf-8"))
template = {
    "AWSTemplateFormatVersion": "2010-09-09",
    "Resources": {
        "StateMachine": {
            "Type": "AWS::StepFunctions::StateMachine",
            "Properties": {
                "RoleArn": "arn:aws:iam::123456789012:role/StateMachineRole",
                "Definition": definition,
            },
        }
    },
}
json.dump(template, open(sys.argv[3], "w", encoding="utf-8"))
PY
  echo "== cfn-lint $definition (as an inline definition)"
  "$cfn_lint" "$asl_check_dir/$name.template.json"
  echo "== asl-validator $definition"
  "$asl_validator" --json-path "$asl_check_dir/$name.asl.json"
done

echo "== sam build (python3.13 from $python313)"
PATH="$(dirname "$python313"):$PATH" "$sam" build --template template.yaml

echo "== template checks passed"
