#!/usr/bin/env bash
# Proves the lint step catches broken templates: each copy below must fail infra/tools/lint.sh.
set -uo pipefail
cd "$(dirname "$0")/../.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
status=0

expect_failure() {
  local name=$1 from=$2 to=$3
  local copy="$tmp/$name.yaml"
  sed "s/$from/$to/" infra/template.yaml > "$copy"
  if cmp -s infra/template.yaml "$copy"; then
    echo "self-test $name: the template no longer contains '$from'" >&2
    status=1
    return
  fi
  if infra/tools/lint.sh "$copy" > "$tmp/$name.log" 2>&1; then
    echo "self-test $name: the lint step PASSED a broken template" >&2
    status=1
  else
    echo "self-test $name: rejected as it should be ($(grep -m1 -E '^[EW][0-9]{4}' "$tmp/$name.log" | cut -c1-120))"
  fi
}

expect_failure wrong-runtime "Runtime: provided.al2023" "Runtime: provided.al2099"
expect_failure wrong-response-type "FunctionResponseTypes: \[ReportBatchItemFailures\]" "FunctionResponseTypes: [ReportBatchFailures]"
exit $status
