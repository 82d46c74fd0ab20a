#!/usr/bin/env bash
# Copies each service's signed image from the build registry into one environment's ECR repositories
# (axon-orbit-<env>/<service>), by the digest resolve-build.sh resolved once for the whole deploy
# (IMAGE_DIGESTS; the tag is never re-resolved), after verifying its signature against COMMIT. `cosign copy` carries the
# signatures and the SBOM attestation along, so the ECR image verifies the same way. The repositories
# have immutable tags: a tag already on the same digest is left alone (re-runs and rollbacks are
# idempotent), a further tag for a digest already there is added by re-putting its manifest, and a
# tag on another digest is an error.
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
commit=${COMMIT:?COMMIT (the commit the images were built from) is not set}
prefix_of "$env_name" >/dev/null
npx tsx scripts/ci/image-ref.ts check "$source_tag" "${tags[@]}" >/dev/null
images=$(npx tsx scripts/ci/image-ref.ts images "$build_registry" "$repository" "$env_name")

# The digest an image id (`imageTag=…` or `imageDigest=…`) names in a repository, or nothing.
ecr_digest() {
  local digest
  digest=$(aws ecr describe-images --repository-name "$1" --image-ids "$2" \
    --query 'imageDetails[0].imageDigest' --output text 2>/dev/null || true)
  if [[ $digest == sha256:* ]]; then echo "$digest"; fi
}

while read -r -u 3 service source_image ecr_repository; do
  digest=$(digest_of "$service")
  bash scripts/ci/verify-image.sh "${source_image}@${digest}" "$repository" "$commit"

  for tag in "${tags[@]}"; do
    current=$(ecr_digest "$ecr_repository" "imageTag=${tag}")
    if [ "$current" = "$digest" ]; then
      echo "${ecr_repository}:${tag} already is ${digest}"
    elif [ -n "$current" ]; then
      die "${ecr_repository}:${tag} already names ${current}, not ${digest}: tags are immutable"
    elif [ -n "$(ecr_digest "$ecr_repository" "imageDigest=${digest}")" ]; then
      # The digest (and its signature, stored under a digest-derived tag) is there: add the tag only.
      image=$(aws ecr batch-get-image --repository-name "$ecr_repository" --image-ids "imageDigest=${digest}" \
        --accepted-media-types application/vnd.oci.image.index.v1+json \
        application/vnd.docker.distribution.manifest.list.v2+json \
        application/vnd.oci.image.manifest.v1+json application/vnd.docker.distribution.manifest.v2+json \
        --query 'images[0]' --output json)
      aws ecr put-image --repository-name "$ecr_repository" --image-tag "$tag" \
        --image-manifest "$(jq -r .imageManifest <<<"$image")" \
        --image-manifest-media-type "$(jq -r .imageManifestMediaType <<<"$image")" >/dev/null
      echo "tagged ${ecr_repository}@${digest} as ${tag}"
    else
      cosign copy "${source_image}@${digest}" "${ecr_registry}/${ecr_repository}:${tag}"
      echo "copied ${source_image}@${digest} -> ${ecr_registry}/${ecr_repository}:${tag}"
    fi
  done
done 3<<<"$images"
