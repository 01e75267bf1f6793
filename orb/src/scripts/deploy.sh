#!/bin/sh
# Deploys an environment with circle-fargate (installed by the orb's install command): the image is the digest
# build_and_push_image wrote to the workspace (images/CF_IMAGE_NAME), or CF_IMAGE when given.
# Inputs: CF_ENVIRONMENT, CF_BIN (/tmp/circle-fargate/install/node_modules/.bin/circle-fargate), CF_IMAGE_NAME or CF_IMAGE, CF_CONFIG, CF_WORKSPACE.
# The deploy's write-ahead record (mode 0600: it holds the targets' inputs) is kept in the
# workspace, deploy-records/ENV.json, for the rollback step; stdout, the record's redacted
# summary, goes to deploy-summaries/ENV.json, the job's artifact.
set -eu

fail() { printf 'deploy: %s\n' "$1" >&2 && exit 1; }

environment="${CF_ENVIRONMENT:-}"
bin="${CF_BIN:-/tmp/circle-fargate/install/node_modules/.bin/circle-fargate}"
workspace="${CF_WORKSPACE:-/tmp/workspace}"
case "$environment" in '' | -* | */* | .*) fail "environment must be a name (got \"$environment\")" ;; esac
[ -x "$bin" ] || fail "circle-fargate is not installed at $bin: run the orb's install command first"
image="${CF_IMAGE:-}"
if [ -z "$image" ]; then
  name="${CF_IMAGE_NAME:-}"
  case "$name" in '' | */* | .*) fail "image_name must be a plain name, or image must be set (got \"$name\")" ;; esac
  [ -f "$workspace/images/$name" ] || fail "no image digest at $workspace/images/$name: build the image in this pipeline and attach the workspace"
  image=$(cat "$workspace/images/$name")
fi
mkdir -p "$workspace/deploy-records" "$workspace/deploy-summaries"
set -- deploy "$environment" --image "$image" --record "$workspace/deploy-records/$environment.json" --json
[ -z "${CF_CONFIG:-}" ] || set -- "$@" --config "$CF_CONFIG"
exec "$bin" "$@" > "$workspace/deploy-summaries/$environment.json"
