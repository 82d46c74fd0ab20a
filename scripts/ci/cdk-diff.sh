#!/usr/bin/env bash
# cdk diff of one environment's stage against what is deployed, written to a file for the PR comment.
# `--method template` compares templates through the bootstrap lookup role (read-only); the change-set
# methods would need the deploy role, which pull requests cannot assume.
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=scripts/ci/lib.sh
source scripts/ci/lib.sh

env_name=${1:?usage: cdk-diff.sh <environment> <output-file>}
out=${2:?usage: cdk-diff.sh <environment> <output-file>}
prefix_of "$env_name" >/dev/null

npx cdk diff --no-notices -c env="$env_name" "${env_name}/*" --method template 2>&1 | tee "$out"
