#!/usr/bin/env bash
# Synthesizes every environment into cdk.out/ (or $SYNTH_OUTPUT) offline: no AWS credentials, no
# context lookups. Extra arguments go to `cdk synth` (e.g. `-c env=dev`).
# Prod needs an account id; when none is exported, the AWS documentation account stands in so the
# templates can be reviewed and diffed (a real deploy must export PROD_ACCOUNT_ID).
set -euo pipefail
cd "$(dirname "$0")/.."
export CDK_DISABLE_CLI_TELEMETRY=true
if [ -z "${PROD_ACCOUNT_ID:-}" ]; then
  echo "synth: PROD_ACCOUNT_ID is not set; using the placeholder 123456789012 for an offline synth" >&2
  export PROD_ACCOUNT_ID=123456789012
fi
# Staging and prod serve HTTPS only, so they need an ALB certificate; for an offline synth a
# placeholder ARN in the environment's region stands in (a real deploy must export the real one).
for env in STAGING PROD; do
  var="${env}_CERTIFICATE_ARN"
  if [ -z "${!var:-}" ]; then
    region_var="${env}_REGION"
    account_var="${env}_ACCOUNT_ID"
    echo "synth: ${var} is not set; using a placeholder certificate for an offline synth" >&2
    export "${var}=arn:aws:acm:${!region_var:-eu-west-1}:${!account_var:-123456789012}:certificate/00000000-0000-0000-0000-000000000000"
  fi
done
if [ -z "${GITHUB_REPOSITORY:-}" ]; then
  # GitHub Actions always sets it; offline, a placeholder lets the CI/CD (OIDC) stacks be reviewed too.
  echo "synth: GITHUB_REPOSITORY is not set; using the placeholder example-org/axon-orbit for the cicd-<env> stages" >&2
  export GITHUB_REPOSITORY=example-org/axon-orbit
fi
out="${SYNTH_OUTPUT:-cdk.out}"
start=$(date +%s%N)
npx cdk synth --no-notices --quiet --output "$out" "$@"
elapsed_ms=$((($(date +%s%N) - start) / 1000000))
templates=$(find "$out" -name '*.template.json' | wc -l)
echo "synth: ${templates} templates in ${elapsed_ms} ms -> ${out}/"
