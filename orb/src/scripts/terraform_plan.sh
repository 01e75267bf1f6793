#!/bin/sh
# Plans a root module and saves the plan, with whether it changes anything, the commit it was
# made at and the dependency lock file, to the workspace (terraform/CF_ROOT_NAME/), for
# terraform_apply. Providers come from the plugin cache (~/.terraform.d/plugin-cache).
# Inputs: CF_ROOT_DIR, CF_ROOT_NAME, CF_WORKSPACE (/tmp/workspace), CIRCLE_SHA1.
set -eu

fail() { printf 'terraform_plan: %s\n' "$1" >&2 && exit 1; }

root="${CF_ROOT_DIR:-}"
name="${CF_ROOT_NAME:-}"
workspace="${CF_WORKSPACE:-/tmp/workspace}"
[ -n "$root" ] || fail "root_dir is empty"
[ -d "$root" ] || fail "root_dir $root is not a directory"
case "$name" in '' | */* | .*) fail "root_name must be a plain name (got \"$name\")" ;; esac
case "$workspace" in /*) ;; *) workspace="$PWD/$workspace" ;; esac
out="$workspace/terraform/$name"
mkdir -p "$out"
TF_PLUGIN_CACHE_DIR="$HOME/.terraform.d/plugin-cache"
export TF_PLUGIN_CACHE_DIR
mkdir -p "$TF_PLUGIN_CACHE_DIR"

terraform -chdir="$root" init -input=false
# The apply installs exactly these providers: the lock file travels with the plan.
if [ -f "$root/.terraform.lock.hcl" ]; then
  cp "$root/.terraform.lock.hcl" "$out/.terraform.lock.hcl"
else
  echo 'no providers' > "$out/.terraform.lock.hcl"
fi
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
