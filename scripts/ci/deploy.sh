#!/usr/bin/env bash
# `cdk deploy` of one environment's stage with a CI-built image tag. The GitHub environment supplies
# ACCOUNT_ID, REGION, CERTIFICATE_ARN, ALARM_EMAIL and the pager webhook ALARM_WEBHOOK_URL; lib/config
# reads them as <ENV>_ACCOUNT_ID etc. (a deploy without the webhook would remove the pager subscription).
# ECS blue/green with deployment alarms rolls a failing revision back inside the deployment, and
# CloudFormation rolls the stack back when the deployment fails.
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=scripts/ci/lib.sh
source scripts/ci/lib.sh

env_name=${1:?usage: deploy.sh <environment> <image-tag>}
image_tag=${2:?usage: deploy.sh <environment> <image-tag>}
prefix_of "$env_name" >/dev/null
npx tsx scripts/ci/image-ref.ts check "$image_tag" >/dev/null
upper=$(tr '[:lower:]' '[:upper:]' <<<"$env_name")

export "${upper}_ACCOUNT_ID=${ACCOUNT_ID:?ACCOUNT_ID is not set: add it to the GitHub environment ${env_name}}"
if [ -n "${REGION:-}" ]; then export "${upper}_REGION=${REGION}"; fi
if [ -n "${CERTIFICATE_ARN:-}" ]; then export "${upper}_CERTIFICATE_ARN=${CERTIFICATE_ARN}"; fi
if [ -n "${ALARM_EMAIL:-}" ]; then export "${upper}_ALARM_EMAIL=${ALARM_EMAIL}"; fi
if [ -n "${ALARM_WEBHOOK_URL:-}" ]; then export "${upper}_ALARM_WEBHOOK_URL=${ALARM_WEBHOOK_URL}"; fi
export CDK_DISABLE_CLI_TELEMETRY=true

# A stage-only app: `--all` selects nothing, the pattern selects this environment's stacks only (not
# the cicd-<env> stage, which an administrator deploys).
npx cdk deploy --no-notices -c env="$env_name" -c imageTag="$image_tag" "${env_name}/*" \
  --require-approval never --concurrency 3 --progress events \
  --outputs-file "cdk-outputs-${env_name}.json"
echo "deployed ${env_name} with image tag ${image_tag}"
