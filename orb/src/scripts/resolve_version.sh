#!/bin/sh
# Resolves the version a rollback or promote pipeline was started with (pipeline.deploy.target_version,
# as a deploy marker recorded it: "COMMIT sha256:DIGEST") to an image of the environment's
# repository, and saves it in the workspace (images/CF_IMAGE_NAME) for the deploy command. The
# version is data: it is only searched for a digest, never run. A version without a digest, or
# whose digest is not in the repository, is refused before anything changes.
# Inputs: CF_TARGET_VERSION, CF_REPOSITORY (ACCOUNT.dkr.ecr.REGION.amazonaws.com/NAME), CF_IMAGE_NAME, CF_WORKSPACE.
set -eu

fail() { printf 'resolve version: %s\n' "$1" >&2 && exit 1; }

repository="${CF_REPOSITORY:-}"
name="${CF_IMAGE_NAME:-}"
workspace="${CF_WORKSPACE:-/tmp/workspace}"
case "$name" in '' | */* | .*) fail "image_name must be a plain name (got \"$name\")" ;; esac
case "$repository" in *.dkr.ecr.*.amazonaws.com/?*) ;; *) fail "repository is not an ECR repository URI (got \"$repository\")" ;; esac
digest=$(printf '%s\n' "${CF_TARGET_VERSION:-}" | grep -o 'sha256:[0-9a-f]\{64\}' | head -n 1 || :)
[ -n "$digest" ] || fail "the version names no image digest (sha256: and 64 hex digits): choose a version that a circle-fargate deploy marker recorded"
region=$(printf '%s' "$repository" | cut -d. -f4)
if ! aws ecr describe-images --region "$region" --repository-name "${repository#*/}" --image-ids "imageDigest=$digest" > /dev/null; then
  fail "no image $repository@$digest in the registry (or it cannot be read): nothing was changed"
fi
mkdir -p "$workspace/images"
printf '%s@%s\n' "$repository" "$digest" > "$workspace/images/$name"
echo "resolved the version to $repository@$digest"
