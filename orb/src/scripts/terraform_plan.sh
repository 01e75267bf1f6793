#!/bin/sh
# Plans a root module and saves the plan, with whether it changes anything and the commit it
# was made at, to the workspace (terraform/CF_ROOT_NAME/), for terraform_apply.
# Inputs: CF_ROOT_DIR, CF_ROOT_NAME, CF_WORKSPACE (/tmp/workspace), CIRCLE_SHA1.
set -eu

fail() {
  printf 'terraform_plan: %s\n' "$1" >&2
  exit 1
}

root="${CF_ROOT_DIR:-}"
name="${CF_ROOT_NAME:-}"
workspace="${CF_WORKSPACE:-/tmp/workspace}"
[ -n "$root" ] || fail "root_dir is empty"
[ -d "$root" ] || fail "root_dir $root is not a directory"
case "$name" in '' | */* | .*) fail "root_name must be a plain name (got \"$name\")" ;; esac
case "$workspace" in /*) ;; *) workspace="$PWD/$workspace" ;; esac
out="$workspace/terraform/$name"
mkdir -p "$out"

terraform -chdir="$root" init -input=false
set +e
terraform -chdir="$root" plan -input=false -lock-timeout=5m -detailed-exitcode -out="$out/tfplan"
status=$?
set -e
case "$status" in
  0) echo none > "$out/changes" ;;
  2) echo some > "$out/changes" ;;
  *) fail "terraform plan failed (exit $status)" ;;
esac
printf '%s\n' "${CIRCLE_SHA1:-unknown}" > "$out/revision"
terraform -chdir="$root" show -no-color "$out/tfplan" > "$out/plan.txt"
echo "plan of $name saved: $(cat "$out/changes") changes"
