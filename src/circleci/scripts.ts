/**
 * The shell scripts of emitted `run` steps. They are constants: every value they need (a
 * branch, a path, an image) reaches them as an environment variable and is quoted where used,
 * so nothing from the trigger or the description is ever run as shell code.
 */

/** Where jobs hand files to later jobs (image digests, Terraform plans). */
export const WORKSPACE = '/tmp/workspace';

export const SHALLOW_CHECKOUT = `set -eu
# Exactly the pipeline's revision, CF_CHECKOUT_DEPTH commits deep; never a full clone.
mkdir -p "$HOME/.ssh"
if [ -n "\${CHECKOUT_KEY:-}" ]; then
  printf '%s\\n' "$CHECKOUT_KEY" > "$HOME/.ssh/id_rsa"
  chmod 600 "$HOME/.ssh/id_rsa"
fi
ssh-keyscan github.com bitbucket.org >> "$HOME/.ssh/known_hosts" 2>/dev/null || true
git init --quiet .
git remote add origin "$CIRCLE_REPOSITORY_URL"
git fetch --quiet --no-tags --depth "$CF_CHECKOUT_DEPTH" origin "$CIRCLE_SHA1"
git -c advice.detachedHead=false checkout --quiet FETCH_HEAD
`;

/** Exchanges CircleCI's OIDC token for the role CF_ROLE_ARN, for the AWS CLI, SDKs and Terraform. */
const ASSUME_ROLE = `token_file="$(mktemp)"
printf '%s' "\${CIRCLE_OIDC_TOKEN_V2:?no OIDC token: run this job in a CircleCI context}" > "$token_file"
export AWS_ROLE_ARN="$CF_ROLE_ARN" AWS_WEB_IDENTITY_TOKEN_FILE="$token_file"
export AWS_ROLE_SESSION_NAME="circleci-\${CIRCLE_BUILD_NUM:-job}"
`;

export const BUILD_AND_PUSH_IMAGE = `set -eu
${ASSUME_ROLE}registry="\${CF_IMAGE_REPOSITORY%%/*}"
region="$(printf '%s' "$registry" | cut -d. -f4)"
aws ecr get-login-password --region "$region" | docker login --username AWS --password-stdin "$registry"
tag="$CF_IMAGE_REPOSITORY:$CIRCLE_SHA1"
set -- --file "$CF_DOCKERFILE" --tag "$tag"
for name in $CF_BUILD_ARG_NAMES; do
  set -- "$@" --build-arg "$name=$(printenv "CF_BUILD_ARG_$name")"
done
docker build "$@" "$CF_CONTEXT"
docker push "$tag"
mkdir -p "${WORKSPACE}/images"
docker inspect --format '{{index .RepoDigests 0}}' "$tag" > "${WORKSPACE}/images/$CF_IMAGE_NAME"
echo "pushed $(cat "${WORKSPACE}/images/$CF_IMAGE_NAME")"
`;

export const RUN_TESTS = `set -eu
if [ -n "\${CF_TEST_FILES:-}" ] && [ "\${CIRCLE_NODE_TOTAL:-1}" -gt 1 ]; then
  files="$(mktemp)"
  circleci tests glob "$CF_TEST_FILES" | circleci tests split --split-by=timings > "$files"
  # CF_TEST_COMMAND is the project's own command; this node's test files follow it as arguments.
  xargs -d '\\n' sh -c "$CF_TEST_COMMAND"' "$@"' test-files < "$files"
else
  sh -c "$CF_TEST_COMMAND"
fi
`;

export const TERRAFORM_PLAN = `set -eu
${ASSUME_ROLE}export AWS_REGION="$CF_REGION"
out="${WORKSPACE}/terraform/$CF_ROOT_NAME"
mkdir -p "$out"
terraform -chdir="$CF_ROOT_DIR" init -input=false
set +e
terraform -chdir="$CF_ROOT_DIR" plan -input=false -lock-timeout=5m -detailed-exitcode -out="$out/tfplan"
status=$?
set -e
case "$status" in
  0) echo none > "$out/changes"; echo "no changes" ;;
  2) echo some > "$out/changes" ;;
  *) exit "$status" ;;
esac
`;

export const TERRAFORM_APPLY = `set -eu
${ASSUME_ROLE}export AWS_REGION="$CF_REGION"
out="${WORKSPACE}/terraform/$CF_ROOT_NAME"
if [ "$(cat "$out/changes")" = none ]; then
  echo "the plan has no changes: nothing to apply"
  exit 0
fi
terraform -chdir="$CF_ROOT_DIR" init -input=false
terraform -chdir="$CF_ROOT_DIR" apply -input=false -lock-timeout=5m "$out/tfplan"
`;

export const DEPLOY = `set -eu
${ASSUME_ROLE}export AWS_REGION="$CF_REGION"
image="$(cat "${WORKSPACE}/images/$CF_IMAGE_NAME")"
npx --yes "circle-fargate@$CF_VERSION" deploy "$CF_ENVIRONMENT" --image "$image"
`;

export const NOTHING_TO_DO = `echo "circle-fargate selected no job for this pipeline; the setup job's output says why."
`;
