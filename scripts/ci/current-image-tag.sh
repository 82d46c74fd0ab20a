#!/usr/bin/env bash
# Prints `tag=<image tag>` of the Orbit image running in an environment (the rollback point) and
# `commit=<sha>` it was built from (empty when the checkout lacks its release tag), or empty values
# when nothing CI-built runs yet (first deploy, or an image built from source by cdk).
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=scripts/ci/lib.sh
source scripts/ci/lib.sh

env_name=${1:?usage: current-image-tag.sh <environment>}
prefix=$(prefix_of "$env_name")
cluster=$(orbit_cluster "$env_name")
service=$(orbit_service "$env_name")

task_definition=$(aws ecs describe-services --cluster "$cluster" --services "$service" \
  --query "services[?status=='ACTIVE'] | [0].taskDefinition" --output text 2>/dev/null || true)
if [ -z "$task_definition" ] || [ "$task_definition" = None ]; then
  echo "no active service ${service} in ${cluster}: nothing to roll back to" >&2
  echo "tag="
  echo "commit="
  exit 0
fi
images=$(aws ecs describe-task-definition --task-definition "$task_definition" \
  --query 'taskDefinition.containerDefinitions[].image' --output text)
for image in $images; do
  if [[ $image =~ /${prefix}/orbit:([A-Za-z0-9._-]+)$ ]]; then
    echo "running: ${image}" >&2
    tag=${BASH_REMATCH[1]}
    echo "tag=${tag}"
    echo "commit=$(commit_of_tag "$tag" 2>/dev/null || true)"
    exit 0
  fi
done
echo "the running Orbit image (${images}) is not a CI-built ${prefix}/orbit image" >&2
echo "tag="
echo "commit="
