#!/usr/bin/env bash
# Installs the pinned SAM CLI and cfn-lint into their own uv tool environment under .tools/
# (never into .venv or the Lambda layer). Sourced by the scripts that need them; sets $sam,
# $cfn_lint and $python313.
set -euo pipefail

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
