#!/usr/bin/env bash
# Smoke test from inside the VPC: the internal ALB is unreachable from GitHub's runners, so this starts
# one task from Orbit's current task definition, in Orbit's subnets and security groups, with its
# command replaced by scripts/ci/smoke-entry.ts (bundled, run with `node -e`). The task probes
# /health, an allowed /dispatch and a denied /dispatch through the ALB and exits 0 only if all pass.
# Its output is read back from Orbit's log group. Needs no ECS Exec (off in prod) and no bastion.
#
# Environment (the deploy workflow passes the GitHub environment's variables): SMOKE_BASE_URL
# (required, https://, where the ALB listens on HTTPS: staging and prod), SMOKE_SECURITY_GROUPS,
# SMOKE_ALLOWED_INTENT, SMOKE_DENIED_INTENT; optional ECS_CLUSTER, ORBIT_SERVICE.
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=scripts/ci/lib.sh
source scripts/ci/lib.sh

env_name=${1:?usage: smoke-ecs.sh <environment>}
prefix_of "$env_name" >/dev/null
cluster=$(orbit_cluster "$env_name")
service=$(orbit_service "$env_name")

description=$(aws ecs describe-services --cluster "$cluster" --services "$service" --query 'services[0]' --output json)
[ "$(jq -r '.status // "MISSING"' <<<"$description")" = ACTIVE ] || die "no active service ${service} in cluster ${cluster}"
task_definition=$(jq -r '.taskDefinition' <<<"$description")
network=$(jq -c '.networkConfiguration' <<<"$description")
if [ -n "${SMOKE_SECURITY_GROUPS:-}" ]; then
  # A group that may reach the ALB's listener when Orbit's own may not (Orbit never calls its ALB).
  network=$(jq -c --arg groups "$SMOKE_SECURITY_GROUPS" \
    '.awsvpcConfiguration.securityGroups = ($groups | split(","))' <<<"$network")
fi
container=$(jq -r '.loadBalancers[0].containerName // empty' <<<"$description")
target_group=$(jq -r '.loadBalancers[0].targetGroupArn // empty' <<<"$description")
if [ -z "$container" ] || [ -z "$target_group" ]; then die "service ${service} is not behind a load balancer"; fi

load_balancer=$(aws elbv2 describe-target-groups --target-group-arns "$target_group" \
  --query 'TargetGroups[0].LoadBalancerArns[0]' --output text)
protocols=$(aws elbv2 describe-listeners --load-balancer-arn "$load_balancer" --query 'Listeners[].Protocol' --output text)
base_url=${SMOKE_BASE_URL:-}
if [[ $protocols == *HTTPS* ]]; then
  # The certificate names a host, not the ALB's generated DNS name, and there is no plain-HTTP
  # listener to fall back on: the URL must be https:// with a name on the certificate that the
  # VPC resolves (a private hosted zone record aliasing the internal ALB).
  [[ $base_url == https://* ]] || die "the ALB of ${env_name} listens on HTTPS only: set SMOKE_BASE_URL to https://<a name on its certificate, resolvable in the VPC> (got '${base_url}')"
elif [ -z "$base_url" ]; then
  dns=$(aws elbv2 describe-load-balancers --load-balancer-arns "$load_balancer" \
    --query 'LoadBalancers[0].DNSName' --output text)
  base_url="http://${dns}"
fi

container_definition=$(aws ecs describe-task-definition --task-definition "$task_definition" \
  --query "taskDefinition.containerDefinitions[?name=='${container}'] | [0]" --output json)
# ECS cannot override an entry point, only the command, and the image's own entry point runs the
# service (`node /app/main.mjs`). So the task definition must declare the entry point `node` and the
# script as the command; the smoke task then replaces the command with node's arguments.
if ! jq -e '((.entryPoint // []) | length) > 0 and ((.entryPoint | last) | test("(^|/)node$"))' \
  <<<"$container_definition" >/dev/null; then
  die "container ${container} of ${task_definition} must declare entryPoint [\"node\"] (and its script as command) so the smoke test can replace the command"
fi
code=$(npx esbuild scripts/ci/smoke-entry.ts --bundle --platform=node --format=esm --minify \
  --target=node20 --log-level=warning)
command=$(jq -cn --arg code "$code" '["--input-type=module", "-e", $code]')
overrides=$(jq -cn --arg name "$container" --argjson command "$command" --arg url "$base_url" \
  --arg allowed "${SMOKE_ALLOWED_INTENT:-}" --arg denied "${SMOKE_DENIED_INTENT:-}" \
  '{containerOverrides: [{name: $name, command: $command, environment: [
     {name: "SMOKE_BASE_URL", value: $url},
     {name: "SMOKE_ALLOWED_INTENT", value: $allowed},
     {name: "SMOKE_DENIED_INTENT", value: $denied}]}]}')
[ "${#overrides}" -lt 8192 ] || die "smoke overrides are ${#overrides} bytes; ECS accepts at most 8192"

echo "smoke test of ${base_url} from a one-off task of ${task_definition}"
task=$(aws ecs run-task --cluster "$cluster" --task-definition "$task_definition" --launch-type FARGATE \
  --network-configuration "$network" --overrides "$overrides" --started-by github-smoke \
  --query 'tasks[0].taskArn' --output text)
[[ $task == arn:* ]] || die "the smoke task did not start"
aws ecs wait tasks-stopped --cluster "$cluster" --tasks "$task"

stopped=$(aws ecs describe-tasks --cluster "$cluster" --tasks "$task" --query 'tasks[0]' --output json)
exit_code=$(jq -r --arg name "$container" '.containers[] | select(.name == $name) | .exitCode // "none"' <<<"$stopped")
log_group=$(jq -r '.logConfiguration.options["awslogs-group"] // empty' <<<"$container_definition")
stream_prefix=$(jq -r '.logConfiguration.options["awslogs-stream-prefix"] // empty' <<<"$container_definition")
if [ -n "$log_group" ] && [ -n "$stream_prefix" ]; then
  aws logs get-log-events --log-group-name "$log_group" \
    --log-stream-name "${stream_prefix}/${container}/${task##*/}" \
    --query 'events[].message' --output text 2>/dev/null | tr '\t' '\n' | grep '"smoke"' || true
fi
if [ "$exit_code" != 0 ]; then
  die "smoke test failed in ${env_name} (exit ${exit_code}, $(jq -r '.stoppedReason // "no reason"' <<<"$stopped"))"
fi
echo "smoke test passed in ${env_name}"
