#!/bin/sh
# The setup step: circle-fargate (at the orb's own version) writes the continuation config for
# this pipeline, which is then posted to CircleCI's continue endpoint. The continuation key is
# read from the environment by jq and sent on stdin: it never appears in a command line or log.
# Inputs: CIRCLE_CONTINUATION_KEY, CF_VERSION, CF_CONFIG, CF_TRIGGER_SOURCE, CF_BASE_REVISION,
# CF_DEPLOY_ENV, CF_OUT (/tmp/circle-fargate/continue.yml), CF_API_URL (https://circleci.com/api/v2).
set -eu

fail() {
  printf 'generate_and_continue: %s\n' "$1" >&2
  exit 1
}

[ -n "${CIRCLE_CONTINUATION_KEY:-}" ] || fail "no continuation key: this runs only in a setup workflow (setup: true)"
version="${CF_VERSION:-}"
case "$version" in '' | *[!0-9A-Za-z.+-]*) fail "version is not a package version (got \"$version\")" ;; esac
out="${CF_OUT:-/tmp/circle-fargate/continue.yml}"
mkdir -p "$(dirname "$out")"

set -- generate --out "$out" --trigger-source "${CF_TRIGGER_SOURCE:-webhook}"
[ -z "${CF_BASE_REVISION:-}" ] || set -- "$@" --base-revision "$CF_BASE_REVISION"
[ -z "${CF_DEPLOY_ENV:-}" ] || set -- "$@" --param "deploy_env=$CF_DEPLOY_ENV"
[ -z "${CF_CONFIG:-}" ] || set -- "$@" --config "$CF_CONFIG"
npx --yes "circle-fargate@$version" "$@"

jq -n --rawfile configuration "$out" '{"continuation-key": env.CIRCLE_CONTINUATION_KEY, "configuration": $configuration}' |
  curl --silent --show-error --fail-with-body --retry 3 \
    --header 'Content-Type: application/json' --data-binary @- \
    "${CF_API_URL:-https://circleci.com/api/v2}/pipeline/continue"
echo
echo "pipeline continued with $out"
