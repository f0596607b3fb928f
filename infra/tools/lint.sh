#!/usr/bin/env bash
# Lints a SAM template as CI does; exits non-zero on any finding.
#   1. cfn-lint (pinned 1.51.0: later releases silently stop expanding SAM) on the SAM template;
#   2. cfn-lint on the same template translated to plain CloudFormation offline (samtranslator);
#   3. checkov, zero failures allowed (each skip is a comment beside its resource).
# Usage: infra/tools/lint.sh [TEMPLATE]   (tools from $VENV, default target/ci-venv)
set -euo pipefail
cd "$(dirname "$0")/../.."
template=${1:-infra/template.yaml}
venv=${VENV:-target/ci-venv}
export AWS_DEFAULT_REGION=${AWS_DEFAULT_REGION:-ap-southeast-3}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "cfn-lint $("$venv/bin/cfn-lint" --version | awk '{print $2}') on $template"
"$venv/bin/cfn-lint" "$template"
echo "cfn-lint on the translated CloudFormation"
"$venv/bin/python" infra/tools/translate.py "$template" > "$tmp/translated.json"
"$venv/bin/cfn-lint" "$tmp/translated.json"
echo "checkov $("$venv/bin/checkov" --version) on $template"
"$venv/bin/checkov" -f "$template" --framework cloudformation --skip-download --compact --quiet
