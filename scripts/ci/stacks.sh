#!/usr/bin/env bash
# The CloudFormation stacks of one environment's stage (<prefix>-*, not the administrator-owned
# <prefix>-cicd):
#   states  prints them as JSON (name, status, updated, created)
#   settle  waits until none is in progress (an earlier run's update, a rollback), bounded
#   cancel  cancels an update a cancelled run left running (CloudFormation rolls it back), then settles
#   plan    prints the automatic rollback's decision (action=redeploy|skip) from rollback-plan.ts
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=scripts/ci/lib.sh
source scripts/ci/lib.sh

usage="usage: stacks.sh states|settle|cancel|plan <environment>"
command=${1:?$usage}
env_name=${2:?$usage}
prefix=$(prefix_of "$env_name")
timeout=${SETTLE_TIMEOUT_SECONDS:-2700}
poll=${SETTLE_POLL_SECONDS:-20}

states() {
  aws cloudformation describe-stacks \
    --query "Stacks[?starts_with(StackName, '${prefix}-') && StackName != '${prefix}-cicd'].{name: StackName, status: StackStatus, updated: LastUpdatedTime, created: CreationTime}" \
    --output json
}

in_progress() { states | jq -r '.[] | select(.status | endswith("_IN_PROGRESS")) | "\(.name) (\(.status))"'; }

settle() {
  local deadline=$(($(date +%s) + timeout)) busy
  while busy=$(in_progress) && [ -n "$busy" ]; do
    if [ "$(date +%s)" -ge "$deadline" ]; then
      die "stacks of ${env_name} still in progress after ${timeout}s: $(tr '\n' ' ' <<<"$busy")"
    fi
    echo "waiting for $(tr '\n' ' ' <<<"$busy")"
    sleep "$poll"
  done
  echo "no stack of ${env_name} is in progress"
}

case "$command" in
states) states ;;
settle) settle ;;
cancel)
  for stack in $(states | jq -r '.[] | select(.status == "UPDATE_IN_PROGRESS") | .name'); do
    aws cloudformation cancel-update-stack --stack-name "$stack"
    echo "cancelled the update of ${stack}; CloudFormation rolls it back"
  done
  settle
  ;;
plan) states | npx tsx scripts/ci/rollback-plan.ts ;;
*) die "$usage" ;;
esac
