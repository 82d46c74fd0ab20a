#!/usr/bin/env bash
# Verifies an image's keyless cosign signature: it must have been signed by build.yml of this
# repository, running on main or on a release tag, with a GitHub Actions OIDC identity, at the given
# commit (the certificate's workflow SHA), so a digest cannot be paired with another commit's code.
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=scripts/ci/lib.sh
source scripts/ci/lib.sh

usage="usage: verify-image.sh <image@sha256:digest> <owner/repo> <commit-sha>"
ref=${1:?$usage}
repository=${2:?$usage}
commit=${3:?$usage}
[[ $commit =~ ^[0-9a-f]{40}$ ]] || die "commit must be a 40-character git SHA, got '$commit'"
[[ $ref =~ @sha256:[0-9a-f]{64}$ ]] || die "verify by digest, not by tag: got '$ref'"
[[ $repository =~ ^[A-Za-z0-9][A-Za-z0-9-]*/[A-Za-z0-9._-]+$ ]] || die "repository must be owner/name, got '$repository'"

escaped=${repository//./\\.}
identity="^https://github\\.com/${escaped}/\\.github/workflows/build\\.yml@refs/(heads/main|tags/v[0-9]+\\.[0-9]+\\.[0-9]+)$"
cosign verify "$ref" \
  --certificate-oidc-issuer https://token.actions.githubusercontent.com \
  --certificate-identity-regexp "$identity" \
  --certificate-github-workflow-repository "$repository" \
  --certificate-github-workflow-sha "$commit" >/dev/null
echo "signature verified: $ref (built from ${commit})"
