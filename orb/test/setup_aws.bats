#!/usr/bin/env bats
# setup_aws: the OIDC token goes to a private file and a profile assumes the role with it.

load helpers

setup() {
  export HOME="$BATS_TEST_TMPDIR/home"
  mkdir -p "$HOME"
  export CF_ROLE_ARN=arn:aws:iam::123456789012:role/deploy CF_REGION=ap-northeast-1
  export CIRCLE_OIDC_TOKEN_V2=eyJ.secret-token.sig CIRCLE_PROJECT_REPONAME=monolith CIRCLE_BUILD_NUM=42
}

@test "writes a default profile that assumes the role with the token file" {
  run sh "$SCRIPTS/setup_aws.sh"
  [ "$status" -eq 0 ]
  [ "$(cat "$HOME/.aws/circleci-oidc-token")" = eyJ.secret-token.sig ]
  grep -qx 'role_arn = arn:aws:iam::123456789012:role/deploy' "$HOME/.aws/config"
  grep -qx "web_identity_token_file = $HOME/.aws/circleci-oidc-token" "$HOME/.aws/config"
  grep -qx 'role_session_name = circleci-monolith-42' "$HOME/.aws/config"
  grep -qx 'region = ap-northeast-1' "$HOME/.aws/config"
  [ "$(stat -c %a "$HOME/.aws/circleci-oidc-token")" = 600 ]
}

@test "never prints the token" {
  run sh "$SCRIPTS/setup_aws.sh"
  [ "$status" -eq 0 ]
  [[ "$output" != *secret-token* ]]
}

@test "refuses a role that is not an IAM role ARN" {
  CF_ROLE_ARN='arn:aws:iam::123:role/x' run sh "$SCRIPTS/setup_aws.sh"
  [ "$status" -eq 1 ]
  [[ "$output" == 'setup_aws: role_arn is not an IAM role ARN'* ]]
}

@test "refuses a role with a line break that would add profile settings" {
  CF_ROLE_ARN="arn:aws:iam::123456789012:role/x
credential_process = touch $BATS_TEST_TMPDIR/pwned" run sh "$SCRIPTS/setup_aws.sh"
  [ "$status" -eq 1 ]
  [ ! -e "$HOME/.aws/config" ]
}

@test "says a context is needed when there is no OIDC token" {
  unset CIRCLE_OIDC_TOKEN_V2
  run sh "$SCRIPTS/setup_aws.sh"
  [ "$status" -eq 1 ]
  [ "$output" = 'setup_aws: no OIDC token (CIRCLE_OIDC_TOKEN_V2): CircleCI issues one only to jobs that use a context' ]
}

@test "keeps hostile project names out of the session name" {
  CIRCLE_PROJECT_REPONAME='$(touch pwned) x' run sh "$SCRIPTS/setup_aws.sh"
  [ "$status" -eq 0 ]
  grep -qx 'role_session_name = circleci---touch-pwned--x-42' "$HOME/.aws/config"
}
