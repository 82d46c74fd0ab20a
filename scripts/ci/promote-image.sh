#!/usr/bin/env bash
# Copies each service's signed image from the build registry into one environment's ECR repositories
# (axon-orbit-<env>/<service>), by digest, after verifying its signature. `cosign copy` carries the
# signatures and the SBOM attestation along, so the ECR image verifies the same way. A tag that
# already points at the same digest is left alone, which makes re-runs and rollbacks idempotent.
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=scripts/ci/lib.sh
source scripts/ci/lib.sh

usage="usage: promote-image.sh <environment> <source-tag> <ecr-registry> <owner/repo> '<tag> [<tag>...]'"
env_name=${1:?$usage}
source_tag=${2:?$usage}
ecr_registry=${3:?$usage}
repository=${4:?$usage}
read -r -a tags <<<"${5:?$usage}"
build_registry=${BUILD_REGISTRY:-ghcr.io}
prefix_of "$env_name" >/dev/null
npx tsx scripts/ci/image-ref.ts check "$source_tag" >/dev/null

for service in $(npx tsx scripts/ci/image-ref.ts services); do
  source_image=$(npx tsx scripts/ci/image-ref.ts image "$build_registry" "$repository" "$service")
  digest=$(docker buildx imagetools inspect "${source_image}:${source_tag}" --format '{{json .Manifest}}' | jq -r .digest)
  [[ $digest =~ ^sha256:[0-9a-f]{64}$ ]] || die "no image ${source_image}:${source_tag} in the build registry"
  bash scripts/ci/verify-image.sh "${source_image}@${digest}" "$repository"

  ecr_repository=$(npx tsx scripts/ci/image-ref.ts ecr-repository "$env_name" "$service")
  for tag in "${tags[@]}"; do
    npx tsx scripts/ci/image-ref.ts check "$tag" >/dev/null
    current=$(aws ecr describe-images --repository-name "$ecr_repository" --image-ids "imageTag=${tag}" \
      --query 'imageDetails[0].imageDigest' --output text 2>/dev/null || true)
    if [ "$current" = "$digest" ]; then
      echo "${ecr_repository}:${tag} already is ${digest}"
      continue
    fi
    cosign copy "${source_image}@${digest}" "${ecr_registry}/${ecr_repository}:${tag}"
    echo "copied ${source_image}@${digest} -> ${ecr_registry}/${ecr_repository}:${tag}"
  done
done
