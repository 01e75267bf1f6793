#!/bin/sh
# Deploys an environment with circle-fargate (installed by the orb's install command): the image is the digest
# build_and_push_image wrote to the workspace (images/CF_IMAGE_NAME), or CF_IMAGE when given.
# Inputs: CF_ENVIRONMENT, CF_BIN (/tmp/circle-fargate/install/node_modules/.bin/circle-fargate), CF_IMAGE_NAME or CF_IMAGE, CF_CONFIG, CF_WORKSPACE,
# CF_WAIT_UNTIL (description, complete or serving), CF_MARKERS (true: CircleCI deploy markers), CF_COMPONENT (the marker's component), CF_TARGET_VERSION and CF_DEPLOY_KIND (set by the deploy_version job).
# The deploy's write-ahead record (mode 0600: it holds the targets' inputs) is kept in the
# workspace, deploy-records/ENV.json, for the rollback step; stdout, the record's redacted
# summary, goes to deploy-summaries/ENV.json, the job's artifact.
#
# Deploy markers (https://circleci.com/docs/guides/deploy/configure-deploy-markers/): "Deploy
# markers provide a lightweight way to log your deployments ... you will see a timeline of
# deployments in the Deploys UI". `circleci run release plan NAME --environment-name=...
# --component-name=... --target-version=...` creates the pending deploy before anything changes,
# `circleci run release update NAME --status=RUNNING|SUCCESS|FAILED|CANCELED` moves it. A marker
# call that fails is reported in one line and never fails the deploy. Every value reaches
# `circleci` as a quoted argument, never as shell code.
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
summary="$workspace/deploy-summaries/$environment.json"
set -- deploy "$environment" --image "$image" --record "$workspace/deploy-records/$environment.json" --json
[ -z "${CF_CONFIG:-}" ] || set -- "$@" --config "$CF_CONFIG"
[ "${CF_WAIT_UNTIL:-description}" = description ] || set -- "$@" --wait-until "$CF_WAIT_UNTIL"

# mark VERB ARGS: `circleci run release VERB circle-fargate-ENV ARGS` (one marker per deploy job:
# the name ties the plan to its updates), when CF_MARKERS is true; a failure is one line.
mark() { [ "${CF_MARKERS:-false}" != true ] || { verb=$1 && shift && circleci run release "$verb" "circle-fargate-$environment" "$@" >&2; } || printf 'deploy marker: circleci run release %s failed (exit %s): the deploy goes on\n' "$verb" "$?" >&2; }
# Component: the image deployed (CF_IMAGE_NAME; CF_COMPONENT overrides it); version: the
# pipeline's commit, readable, and the image's digest, exact (after the @ of repository@sha256:...),
# or, in a rollback or promote pipeline (deploy_version), the version chosen (CF_TARGET_VERSION),
# flagged --rollback for a rollback (CF_DEPLOY_KIND rollback).
rollback='' && [ "${CF_DEPLOY_KIND:-deploy}" != rollback ] || rollback=--rollback
mark plan --environment-name="$environment" --component-name="${CF_COMPONENT:-${CF_IMAGE_NAME:-$environment}}" --target-version="${CF_TARGET_VERSION:-$(printf '%.12s' "${CIRCLE_SHA1:-}") ${image#*@}}" ${rollback:+"$rollback"}
mark update --status=RUNNING

# The deploy runs as a child so that a SIGTERM or SIGINT to this step (CircleCI does not document
# signalling a canceled job's steps; when it does) is passed on as SIGTERM (the deploy restores what
# it changed, then exits) and the marker is CANCELED. A background child of a non-interactive
# shell ignores SIGINT, so both are passed on as SIGTERM. A trapped signal ends a wait while the
# deploy is still restoring: wait again until it has exited.
"$bin" "$@" > "$summary" & child=$! canceled='' status=0
trap 'canceled=c; kill -TERM "$child" 2>/dev/null || :' TERM INT HUP
while wait "$child" || status=$?; kill -0 "$child" 2>/dev/null; do status=0; done
case "$canceled$status" in c*) result=CANCELED ;; 0) result=SUCCESS ;; *) result=FAILED ;; esac
mark update --status="$result"
# A failed deploy's record (its summary) says whether everything it changed is back.
[ "$status" -eq 0 ] || { printf 'deploy: failed (exit %s); the record says %s (rolled-back: everything it changed is back; not-restored: not everything, see deploy-summaries/%s.json)\n' "$status" "$(sed -n 's/.*"outcome":"\([a-z-]*\)".*/\1/p' "$summary" 2> /dev/null | grep . || echo 'nothing yet: the rollback step finishes it')" "$environment" >&2; exit "$status"; }
