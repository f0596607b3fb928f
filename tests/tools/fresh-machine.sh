#!/usr/bin/env bash
# The README's two commands as a new machine runs them: a clean clone of this repository's HEAD,
# an empty Cargo home (no registry, no git checkouts, no installed tools), a fresh target/ and so
# no test venv. Only the Rust toolchain itself (rustup's) and Python are taken from this machine.
# Prints how long each command took. Run it before resolving anything that touches set-up.
#
# Usage: tests/tools/fresh-machine.sh [--load N] [--keep]
#   --load N  keep N CPU-bound processes running beside both commands (a busy machine)
#   --keep    leave the work folder (clone, Cargo home, target/) in place afterwards
# WORK=/some/dir picks the work folder (default: a new folder under /tmp).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
LOAD=0
KEEP=0
while [ $# -gt 0 ]; do
  case "$1" in
    --load) LOAD="$2"; shift 2 ;;
    --keep) KEEP=1; shift ;;
    *) echo "usage: $0 [--load N] [--keep]" >&2; exit 2 ;;
  esac
done

WORK=${WORK:-$(mktemp -d /tmp/ehrm-sync-fresh.XXXXXX)}
LOADERS=()
cleanup() {
  for pid in "${LOADERS[@]}"; do kill "$pid" 2>/dev/null || true; done
  if [ "$KEEP" = 0 ]; then rm -rf "$WORK"; fi
}
trap cleanup EXIT

git clone --quiet "$ROOT" "$WORK/ehrm-sync"
# An empty Cargo home: every package is downloaded again. The toolchain's proxies (cargo,
# rustc, rustup) stay on PATH; they find the toolchain through RUSTUP_HOME, not CARGO_HOME.
export CARGO_HOME="$WORK/cargo-home"
mkdir -p "$CARGO_HOME"
unset CARGO_TARGET_DIR AWS_ENDPOINT_URL
cd "$WORK/ehrm-sync"
echo "fresh machine: clone $(git rev-parse --short HEAD) in $WORK, CARGO_HOME=$CARGO_HOME"

for _ in $(seq 1 "$LOAD"); do
  (while :; do :; done) &
  LOADERS+=("$!")
done
[ "$LOAD" = 0 ] || echo "load: $LOAD CPU-bound processes beside the commands"

timed() {
  local started=$SECONDS
  echo "==> $*"
  "$@"
  local took=$((SECONDS - started))
  printf '==> %s: %d min %02d s\n' "$*" $((took / 60)) $((took % 60))
}
timed cargo run -- demo
timed ./tests/run.sh
echo "fresh machine: both commands passed"
