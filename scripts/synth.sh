#!/usr/bin/env bash
# Synthesizes every environment into cdk.out/ offline: no AWS credentials, no context lookups.
# Prod needs an account id; when none is exported, the AWS documentation account stands in so the
# templates can be reviewed and diffed (a real deploy must export PROD_ACCOUNT_ID).
set -euo pipefail
cd "$(dirname "$0")/.."
export CDK_DISABLE_CLI_TELEMETRY=true
if [ -z "${PROD_ACCOUNT_ID:-}" ]; then
  echo "synth: PROD_ACCOUNT_ID is not set; using the placeholder 123456789012 for an offline synth" >&2
  export PROD_ACCOUNT_ID=123456789012
fi
start=$(date +%s%N)
npx cdk synth --no-notices --quiet --output cdk.out "$@"
elapsed_ms=$((($(date +%s%N) - start) / 1000000))
templates=$(find cdk.out -name '*.template.json' | wc -l)
echo "synth: ${templates} templates for all environments in ${elapsed_ms} ms -> cdk.out/"
