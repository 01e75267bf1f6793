#!/bin/sh
# Runs when the deploy step failed or was stopped: restores the before state from the deploy's
# record in the workspace, unless the record says the deploy completed or already verifiably
# rolled back (rollback --if-incomplete). A killed deploy or one that exited 3 is finished here.
# Exit 3: not everything could be restored; the record lists what is left.
# Inputs: CF_ENVIRONMENT, CF_BIN (/tmp/circle-fargate/install/node_modules/.bin/circle-fargate), CF_WORKSPACE.
set -eu

fail() { printf 'deploy rollback: %s\n' "$1" >&2 && exit 1; }

environment="${CF_ENVIRONMENT:-}"
bin="${CF_BIN:-/tmp/circle-fargate/install/node_modules/.bin/circle-fargate}"
workspace="${CF_WORKSPACE:-/tmp/workspace}"
case "$environment" in '' | -* | */* | .*) fail "environment must be a name (got \"$environment\")" ;; esac
record="$workspace/deploy-records/$environment.json"
if [ ! -f "$record" ]; then
  printf 'deploy rollback: no record at %s: the deploy failed before changing anything\n' "$record"
  exit 0
fi
[ -x "$bin" ] || fail "circle-fargate is not installed at $bin: the record at $record is left for \`circle-fargate rollback --record\`"
mkdir -p "$workspace/deploy-summaries"
exec "$bin" rollback --record "$record" --if-incomplete --json > "$workspace/deploy-summaries/$environment.json"
