#!/usr/bin/env bash
# Prints `ref=<image>@<digest>` and `arch=<arch>` of one platform's manifest inside a pushed
# multi-platform index, so the scan and the SBOM cover the image that platform actually runs
# (Fargate pulls linux/arm64), not whichever manifest a scanner picks by default.
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=scripts/ci/lib.sh
source scripts/ci/lib.sh

usage="usage: platform-digest.sh <image@sha256:index-digest> <os/arch>"
ref=${1:?$usage}
platform=${2:?$usage}
[[ $ref =~ ^([^@]+)@sha256:[0-9a-f]{64}$ ]] || die "expected an image by digest, got '$ref'"
image=${BASH_REMATCH[1]}
[[ $platform =~ ^linux/(amd64|arm64)$ ]] || die "platform must be linux/amd64 or linux/arm64, got '$platform'"
os=${platform%/*}
arch=${platform#*/}

# Attestation manifests (provenance) sit in the index as platform unknown/unknown and are skipped.
digest=$(docker buildx imagetools inspect "$ref" --raw |
  jq -r --arg os "$os" --arg arch "$arch" \
    '[.manifests[] | select(.platform.os == $os and .platform.architecture == $arch)] | if length == 1 then .[0].digest else empty end')
[[ $digest =~ ^sha256:[0-9a-f]{64}$ ]] || die "${ref} has no single ${platform} manifest"
echo "ref=${image}@${digest}"
echo "arch=${arch}"
