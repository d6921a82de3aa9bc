#!/usr/bin/env bash
# Prints the path of the newest usable CPython among the versions we support (3.13 first: it is
# what Lambda runs). Looks on PATH, then in pyenv, because pyenv shims for a version that is not
# selected exist but refuse to run.
set -euo pipefail
wanted="${1:-3.13 3.12 3.11}"
for v in $wanted; do
  if command -v "python$v" >/dev/null 2>&1 && "python$v" -c 'pass' >/dev/null 2>&1; then
    command -v "python$v"; exit 0
  fi
  if command -v pyenv >/dev/null 2>&1; then
    for prefix in $(pyenv root 2>/dev/null)/versions/"$v"*; do
      if [ -x "$prefix/bin/python$v" ]; then echo "$prefix/bin/python$v"; exit 0; fi
    done
  fi
done
echo "no Python among: $wanted" >&2
exit 1
