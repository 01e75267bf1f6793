#!/bin/sh
# Builds the image on the remote Docker host, tags it with the commit, pushes it to ECR and
# writes the pushed digest to the workspace (images/CF_IMAGE_NAME), so that every deploy of this
# pipeline ships the same bytes. Build arguments arrive one NAME=VALUE a line in CF_BUILD_ARGS
# and are passed as arguments, never run. With CF_REUSE_FROM (a commit) and an image of that
# commit in ECR, the image is retagged with this commit instead of built; an image of this very
# commit already in ECR (an API deploy of a commit a push built) is used as it is. With
# CF_REGISTRY_CACHE=true, BuildKit builds and keeps its cache in the repository (tag buildcache;
# ECR takes it as an OCI image manifest).
# Inputs: CF_REPOSITORY, CF_IMAGE_NAME, CF_DOCKERFILE (Dockerfile), CF_CONTEXT (.), CF_BUILD_ARGS,
# CF_REUSE_FROM, CF_WORKSPACE (/tmp/workspace), CF_REGISTRY_CACHE (false), CIRCLE_SHA1.
set -eu

fail() { printf 'build_and_push_image: %s\n' "$1" >&2 && exit 1; }

repository="${CF_REPOSITORY:-}"
name="${CF_IMAGE_NAME:-}"
workspace="${CF_WORKSPACE:-/tmp/workspace}"
case "$repository" in
  [0-9]*.dkr.ecr.*.amazonaws.com/?* | [0-9]*.dkr.ecr.*.amazonaws.com.cn/?*) ;;
  *) fail "repository is not an ECR repository URI (got \"$repository\")" ;;
esac
case "$name" in '' | */* | .*) fail "image_name must be a plain name (got \"$name\")" ;; esac
[ -n "${CIRCLE_SHA1:-}" ] || fail "CIRCLE_SHA1 is not set: run this in a CircleCI job"

registry="${repository%%/*}"
region=$(printf '%s' "$registry" | cut -d. -f4)
repository_name="${repository#*/}"

save_digest() { mkdir -p "$workspace/images" && printf '%s\n' "$1" > "$workspace/images/$name" && echo "pushed $1"; }

case "$CIRCLE_SHA1" in *[!0-9a-f]*) fail "CIRCLE_SHA1 is not a commit SHA" ;; esac
reuse="${CF_REUSE_FROM:-}"
case "$reuse" in *[!0-9a-f]*) fail "reuse_from must be a commit SHA (got \"$reuse\")" ;; esac

existing=$(aws ecr describe-images --region "$region" --repository-name "$repository_name" \
  --image-ids "imageTag=$CIRCLE_SHA1" --query 'imageDetails[0].imageDigest' --output text 2> /dev/null || true)
case "$existing" in sha256:*) echo "ECR already has the image of $CIRCLE_SHA1: not rebuilt" && save_digest "$repository@$existing" && exit 0 ;; esac

if [ -n "$reuse" ]; then
  manifest=$(aws ecr batch-get-image --region "$region" --repository-name "$repository_name" \
    --image-ids "imageTag=$reuse" --query 'images[0].imageManifest' --output text 2> /dev/null || true)
  if [ -n "$manifest" ] && [ "$manifest" != None ]; then
    media_type=$(aws ecr batch-get-image --region "$region" --repository-name "$repository_name" \
      --image-ids "imageTag=$reuse" --query 'images[0].imageManifestMediaType' --output text)
    if ! put_error=$(aws ecr put-image --region "$region" --repository-name "$repository_name" --image-tag "$CIRCLE_SHA1" \
      --image-manifest "$manifest" --image-manifest-media-type "$media_type" 2>&1 > /dev/null); then
      case "$put_error" in *ImageAlreadyExistsException*) ;; *) fail "cannot retag the image of $reuse: $put_error" ;; esac
    fi
    digest=$(aws ecr describe-images --region "$region" --repository-name "$repository_name" \
      --image-ids "imageTag=$CIRCLE_SHA1" --query 'imageDetails[0].imageDigest' --output text)
    case "$digest" in sha256:*) ;; *) fail "ECR reported no digest for the retagged image (got \"$digest\")" ;; esac
    echo "no image input changed since $reuse: its image is retagged, not rebuilt"
    save_digest "$repository@$digest"
    exit 0
  fi
  echo "no image of $reuse in ECR: building"
fi

aws ecr get-login-password --region "$region" | docker login --username AWS --password-stdin "$registry"

tag="$repository:$CIRCLE_SHA1"
set -- build --file "${CF_DOCKERFILE:-Dockerfile}" --tag "$tag"
if [ -n "${CF_BUILD_ARGS:-}" ]; then
  args_file=$(mktemp)
  printf '%s\n' "$CF_BUILD_ARGS" > "$args_file"
  bad=''
  while IFS= read -r line || [ -n "$line" ]; do
    [ -n "$line" ] || continue
    case "$line" in
      [A-Za-z_]*=*) set -- "$@" --build-arg "$line" ;;
      *) bad="$line"; break ;;
    esac
  done < "$args_file"
  rm -f "$args_file"
  [ -z "$bad" ] || fail "build_args: each line must be NAME=VALUE (got \"$bad\")"
fi
if [ "${CF_REGISTRY_CACHE:-false}" = true ]; then
  # The docker driver cannot export a cache; a docker-container builder can. ECR stores a cache
  # only as an image manifest (image-manifest=true, oci-mediatypes=true).
  docker buildx create --name circle-fargate --driver docker-container --use > /dev/null
  cache="type=registry,ref=$repository:buildcache"
  metadata=$(mktemp)
  docker buildx "$@" --cache-from "$cache" --cache-to "$cache,mode=max,image-manifest=true,oci-mediatypes=true" \
    --metadata-file "$metadata" --push "${CF_CONTEXT:-.}"
  pushed=$(sed -n 's/.*"containerimage\.digest"[[:space:]]*:[[:space:]]*"\(sha256:[0-9a-f]*\)".*/\1/p' "$metadata" | head -n 1)
  rm -f "$metadata"
  case "$pushed" in sha256:*) ;; *) fail "docker buildx reported no digest for $tag" ;; esac
  save_digest "$repository@$pushed" && exit 0
fi

docker "$@" "${CF_CONTEXT:-.}"
docker push "$tag"

digest=$(docker inspect --format '{{index .RepoDigests 0}}' "$tag")
case "$digest" in *@sha256:*) ;; *) fail "docker reported no digest for $tag (got \"$digest\")" ;; esac
save_digest "$digest"
