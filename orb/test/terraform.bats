#!/usr/bin/env bats
# terraform_plan and terraform_apply with a stand-in terraform: the apply runs exactly the plan
# saved at the same commit, and nothing when it has no changes.

load helpers

setup() {
  setup_stubs
  # plan exits with $PLAN_EXIT (2: changes, 0: none, 1: error) and writes the plan file.
  stub terraform 'case "$2" in plan) for a in "$@"; do case "$a" in -out=*) echo plan > "${a#-out=}";; esac; done; exit "${PLAN_EXIT:-2}";; show) echo "+ resource";; esac'
  cd "$BATS_TEST_TMPDIR"
  mkdir -p terraform/prod
  export CF_ROOT_DIR=terraform/prod CF_ROOT_NAME=prod CF_WORKSPACE=workspace CIRCLE_SHA1=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
}

@test "plan saves the plan, that it has changes, and the commit" {
  run sh "$SCRIPTS/terraform_plan.sh"
  [ "$status" -eq 0 ]
  out="$BATS_TEST_TMPDIR/workspace/terraform/prod"
  [ "$(cat "$out/changes")" = some ]
  [ "$(cat "$out/revision")" = "$CIRCLE_SHA1" ]
  [ "$(cat "$out/plan.txt")" = '+ resource' ]
  grep -qxF -- "-out=$out/tfplan" "$STUBS/terraform.args"
  grep -qxF -- '-chdir=terraform/prod' "$STUBS/terraform.args"
  grep -qxF -- '-detailed-exitcode' "$STUBS/terraform.args"
}

@test "plan records a plan without changes" {
  PLAN_EXIT=0 run sh "$SCRIPTS/terraform_plan.sh"
  [ "$status" -eq 0 ]
  [ "$(cat workspace/terraform/prod/changes)" = none ]
}

@test "plan fails when terraform fails" {
  PLAN_EXIT=1 run sh "$SCRIPTS/terraform_plan.sh"
  [ "$status" -eq 1 ]
  [[ "$output" == *'terraform_plan: terraform plan failed (exit 1)'* ]]
}

@test "apply applies exactly the saved plan" {
  sh "$SCRIPTS/terraform_plan.sh"
  : > "$STUBS/terraform.args"
  run sh "$SCRIPTS/terraform_apply.sh"
  [ "$status" -eq 0 ]
  expected="-chdir=terraform/prod
init
-input=false
--
-chdir=terraform/prod
apply
-input=false
-lock-timeout=5m
$BATS_TEST_TMPDIR/workspace/terraform/prod/tfplan
--"
  [ "$(cat "$STUBS/terraform.args")" = "$expected" ]
}

@test "apply does nothing when the plan has no changes" {
  PLAN_EXIT=0 sh "$SCRIPTS/terraform_plan.sh"
  : > "$STUBS/terraform.args"
  run sh "$SCRIPTS/terraform_apply.sh"
  [ "$status" -eq 0 ]
  [ "$output" = 'the plan of prod has no changes: nothing to apply' ]
  [ ! -s "$STUBS/terraform.args" ]
}

@test "apply refuses a plan made at another commit" {
  sh "$SCRIPTS/terraform_plan.sh"
  CIRCLE_SHA1=bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb run sh "$SCRIPTS/terraform_apply.sh"
  [ "$status" -eq 1 ]
  [ "$output" = "terraform_apply: the saved plan was made at $(printf 'a%.0s' $(seq 40)), not at this commit $(printf 'b%.0s' $(seq 40))" ]
}

@test "apply refuses to run without a saved plan" {
  run sh "$SCRIPTS/terraform_apply.sh"
  [ "$status" -eq 1 ]
  [[ "$output" == 'terraform_apply: no saved plan for prod in '* ]]
}

@test "a root name with a slash is refused" {
  CF_ROOT_NAME=../etc run sh "$SCRIPTS/terraform_plan.sh"
  [ "$status" -eq 1 ]
  [ "$output" = 'terraform_plan: root_name must be a plain name (got "../etc")' ]
}
