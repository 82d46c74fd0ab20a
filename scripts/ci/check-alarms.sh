#!/usr/bin/env bash
# Fails when any critical alarm of the environment (named <prefix>-critical-*) is in ALARM after
# the deploy, so a regression the smoke test cannot see still triggers the rollback.
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=scripts/ci/lib.sh
source scripts/ci/lib.sh

env_name=${1:?usage: check-alarms.sh <environment>}
prefix=$(prefix_of "$env_name")

firing=$(aws cloudwatch describe-alarms --alarm-name-prefix "${prefix}-critical-" --state-value ALARM \
  --alarm-types MetricAlarm CompositeAlarm \
  --query '[MetricAlarms[].AlarmName, CompositeAlarms[].AlarmName][]' --output text)
if [ -n "$firing" ] && [ "$firing" != None ]; then
  die "critical alarms firing in ${env_name}: ${firing}"
fi
echo "no critical alarm of ${env_name} is firing"
