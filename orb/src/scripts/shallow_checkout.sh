#!/bin/sh
# Checks out exactly the pipeline's commit (CIRCLE_SHA1), CF_DEPTH commits deep, from the
# repository URL CircleCI gives: never a full clone. Works for branches, tags and pull requests,
# and when the branch has moved on since the pipeline started.
# Inputs: CIRCLE_REPOSITORY_URL, CIRCLE_SHA1, CIRCLE_BRANCH or CIRCLE_TAG, CF_DEPTH (1),
# CF_PATH (.), CF_MAX_DEPTH (1000), CHECKOUT_KEY (CircleCI's checkout key, if any).
set -eu

fail() { printf 'shallow_checkout: %s\n' "$1" >&2 && exit 1; }

depth="${CF_DEPTH:-1}"
max_depth="${CF_MAX_DEPTH:-1000}"
case "$depth" in '' | *[!0-9]* | 0) fail "depth must be a positive whole number (got \"$depth\")" ;; esac
case "$max_depth" in '' | *[!0-9]* | 0) fail "max_depth must be a positive whole number (got \"$max_depth\")" ;; esac
[ -n "${CIRCLE_REPOSITORY_URL:-}" ] || fail "CIRCLE_REPOSITORY_URL is not set: run this in a CircleCI job"
[ -n "${CIRCLE_SHA1:-}" ] || fail "CIRCLE_SHA1 is not set: run this in a CircleCI job"
case "$CIRCLE_SHA1" in *[!0-9a-f]*) fail "CIRCLE_SHA1 is not a commit SHA" ;; esac

if [ -n "${CHECKOUT_KEY:-}" ]; then
  mkdir -p "$HOME/.ssh"
  chmod 700 "$HOME/.ssh"
  key="$HOME/.ssh/id_circle_fargate_checkout"
  (umask 077 && printf '%s\n' "$CHECKOUT_KEY" > "$key")
  # git runs GIT_SSH_COMMAND through a shell, so the quotes around the key's path are meant.
  # shellcheck disable=SC2089,SC2090
  GIT_SSH_COMMAND="ssh -i \"$key\" -o IdentitiesOnly=yes -o StrictHostKeyChecking=accept-new"
  # shellcheck disable=SC2090
  export GIT_SSH_COMMAND
fi

dir="${CF_PATH:-.}"
mkdir -p "$dir"
cd "$dir"
[ -d .git ] || git init --quiet
git remote remove origin > /dev/null 2>&1 || true
git remote add origin "$CIRCLE_REPOSITORY_URL"

if ! git fetch --quiet --no-tags --depth "$depth" origin "$CIRCLE_SHA1"; then
  # Some servers refuse a commit asked for by SHA: fetch the ref the pipeline is for instead,
  # deeper and deeper until the commit is in it (the branch may have moved on).
  if [ -n "${CIRCLE_TAG:-}" ]; then
    ref="refs/tags/$CIRCLE_TAG"
  elif [ -n "${CIRCLE_BRANCH:-}" ]; then
    case "$CIRCLE_BRANCH" in
      pull/[0-9]*) ref="refs/$CIRCLE_BRANCH/head" ;;
      *) ref="refs/heads/$CIRCLE_BRANCH" ;;
    esac
  else
    fail "the server will not serve $CIRCLE_SHA1 by SHA, and no branch or tag is set to fetch instead"
  fi
  try="$depth"
  while :; do
    git fetch --quiet --no-tags --depth "$try" origin "+$ref:refs/remotes/origin/circle-fargate-checkout" ||
      fail "cannot fetch $ref"
    git cat-file -e "$CIRCLE_SHA1^{commit}" 2> /dev/null && break
    [ "$try" -lt "$max_depth" ] || fail "$CIRCLE_SHA1 is not within $max_depth commits of $ref"
    try=$((try * 4))
    [ "$try" -le "$max_depth" ] || try="$max_depth"
  done
fi

git -c advice.detachedHead=false checkout --quiet --force "$CIRCLE_SHA1"
if [ -n "${CIRCLE_TAG:-}" ]; then
  git update-ref "refs/tags/$CIRCLE_TAG" HEAD 2> /dev/null || echo "note: tag name not usable as a git ref; HEAD stays detached"
elif [ -n "${CIRCLE_BRANCH:-}" ]; then
  if git update-ref "refs/heads/$CIRCLE_BRANCH" HEAD 2> /dev/null; then
    git symbolic-ref HEAD "refs/heads/$CIRCLE_BRANCH"
  else
    echo "note: branch name not usable as a git ref; HEAD stays detached"
  fi
fi
printf 'checked out %s (depth %s)\n' "$(git rev-parse HEAD)" "$depth"
