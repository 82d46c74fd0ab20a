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
