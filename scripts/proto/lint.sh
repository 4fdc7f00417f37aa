#!/usr/bin/env bash
# `make proto-lint`: buf lint (STANDARD) and buf format on proto/, then buf breaking (FILE) against the proto/ of
# the main branch. The breaking check is skipped, with the reason printed, when there is nothing
# to compare against: no git repository, no commit on the branch yet, or no proto/ on it yet.
# PROTO_BREAKING_BRANCH overrides the branch to compare against (default: main).

source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

"$BUF" lint
echo "buf lint: ok"

if ! "$BUF" format --diff --exit-code; then
  echo "error: proto/ is not in buf's canonical format; run '$BUF format -w'" >&2
  exit 1
fi
echo "buf format: ok"

branch="${PROTO_BREAKING_BRANCH:-main}"

skip() {
  echo "buf breaking: skipped ($1)"
  exit 0
}

git rev-parse --git-dir >/dev/null 2>&1 || skip "not a git repository"
git rev-parse --verify --quiet "refs/heads/$branch^{commit}" >/dev/null ||
  skip "branch '$branch' has no commits yet"
[[ -n "$(git ls-tree -d "refs/heads/$branch" proto)" ]] ||
  skip "branch '$branch' has no proto/ directory yet"

# The common dir is the real .git directory, also from a linked worktree (where .git is a file).
git_dir="$(cd "$(git rev-parse --git-common-dir)" && pwd)"
if ! "$BUF" breaking proto --against "$git_dir#branch=$branch,subdir=proto"; then
  echo "error: proto/ has breaking changes against branch '$branch' (rules: FILE, see above)." >&2
  echo "Add a new field/message/version (e.g. quantumlayer.<domain>.v2) instead of changing one." >&2
  exit 1
fi
echo "buf breaking: ok (against $branch)"
