#!/usr/bin/env bash
# Re-resolves the base image tags pinned in services/Dockerfile to the digest of their current
# multi-arch index and rewrites the ARG defaults in place. Needs a registry client: `crane`
# (go-containerregistry) or `docker buildx imagetools`. CI runs it on a schedule and opens a PR with
# the diff; review the new digests (release notes, scan results) before merging.
set -euo pipefail
cd "$(dirname "$0")/.."

resolve() {
  local ref=$1
  if command -v crane >/dev/null 2>&1; then
    crane digest "$ref"
  else
    docker buildx imagetools inspect "$ref" --format '{{json .Manifest}}' | node -e \
      'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).digest))'
  fi
}

for file in services/Dockerfile; do
  for arg in BUILD_IMAGE RUNTIME_IMAGE; do
    current=$(sed -n "s/^ARG ${arg}=\(.*\)$/\1/p" "$file")
    [ -n "$current" ] || continue
    tag=${current%@sha256:*}
    digest=$(resolve "$tag")
    if [[ ! $digest =~ ^sha256:[0-9a-f]{64}$ ]]; then
      echo "refresh-base-digests: could not resolve $tag (got '$digest')" >&2
      exit 1
    fi
    sed -i "s|^ARG ${arg}=.*$|ARG ${arg}=${tag}@${digest}|" "$file"
    echo "$file: $arg = $tag@$digest"
  done
done
