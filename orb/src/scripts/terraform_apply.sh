#!/bin/sh
# Applies exactly the plan terraform_plan saved in this pipeline's workspace: refuses a plan made
# at another commit, and applies nothing when the plan has no changes. The lock file the plan
# was made with is put back, and init may not change it: the apply runs the planned providers.
# Inputs: CF_ROOT_DIR, CF_ROOT_NAME, CF_WORKSPACE (/tmp/workspace), CIRCLE_SHA1.
set -eu

fail() { printf 'terraform_apply: %s\n' "$1" >&2 && exit 1; }

root="${CF_ROOT_DIR:-}"
name="${CF_ROOT_NAME:-}"
workspace="${CF_WORKSPACE:-/tmp/workspace}"
[ -n "$root" ] || fail "root_dir is empty"
case "$name" in '' | */* | .*) fail "root_name must be a plain name (got \"$name\")" ;; esac
case "$workspace" in /*) ;; *) workspace="$PWD/$workspace" ;; esac
out="$workspace/terraform/$name"
if [ ! -f "$out/tfplan" ] || [ ! -f "$out/changes" ]; then
  fail "no saved plan for $name in $out: run terraform_plan first in this pipeline and attach the workspace"
fi
planned_at=$(cat "$out/revision" 2> /dev/null || echo unknown)
[ "$planned_at" = "${CIRCLE_SHA1:-unknown}" ] || fail "the saved plan was made at $planned_at, not at this commit ${CIRCLE_SHA1:-unknown}"
if [ "$(cat "$out/changes")" = none ]; then
  echo "the plan of $name has no changes: nothing to apply"
  exit 0
fi
TF_PLUGIN_CACHE_DIR="$HOME/.terraform.d/plugin-cache"
export TF_PLUGIN_CACHE_DIR
mkdir -p "$TF_PLUGIN_CACHE_DIR"
if [ "$(cat "$out/.terraform.lock.hcl" 2> /dev/null || true)" != 'no providers' ] && [ -f "$out/.terraform.lock.hcl" ]; then
  cp "$out/.terraform.lock.hcl" "$root/.terraform.lock.hcl"
  terraform -chdir="$root" init -input=false -lockfile=readonly
else
  terraform -chdir="$root" init -input=false
fi
terraform -chdir="$root" apply -input=false -lock-timeout=5m "$out/tfplan"
