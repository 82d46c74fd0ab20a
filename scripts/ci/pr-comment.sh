#!/usr/bin/env bash
# Posts a file as a pull request comment, or updates this workflow's earlier comment that starts with
# the same marker line, so a PR carries one diff comment per environment rather than one per push.
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=scripts/ci/lib.sh
source scripts/ci/lib.sh

pr=${1:?usage: pr-comment.sh <pr-number> <file>}
file=${2:?usage: pr-comment.sh <pr-number> <file>}
[[ $pr =~ ^[0-9]+$ ]] || die "pull request number must be digits, got '$pr'"
[ -s "$file" ] || die "comment file '$file' is empty or missing"
repo=${GITHUB_REPOSITORY:?GITHUB_REPOSITORY is not set}
marker=$(head -n 1 "$file")
[[ $marker =~ ^\<!--\ [a-z0-9:-]+\ --\>$ ]] || die "the comment must start with a marker line, got '$marker'"

existing=$(gh api --paginate "repos/${repo}/issues/${pr}/comments" \
  --jq ".[] | select(.user.login == \"github-actions[bot]\" and (.body | startswith(\"${marker}\"))) | .id" |
  tail -n 1)
if [ -n "$existing" ]; then
  gh api --method PATCH "repos/${repo}/issues/comments/${existing}" --field "body=@${file}" >/dev/null
  echo "updated comment ${existing} on #${pr}"
else
  gh api --method POST "repos/${repo}/issues/${pr}/comments" --field "body=@${file}" >/dev/null
  echo "commented on #${pr}"
fi
