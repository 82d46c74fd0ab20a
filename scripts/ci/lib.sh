#!/usr/bin/env bash
# Helpers shared by the CI scripts (sourced, not run).

die() {
  echo "::error::$*" >&2
  exit 1
}

# The resource prefix of an environment, as lib/config names it.
prefix_of() {
  case "${1:-}" in
  dev | staging | prod) echo "axon-orbit-$1" ;;
  *) die "environment must be dev, staging or prod, got '${1:-}'" ;;
  esac
}

# Orbit's ECS cluster and service; GitHub environment variables may override the naming convention.
orbit_cluster() { echo "${ECS_CLUSTER:-$(prefix_of "$1")}"; }
orbit_service() { echo "${ORBIT_SERVICE:-$(prefix_of "$1")-orbit}"; }

# The commit an image tag was built from: a git SHA tag is the commit; a release version is the
# commit its tag v<version> points at (needs the tags in the checkout).
commit_of_tag() {
  local tag=${1:-}
  if [[ $tag =~ ^[0-9a-f]{40}$ ]]; then
    echo "$tag"
  elif [[ $tag =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]]; then
    git rev-parse --verify --quiet "refs/tags/v${tag}^{commit}" || die "no git tag v${tag} in this checkout"
  else
    die "image tag must be a git SHA or a release version, got '${tag}'"
  fi
}

# One service's digest from IMAGE_DIGESTS ("axon=sha256:… orbit=sha256:…"), as resolve-build.sh prints it.
digest_of() {
  local service=${1:?} entry
  for entry in ${IMAGE_DIGESTS:-}; do
    if [ "${entry%%=*}" = "$service" ]; then
      [[ ${entry#*=} =~ ^sha256:[0-9a-f]{64}$ ]] || die "IMAGE_DIGESTS has no digest for ${service}: '${entry}'"
      echo "${entry#*=}"
      return
    fi
  done
  die "IMAGE_DIGESTS names no digest for ${service} (expected \"axon=sha256:… orbit=sha256:…\")"
}
