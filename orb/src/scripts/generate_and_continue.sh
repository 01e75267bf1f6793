#!/bin/sh
# The setup step: circle-fargate (installed by the orb's install command) writes the continuation config for
# this pipeline and continues the pipeline with it (`generate --continue`, which reads the
# continuation key from the environment: it never appears in a command line or log, and a
# retried continue is not mistaken for a failure).
# Inputs: CIRCLE_CONTINUATION_KEY, CF_BIN (/tmp/circle-fargate/install/node_modules/.bin/circle-fargate), CF_CONFIG, CF_TRIGGER_SOURCE, CF_BASE_REVISION,
# CF_DEPLOY_ENV, CF_OUT (/tmp/circle-fargate/continue.yml), CIRCLECI_API_URL (CircleCI's).
set -eu

fail() { printf 'generate_and_continue: %s\n' "$1" >&2 && exit 1; }

[ -n "${CIRCLE_CONTINUATION_KEY:-}" ] || fail "no continuation key: this runs only in a setup workflow (setup: true)"
bin="${CF_BIN:-/tmp/circle-fargate/install/node_modules/.bin/circle-fargate}"
[ -x "$bin" ] || fail "circle-fargate is not installed at $bin: run the orb's install command first"
out="${CF_OUT:-/tmp/circle-fargate/continue.yml}"
mkdir -p "$(dirname "$out")"

set -- generate --continue --out "$out" --trigger-source "${CF_TRIGGER_SOURCE:-webhook}"
[ -z "${CF_BASE_REVISION:-}" ] || set -- "$@" --base-revision "$CF_BASE_REVISION"
[ -z "${CF_DEPLOY_ENV:-}" ] || set -- "$@" --param "deploy_env=$CF_DEPLOY_ENV"
[ -z "${CF_CONFIG:-}" ] || set -- "$@" --config "$CF_CONFIG"
exec "$bin" "$@"
