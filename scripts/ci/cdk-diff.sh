#!/usr/bin/env bash
# cdk diff of one environment's stage against what is deployed, written to a file for the PR comment.
# `--method template` compares templates through the bootstrap lookup role (read-only); the change-set
# methods would need the deploy role, which pull requests cannot assume.
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=scripts/ci/lib.sh
source scripts/ci/lib.sh

usage="usage: cdk-diff.sh <environment> <output-file> [<image-tag running there>]"
env_name=${1:?$usage}
out=${2:?$usage}
image_tag=${3:-}
prefix_of "$env_name" >/dev/null
[ "$env_name" != prod ] || die "pull requests never diff against prod (the diff role exists in no prod account)"

# With the tag that runs there, the task definitions compare equal unless the change touches them;
# without it (nothing CI-built runs yet) the images are assets and every diff shows them changing.
context=(-c env="$env_name")
if [ -n "$image_tag" ]; then
  npx tsx scripts/ci/image-ref.ts check "$image_tag" >/dev/null
  context+=(-c imageTag="$image_tag")
fi
npx cdk diff --no-notices "${context[@]}" "${env_name}/*" --method template 2>&1 | tee "$out"
