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
  # First: is there an image of this commit already? (the stub answers no)
  [ "$(sed -n 1,8p "$STUBS/aws.args" | tr '\n' ' ')" = 'ecr describe-images --region ap-northeast-1 --repository-name acme/app --image-ids imageTag=0123456789abcdef0123456789abcdef01234567 ' ]
  [ "$(sed -n 14,18p "$STUBS/aws.args" | tr '\n' ' ')" = 'ecr get-login-password --region ap-northeast-1 -- ' ]
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

aws_with_ecr_image() {
  stub aws '
case "$2" in
  get-login-password) echo ecr-password ;;
  batch-get-image)
    if [ -z "${BASE_IMAGE:-}" ]; then echo None; exit 0; fi
    case "$*" in *imageManifestMediaType*) echo application/vnd.oci.image.manifest.v1+json ;; *) echo "$BASE_IMAGE" ;; esac ;;
  put-image)
    if [ -n "${ALREADY_TAGGED:-}" ]; then echo "An error occurred (ImageAlreadyExistsException)" >&2; exit 254; fi
    touch "$STUBS/retagged" ;;
  describe-images) if [ -e "$STUBS/retagged" ] || [ -n "${ALREADY_TAGGED:-}" ]; then echo sha256:feed; else echo None; fi ;;
esac'
}

@test "retags the base revision's image instead of building when ECR has it" {
  aws_with_ecr_image
  BASE_IMAGE='{"schemaVersion":2}' CF_REUSE_FROM=fedcba9876543210fedcba9876543210fedcba98 run sh "$SCRIPTS/build_and_push_image.sh"
  [ "$status" -eq 0 ]
  [ ! -e "$STUBS/docker.args" ]
  grep -qxF put-image "$STUBS/aws.args"
  grep -qxF '{"schemaVersion":2}' "$STUBS/aws.args"
  grep -qxF acme/app "$STUBS/aws.args"
  grep -qxF application/vnd.oci.image.manifest.v1+json "$STUBS/aws.args"
  [ "$(cat "$CF_WORKSPACE/images/app")" = 123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/acme/app@sha256:feed ]
}

@test "uses the image ECR already has of this commit, building and retagging nothing" {
  aws_with_ecr_image
  ALREADY_TAGGED=1 BASE_IMAGE='{"schemaVersion":2}' CF_REUSE_FROM=fedcba9876543210fedcba9876543210fedcba98 run sh "$SCRIPTS/build_and_push_image.sh"
  [ "$status" -eq 0 ]
  [[ "$output" == *'ECR already has the image of 0123456789abcdef0123456789abcdef01234567: not rebuilt'* ]]
  [ ! -e "$STUBS/docker.args" ]
  ! grep -qxF put-image "$STUBS/aws.args"
  [ "$(cat "$CF_WORKSPACE/images/app")" = 123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/acme/app@sha256:feed ]
}

@test "with the registry cache, builds with BuildKit, caches in ECR and saves the pushed digest" {
  stub docker 'if [ "$1" = buildx ] && [ "$2" = build ]; then
  while [ $# -gt 0 ]; do [ "$1" = --metadata-file ] && printf "{\n  \"containerimage.digest\": \"sha256:beef\"\n}\n" > "$2"; shift; done
fi'
  CF_REGISTRY_CACHE=true CF_BUILD_ARGS='PHP_VERSION=8.3' run sh "$SCRIPTS/build_and_push_image.sh"
  [ "$status" -eq 0 ]
  grep -qxF 'type=registry,ref=123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/acme/app:buildcache' "$STUBS/docker.args"
  grep -qxF 'type=registry,ref=123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/acme/app:buildcache,mode=max,image-manifest=true,oci-mediatypes=true' "$STUBS/docker.args"
  grep -qxF -- --push "$STUBS/docker.args"
  ! grep -qxF push "$STUBS/docker.args"
  [ "$(cat "$CF_WORKSPACE/images/app")" = 123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/acme/app@sha256:beef ]
}

@test "builds when ECR has no image of the base revision" {
  aws_with_ecr_image
  CF_REUSE_FROM=fedcba9876543210fedcba9876543210fedcba98 run sh "$SCRIPTS/build_and_push_image.sh"
  [ "$status" -eq 0 ]
  [[ "$output" == *'no image of fedcba9876543210fedcba9876543210fedcba98 in ECR: building'* ]]
  grep -qxF build "$STUBS/docker.args"
}

@test "refuses a reuse_from that is not a commit" {
  CF_REUSE_FROM='main; touch pwned' run sh "$SCRIPTS/build_and_push_image.sh"
  [ "$status" -eq 1 ]
  [ ! -e pwned ]
  [ ! -e "$STUBS/aws.args" ]
}
