#!/usr/bin/env bats
# deploy: the installed circle-fargate, with the digest saved by the build.

load helpers

setup() {
  setup_stubs
  stub circle-fargate
  export CF_WORKSPACE="$BATS_TEST_TMPDIR/workspace" CF_ENVIRONMENT=pre CF_BIN="$STUBS/bin/circle-fargate" CF_IMAGE_NAME=app
  mkdir -p "$CF_WORKSPACE/images"
  echo '123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/acme/app@sha256:abc' > "$CF_WORKSPACE/images/app"
}

@test "deploys the saved digest with the installed circle-fargate" {
  run sh "$SCRIPTS/deploy.sh"
  [ "$status" -eq 0 ]
  [ "$(cat "$STUBS/circle-fargate.args")" = $'deploy\npre\n--image\n123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/acme/app@sha256:abc\n--record\n'"$CF_WORKSPACE"$'/deploy-records/pre.json\n--json\n--' ]
}

@test "passes the description file and a given image" {
  CF_CONFIG='ci/my config.ts' CF_IMAGE=repo@sha256:def run sh "$SCRIPTS/deploy.sh"
  [ "$status" -eq 0 ]
  [ "$(cat "$STUBS/circle-fargate.args")" = $'deploy\npre\n--image\nrepo@sha256:def\n--record\n'"$CF_WORKSPACE"$'/deploy-records/pre.json\n--json\n--config\nci/my config.ts\n--' ]
}

@test "passes wait_until on, unless the description decides" {
  CF_WAIT_UNTIL=serving run sh "$SCRIPTS/deploy.sh"
  [ "$status" -eq 0 ]
  [ "$(cat "$STUBS/circle-fargate.args")" = $'deploy\npre\n--image\n123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/acme/app@sha256:abc\n--record\n'"$CF_WORKSPACE"$'/deploy-records/pre.json\n--json\n--wait-until\nserving\n--' ]
  # Any other value is one argument for circle-fargate to refuse, never shell code.
  rm "$STUBS/circle-fargate.args"
  CF_WAIT_UNTIL='serving; touch pwned' run sh "$SCRIPTS/deploy.sh"
  [ "$(sed -n 8,9p "$STUBS/circle-fargate.args")" = $'--wait-until\nserving; touch pwned' ]
  [ ! -e pwned ]
}

@test "refuses an environment that would read as an option" {
  CF_ENVIRONMENT=--help run sh "$SCRIPTS/deploy.sh"
  [ "$status" -eq 1 ]
  [ ! -e "$STUBS/circle-fargate.args" ]
}

@test "says how to install circle-fargate when it is not installed" {
  CF_BIN="$BATS_TEST_TMPDIR/none/circle-fargate" run sh "$SCRIPTS/deploy.sh"
  [ "$status" -eq 1 ]
  [ "$output" = "deploy: circle-fargate is not installed at $BATS_TEST_TMPDIR/none/circle-fargate: run the orb's install command first" ]
}

@test "says what is missing when the build saved no digest" {
  rm "$CF_WORKSPACE/images/app"
  run sh "$SCRIPTS/deploy.sh"
  [ "$status" -eq 1 ]
  [[ "$output" == "deploy: no image digest at $CF_WORKSPACE/images/app: build the image in this pipeline and attach the workspace" ]]
}

@test "keeps the record in the workspace and the summary (stdout) beside it for the artifact" {
  stub circle-fargate 'echo "{\"outcome\":\"deployed\"}"'
  run sh "$SCRIPTS/deploy.sh"
  [ "$status" -eq 0 ]
  [ -d "$CF_WORKSPACE/deploy-records" ]
  [ "$(cat "$CF_WORKSPACE/deploy-summaries/pre.json")" = '{"outcome":"deployed"}' ]
}

@test "rollback step: restores from the record unless it says the deploy finished" {
  mkdir -p "$CF_WORKSPACE/deploy-records"
  echo '{}' > "$CF_WORKSPACE/deploy-records/pre.json"
  run sh "$SCRIPTS/deploy_rollback.sh"
  [ "$status" -eq 0 ]
  [ "$(cat "$STUBS/circle-fargate.args")" = $'rollback\n--record\n'"$CF_WORKSPACE"$'/deploy-records/pre.json\n--if-incomplete\n--json\n--' ]
}

@test "rollback step: no record means the deploy changed nothing" {
  run sh "$SCRIPTS/deploy_rollback.sh"
  [ "$status" -eq 0 ]
  [[ "$output" == *"no record at $CF_WORKSPACE/deploy-records/pre.json"* ]]
  [ ! -e "$STUBS/circle-fargate.args" ]
}

@test "rollback step: passes the exit code of an incomplete restore on (3)" {
  mkdir -p "$CF_WORKSPACE/deploy-records"
  echo '{}' > "$CF_WORKSPACE/deploy-records/pre.json"
  stub circle-fargate 'exit 3'
  run sh "$SCRIPTS/deploy_rollback.sh"
  [ "$status" -eq 3 ]
}

@test "markers: a hostile image value reaches circleci as one argument and never runs" {
  stub circleci
  CF_MARKERS=true CIRCLE_SHA1=0123456789abcdef CF_IMAGE='repo@sha256:$(touch pwned);x' run sh "$SCRIPTS/deploy.sh"
  [ "$status" -eq 0 ]
  [ ! -e pwned ]
  [ "$(head -7 "$STUBS/circleci.args")" = $'run\nrelease\nplan\ncircle-fargate-pre\n--environment-name=pre\n--component-name=app\n--target-version=0123456789ab sha256:$(touch pwned);x' ]
}

@test "notify step: sends nothing when notify is none, and never fails the job" {
  CF_NOTIFY=none run sh "$SCRIPTS/deploy_notify.sh"
  [ "$status" -eq 0 ]
  [ ! -e "$STUBS/circle-fargate.args" ]
  stub circle-fargate 'exit 9'
  CF_NOTIFY=slack CF_NOTIFY_ON=failure,success run sh "$SCRIPTS/deploy_notify.sh"
  [ "$status" -eq 0 ]
  [ "$output" = "deploy notify: circle-fargate notify exited 9; no message sent, the deploy result stands" ]
  [ "$(cat "$STUBS/circle-fargate.args")" = $'notify\npre\n--summary\n'"$CF_WORKSPACE"$'/deploy-summaries/pre.json\n--record\n'"$CF_WORKSPACE"$'/deploy-records/pre.json\n--webhook\nslack\n--on\nfailure,success\n--kind\ndeploy\n--url-variable\nCIRCLE_FARGATE_WEBHOOK_URL\n--' ]
}
