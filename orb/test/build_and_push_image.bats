#!/usr/bin/env bats
# build_and_push_image with stand-in aws and docker that record their arguments.

load helpers

setup() {
  setup_stubs
  stub aws 'echo ecr-password'
  stub docker 'if [ "$1" = inspect ]; then echo "123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/acme/app@sha256:abc123"; fi'
  export CF_REPOSITORY=123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/acme/app CF_IMAGE_NAME=app
  export CF_WORKSPACE="$BATS_TEST_TMPDIR/workspace" CIRCLE_SHA1=0123456789abcdef0123456789abcdef01234567
  export CF_DOCKERFILE=docker/prod/app/Dockerfile CF_CONTEXT=.
}

@test "logs in to ECR, builds, pushes by commit and saves the digest" {
  CF_BUILD_ARGS='PHP_VERSION=8.3' run sh "$SCRIPTS/build_and_push_image.sh"
  [ "$status" -eq 0 ]
  [ "$(sed -n 1,6p "$STUBS/aws.args" | tr '\n' ' ')" = 'ecr get-login-password --region ap-northeast-1 -- ' ]
  [ "$(cat "$STUBS/docker.stdin")" = ecr-password ]
  expected="login
--username
AWS
--password-stdin
123456789012.dkr.ecr.ap-northeast-1.amazonaws.com
--
build
--file
docker/prod/app/Dockerfile
--tag
123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/acme/app:0123456789abcdef0123456789abcdef01234567
--build-arg
PHP_VERSION=8.3
.
--
push
123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/acme/app:0123456789abcdef0123456789abcdef01234567
--"
  [ "$(sed -n '1,18p' "$STUBS/docker.args")" = "$expected" ]
  [ "$(cat "$CF_WORKSPACE/images/app")" = 123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/acme/app@sha256:abc123 ]
}

@test "passes hostile build argument values as data" {
  CF_BUILD_ARGS="A=\$(touch $BATS_TEST_TMPDIR/pwned)
B=it's \"quoted\" \`touch $BATS_TEST_TMPDIR/pwned2\`
C=with spaces" run sh "$SCRIPTS/build_and_push_image.sh"
  [ "$status" -eq 0 ]
  [ ! -e "$BATS_TEST_TMPDIR/pwned" ]
  [ ! -e "$BATS_TEST_TMPDIR/pwned2" ]
  grep -qxF "A=\$(touch $BATS_TEST_TMPDIR/pwned)" "$STUBS/docker.args"
  grep -qxF "B=it's \"quoted\" \`touch $BATS_TEST_TMPDIR/pwned2\`" "$STUBS/docker.args"
  grep -qxF 'C=with spaces' "$STUBS/docker.args"
}

@test "refuses a build argument line without NAME=" {
  CF_BUILD_ARGS='--network=host' run sh "$SCRIPTS/build_and_push_image.sh"
  [ "$status" -eq 1 ]
  [[ "$output" == *'build_and_push_image: build_args: each line must be NAME=VALUE (got "--network=host")'* ]]
}

@test "refuses a repository outside ECR" {
  CF_REPOSITORY=docker.io/acme/app run sh "$SCRIPTS/build_and_push_image.sh"
  [ "$status" -eq 1 ]
  [ "$output" = 'build_and_push_image: repository is not an ECR repository URI (got "docker.io/acme/app")' ]
  [ ! -e "$STUBS/docker.args" ]
}

@test "fails when docker reports no digest" {
  stub docker 'true'
  run sh "$SCRIPTS/build_and_push_image.sh"
  [ "$status" -eq 1 ]
  [[ "$output" == *'docker reported no digest'* ]]
  [ ! -e "$CF_WORKSPACE/images/app" ]
}
