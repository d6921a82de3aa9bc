#!/usr/bin/env bash
# Builds the application for THIS machine's architecture, to run it under Lambda's own runtime
# pieces without Docker: the runtime interface emulator that ships inside the SAM CLI wheel and
# the Python runtime interface client (awslambdaric). The deployable build (`sam build`, arm64)
# is not touched: this one goes to .aws-sam/host/.
#
#   .aws-sam/host/template.yaml  template.yaml with the architecture set to the host's
#   .aws-sam/host/build/         `sam build` of it (function code, layer with host binaries)
#   .aws-sam/host/runtime/       awslambdaric, which Lambda's managed runtime provides itself
#   .aws-sam/host/aws-lambda-rie the emulator for this architecture
set -euo pipefail
cd "$(dirname "$0")/.."

AWSLAMBDARIC_VERSION=4.2.2

# shellcheck source=scripts/install-sam-tools.sh
source scripts/install-sam-tools.sh

case "$(uname -m)" in
  x86_64 | amd64) arch=x86_64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *) echo "no Lambda architecture matches $(uname -m)" >&2; exit 1 ;;
esac

out=.aws-sam/host
mkdir -p "$out"
# The three places template.yaml names the architecture; each must be found, or the template
# changed shape and this script must follow.
for pattern in 'Architectures: \[arm64\]' 'CompatibleArchitectures: \[arm64\]' 'BuildArchitecture: arm64'; do
  grep -Eq "^ +$pattern\$" template.yaml || { echo "template.yaml has no '$pattern'" >&2; exit 1; }
done
sed -E -e "s/^( +)(Compatible)?Architectures: \[arm64\]\$/\1\2Architectures: [$arch]/" \
  -e "s/^( +)BuildArchitecture: arm64\$/\1BuildArchitecture: $arch/" \
  template.yaml >"$out/template.yaml"

echo "== sam build for $arch into $out/build"
PATH="$(dirname "$python313"):$PATH" "$sam" build --template "$out/template.yaml" --base-dir . \
  --build-dir "$out/build" --cache-dir "$out/cache" --cached --parallel >"$out/build.log" 2>&1 \
  || { cat "$out/build.log" >&2; exit 1; }

rapid="$(echo "$UV_TOOL_DIR"/aws-sam-cli/lib/python3*/site-packages/samcli/local/rapid)"
cp "$rapid/aws-lambda-rie-$arch" "$out/aws-lambda-rie"

if [ "$("$python313" -S -c 'import sys; sys.path.insert(0, sys.argv[1]); import awslambdaric.__main__, importlib.metadata as m; print(m.version("awslambdaric"))' "$out/runtime" 2>/dev/null)" != "$AWSLAMBDARIC_VERSION" ]; then
  rm -rf "$out/runtime"
  .tools/bin/uv pip install --quiet --python "$python313" --target "$out/runtime" \
    --only-binary :all: "awslambdaric==$AWSLAMBDARIC_VERSION"
fi
echo "== host build ready: $out ($arch, awslambdaric $AWSLAMBDARIC_VERSION)"
