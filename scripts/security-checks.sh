#!/usr/bin/env bash
# Supply-chain and IaC checks (run by .ci/run and `make security`); any finding fails:
# - bandit: the function's code at every severity, the rest of the repository at medium and up;
# - pip-audit: the locked runtime dependencies (what the Lambda layer ships) against PyPI's
#   advisory data, after checking layers/requirements.txt is exactly what uv.lock exports;
# - checkov: template.yaml, with the skips and their reasons in .checkov.yaml.
# Each tool runs in its own throw-away uv tool environment with a pinned version.
set -euo pipefail
cd "$(dirname "$0")/.."
export UV_PYTHON_DOWNLOADS=never
uv=.tools/bin/uv
[ -x "$uv" ] || make --no-print-directory .tools/bin/uv
python=$(scripts/find-python.sh 3.13 3.12 3.11)
tool() { "$uv" tool run --quiet --python "$python" --from "$@"; }

echo "== bandit"
tool 'bandit==1.9.4' bandit -q -r handler -l
tool 'bandit==1.9.4' bandit -q -r sandbox scripts benchmarks -ll

echo "== layer requirements match uv.lock"
"$uv" export --frozen --no-dev --no-emit-project --no-hashes --format requirements-txt \
  | grep -v '^#' | diff - <(grep -v '^#' layers/requirements.txt) \
  || { echo "layers/requirements.txt is stale: run make layer-requirements" >&2; exit 1; }

echo "== pip-audit (runtime dependencies)"
locked=$(mktemp)
report=$(mktemp)
trap 'rm -f "$locked" "$report"' EXIT
"$uv" export --frozen --no-dev --no-emit-project --format requirements-txt -o "$locked" >/dev/null
# Fails on any known vulnerability. A dependency it cannot look up is reported, not passed
# over in silence: where PyPI's per-release data is out of reach (some mirrors serve only the
# package index), nothing is audited, and this says so; AUDIT_REQUIRED=1 makes that fatal.
tool 'pip-audit==2.10.1' pip-audit --requirement "$locked" --require-hashes --disable-pip \
  --vulnerability-service pypi --progress-spinner off --format json --output "$report"
"$python" - "$report" <<'PY'
import json, os, sys
deps = json.load(open(sys.argv[1]))["dependencies"]
audited = [d for d in deps if "skip_reason" not in d]
skipped = [d["name"] for d in deps if "skip_reason" in d]
print(f"pip-audit: {len(audited)} of {len(deps)} locked runtime dependencies audited, "
      "no known vulnerability among them")
if skipped:
    print(f"pip-audit: NOT AUDITED (no vulnerability data reachable): {', '.join(skipped)}")
    if os.environ.get("AUDIT_REQUIRED") == "1":
        sys.exit(1)
PY

echo "== checkov (template.yaml)"
tool 'checkov==3.3.30' checkov --config-file .checkov.yaml -f template.yaml
echo "security checks passed"
