#!/bin/sh
# Runs when the deploy step failed or was stopped: restores the before state from the deploy's
# record in the workspace, unless the record says the deploy completed or already verifiably
# rolled back (rollback --if-incomplete). A killed deploy or one that exited 3 is finished here.
# Exit 3: not everything could be restored; the record lists what is left.
# Inputs: CF_ENVIRONMENT, CF_VERSION, CF_WORKSPACE.
set -eu

fail() {
  printf 'deploy rollback: %s\n' "$1" >&2
  exit 1
}

environment="${CF_ENVIRONMENT:-}"
version="${CF_VERSION:-}"
workspace="${CF_WORKSPACE:-/tmp/workspace}"
case "$environment" in '' | -* | */* | .*) fail "environment must be a name (got \"$environment\")" ;; esac
case "$version" in '' | *[!0-9A-Za-z.+-]*) fail "version is not a package version (got \"$version\")" ;; esac
record="$workspace/deploy-records/$environment.json"
if [ ! -f "$record" ]; then
  printf 'deploy rollback: no record at %s: the deploy failed before changing anything\n' "$record"
  exit 0
fi
mkdir -p "$workspace/deploy-summaries"
exec npx --yes "circle-fargate@$version" rollback --record "$record" --if-incomplete --json > "$workspace/deploy-summaries/$environment.json"
