#!/usr/bin/env bash
# Everything CI checks, in one command (`npm test`). Each check is a step; jest contributes one count
# per test. Ends with the line "test: N passed, N failed" and exits non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
# The AWS SDK warns once per module registry on Node 20 (about 30 banners per run); README states the
# supported versions once.
export CDK_DISABLE_CLI_TELEMETRY=true NODE_OPTIONS=--experimental-vm-modules AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true
started=$(date +%s)

passed=0
failed=0
failures=()

step() {
  local name=$1
  shift
  printf '\n── %s\n' "$name"
  if "$@"; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    failures+=("$name")
  fi
}

jest_step() {
  local report rc counts
  report=$(mktemp)
  # Two workers on a two-core machine, beside the side checks: jest's default (cores - 1) is one,
  # which left the second core idle once those checks were done.
  npx jest --ci --coverage --maxWorkers=2 --json --outputFile="$report"
  rc=$?
  counts=$(node -e 'const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    console.log(r.numPassedTests, r.numFailedTests + r.numRuntimeErrorTestSuites)' "$report" 2>/dev/null || echo "0 1")
  rm -f "$report"
  read -r jest_passed jest_failed <<<"$counts"
  passed=$((passed + jest_passed))
  failed=$((failed + jest_failed))
  # A non-zero exit with no failed test is a coverage threshold or a suite that did not load.
  if [ "$rc" -ne 0 ] && [ "$jest_failed" -eq 0 ]; then
    failed=$((failed + 1))
    failures+=("jest (exit $rc: coverage threshold or suite error)")
  elif [ "$jest_failed" -ne 0 ]; then
    failures+=("jest ($jest_failed failed)")
  fi
}

# The workflow test shellchecks every CI script and workflow `run:` block. shellcheck is a Debian
# package, not an npm one (the npm wrapper downloads a binary at install time, which a locked-down
# registry mirror cannot serve), so the first run installs it where apt-get can, and says what to do
# where it cannot.
ensure_shellcheck() {
  command -v shellcheck >/dev/null && return 0
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
    echo "shellcheck is missing: installing the Debian package (apt-get install shellcheck)"
    apt-get install -y -qq shellcheck >/dev/null 2>&1 ||
      { apt-get update -qq >/dev/null && apt-get install -y -qq shellcheck >/dev/null; }
  fi
  command -v shellcheck >/dev/null && return 0
  echo "shellcheck is required: install it (Debian/Ubuntu: sudo apt-get install shellcheck; macOS: brew install shellcheck)" >&2
  return 1
}

# The checks outside jest run beside it, one after another, so the run takes about as long as jest
# instead of the sum of both. Their output is kept and printed after jest's, step by step, so nothing
# interleaves.
# The synth goes first and into the directory the CDK tests read (test/support/assembly.ts): jest
# runs those files last (test/support/sequencer.js), so the app is synthesized and judged by the
# template rules once per run, here, while jest runs everything else.
side_checks() {
  passed=0 failed=0 failures=()
  step "synth all environments (npm run synth, read by the CDK tests)" npx tsx test/support/synth-shared.ts
  step "typecheck (tsc)" npx tsc --noEmit -p tsconfig.json
  step "lint + format (biome)" npx biome ci --colors=off .
  step "lockfile installable by npm ci" npx tsx scripts/complete-lockfile.ts --check
  step "policy tests + coverage (governance test)" node governance/cli/governance.mjs test --require-coverage
  printf '%s\n' "$passed" "$failed" "${failures[@]}" >"$side_result"
}

step "shellcheck available" ensure_shellcheck
SHARED_CDK_ASSEMBLY_DIR=$(mktemp -d "${TMPDIR:-/tmp}/cdk-shared-XXXXXX")
export SHARED_CDK_ASSEMBLY_DIR
trap 'rm -rf "$SHARED_CDK_ASSEMBLY_DIR"' EXIT
side_log=$(mktemp)
side_result=$(mktemp)
side_checks >"$side_log" 2>&1 &
side_pid=$!
printf '\n── unit, CDK and integration tests (jest)\n'
jest_step
wait "$side_pid"
cat "$side_log"
{
  read -r side_passed
  read -r side_failed
  mapfile -t side_failures
} <"$side_result"
rm -f "$side_log" "$side_result"
passed=$((passed + side_passed))
failed=$((failed + side_failed))
failures+=("${side_failures[@]}")

if [ "${#failures[@]}" -gt 0 ]; then
  printf '\nFailed:\n'
  printf '  - %s\n' "${failures[@]}"
fi
elapsed=$(($(date +%s) - started))
# `npm run bench` reports this figure (bench/feedback.bench.ts): the wall time of the last full run.
mkdir -p .local
printf '{"seconds":%d,"date":"%s","commit":"%s","passed":%d,"failed":%d}\n' "$elapsed" \
  "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$(git rev-parse --short HEAD 2>/dev/null || echo unknown)" \
  "$passed" "$failed" >.local/test-wall-time.json
printf '\nwall time: %d s\n' "$elapsed"
printf '\ntest: %d passed, %d failed\n' "$passed" "$failed"
[ "$failed" -eq 0 ]
