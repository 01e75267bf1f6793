#!/bin/sh
# Chooses the circle-fargate package to install, from the source the team chose (for source
# lockfile, the version install_lockfile.sh read; for tarball, what install_tarball.sh fetched),
# and writes /tmp/circle-fargate/install.key (the cache key: source, version or tarball digest,
# what is installed, Node.js and machine) and install.vars (what npm installs, for install.sh).
# Values arrive as environment variables and are checked before use; none is pasted into shell
# code. Inputs: CF_INSTALL_SOURCE (registry | lockfile | tarball), CF_VERSION,
# CF_INSTALL_DEPLOY (true | false), CF_STATE (/tmp/circle-fargate).
set -eu

fail() { printf 'install: %s\n' "$1" >&2 && exit 1; }

state="${CF_STATE:-/tmp/circle-fargate}"
source="${CF_INSTALL_SOURCE:-registry}"
deploy="${CF_INSTALL_DEPLOY:-false}"
case "$deploy" in true | false) ;; *) fail "deploy must be true or false (got \"$deploy\")" ;; esac
command -v node >/dev/null 2>&1 || fail "Node.js is not installed: run this in a Node.js image such as cimg/node:24.18"
mkdir -p "$state"

exact_version() {
  printf '%s' "$1" | grep -Eq '^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$'
}

case "$source" in
registry)
  version="${CF_VERSION:-}"
  exact_version "$version" || fail "version must be an exact version such as 1.2.3 (got \"$version\")"
  spec="circle-fargate@$version"
  label="$version"
  ;;
lockfile)
  # install_lockfile.sh (the step before this one) read the version the lockfile pins.
  [ -f "$state/lockfile.version" ] || fail "source lockfile: no version read from a lockfile: the install command's lockfile step runs before this one"
  version=$(cat "$state/lockfile.version")
  exact_version "$version" || fail "source lockfile: $(cat "$state/lockfile.name") pins circle-fargate at \"$version\", not an exact version"
  spec="circle-fargate@$version"
  label="$version (from $(cat "$state/lockfile.name"))"
  ;;
tarball)
  # install_tarball.sh (the step before this one) fetched it and took its digest.
  [ -f "$state/tarball.digest" ] || fail "source tarball: no tarball fetched: the install command's fetch step runs before this one"
  digest=$(cat "$state/tarball.digest")
  spec="$state/circle-fargate.tgz"
  label="tarball $(cat "$state/tarball.from") (sha256 $digest)"
  version="sha256-$digest"
  ;;
*) fail "source must be registry, lockfile or tarball (got \"$source\")" ;;
esac

printf '%s\n' "circle-fargate $source $version deploy=$deploy node=$(node --version) $(uname -m)" >"$state/install.key"
# What install.sh reads, a line each: the spec npm installs, the label, the source, deploy.
printf '%s\n' "$spec" "$label" "$source" "$deploy" >"$state/install.vars"
echo "circle-fargate $label"
