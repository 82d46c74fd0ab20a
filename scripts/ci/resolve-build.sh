#!/usr/bin/env bash
# Resolves an image tag once for a whole deploy: prints `image-tag=`, `commit=` (the commit the tag
# names: the SHA itself, or what release tag v<version> points at) and `digests=` ("axon=sha256:…
# orbit=sha256:…"), after verifying each digest's signature was made by build.yml at that commit.
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=scripts/ci/lib.sh
source scripts/ci/lib.sh

usage="usage: resolve-build.sh <image-tag> <owner/repo>"
tag=${1:?$usage}
repository=${2:?$usage}
build_registry=${BUILD_REGISTRY:-ghcr.io}
npx tsx scripts/ci/image-ref.ts check "$tag" >/dev/null
commit=$(commit_of_tag "$tag")

images=$(npx tsx scripts/ci/image-ref.ts images "$build_registry" "$repository")

digests=()
while read -r -u 3 service source_image; do
  digest=$(docker buildx imagetools inspect "${source_image}:${tag}" --format '{{json .Manifest}}' | jq -r .digest)
  [[ $digest =~ ^sha256:[0-9a-f]{64}$ ]] || die "no image ${source_image}:${tag} in the build registry"
  bash scripts/ci/verify-image.sh "${source_image}@${digest}" "$repository" "$commit" >&2
  digests+=("${service}=${digest}")
done 3<<<"$images"
echo "image-tag=${tag}"
echo "commit=${commit}"
echo "digests=${digests[*]}"
