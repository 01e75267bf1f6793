#!/usr/bin/env bats
# generate_and_continue: circle-fargate generates and continues (generate --continue); the
# continuation key stays in the environment, out of every command line.

load helpers

setup() {
  setup_stubs
  # circle-fargate: writes a config where --out says.
  stub circle-fargate 'while [ $# -gt 0 ]; do if [ "$1" = --out ]; then printf "version: 2.1\n" > "$2"; fi; shift; done'
  export CIRCLE_CONTINUATION_KEY=secret-continuation-key CF_BIN="$STUBS/bin/circle-fargate" CF_OUT="$BATS_TEST_TMPDIR/out/continue.yml"
  export CF_TRIGGER_SOURCE=api CF_BASE_REVISION='<nil>' CF_DEPLOY_ENV=pre
}

@test "generates and continues with the pipeline's values" {
  run sh "$SCRIPTS/generate_and_continue.sh"
  [ "$status" -eq 0 ]
  [ "$(cat "$STUBS/circle-fargate.args")" = "generate
--continue
--out
$CF_OUT
--trigger-source
api
--base-revision
<nil>
--param
deploy_env=pre
--" ]
  [ -f "$CF_OUT" ]
}

@test "keeps the continuation key out of command lines and output" {
  run sh "$SCRIPTS/generate_and_continue.sh"
  [ "$status" -eq 0 ]
  ! grep -q secret-continuation-key "$STUBS/circle-fargate.args"
  [[ "$output" != *secret-continuation-key* ]]
}

@test "refuses to run outside a setup workflow" {
  unset CIRCLE_CONTINUATION_KEY
  run sh "$SCRIPTS/generate_and_continue.sh"
  [ "$status" -eq 1 ]
  [ "$output" = 'generate_and_continue: no continuation key: this runs only in a setup workflow (setup: true)' ]
}

@test "fails as circle-fargate fails" {
  stub circle-fargate 'exit 2'
  run sh "$SCRIPTS/generate_and_continue.sh"
  [ "$status" -eq 2 ]
}

@test "passes a hostile deploy_env as one argument" {
  CF_DEPLOY_ENV="\$(touch $BATS_TEST_TMPDIR/pwned)" run sh "$SCRIPTS/generate_and_continue.sh"
  [ "$status" -eq 0 ]
  grep -qxF "deploy_env=\$(touch $BATS_TEST_TMPDIR/pwned)" "$STUBS/circle-fargate.args"
  [ ! -e "$BATS_TEST_TMPDIR/pwned" ]
}
