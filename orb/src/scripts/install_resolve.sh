#!/bin/sh
# Chooses the circle-fargate package to install, from the source the team chose (for source
# lockfile, the version install_lockfile.sh read), and writes
# /tmp/circle-fargate/install.key (the cache key: source, version or tarball digest, what is
# installed, Node.js and machine) and install.spec (what npm installs). Values arrive as
# environment variables and are checked before use; none is pasted into shell code.
# Inputs: CF_INSTALL_SOURCE (registry | lockfile | tarball), CF_VERSION, CF_INSTALL_FROM,
# CF_INSTALL_DEPLOY (true | false), CF_STATE (/tmp/circle-fargate).
set -eu

fail() { printf 'install: %s\n' "$1" >&2 && exit 1; }

state="${CF_STATE:-/tmp/circle-fargate}"
source="${CF_INSTALL_SOURCE:-registry}"
from="${CF_INSTALL_FROM:-}"
deploy="${CF_INSTALL_DEPLOY:-false}"
case "$deploy" in true | false) ;; *) fail "deploy must be true or false (got \"$deploy\")" ;; esac
command -v node >/dev/null 2>&1 || fail "Node.js is not installed: run this in a Node.js image such as cimg/node:20.19"
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
  # install_lockfile.sh (the lockfile_version command) read the version the lockfile pins.
  [ -f "$state/lockfile.version" ] || fail "source lockfile: no version read from a lockfile: run the orb's lockfile_version command first (the setup job does)"
  version=$(cat "$state/lockfile.version")
  exact_version "$version" || fail "source lockfile: $(cat "$state/lockfile.name") pins circle-fargate at \"$version\", not an exact version"
  spec="circle-fargate@$version"
  label="$version (from $(cat "$state/lockfile.name"))"
  ;;
tarball)
  [ -n "$from" ] || fail "source tarball: set from to the tarball's path or https URL"
  tarball="$state/circle-fargate.tgz"
  case "$from" in
  https://* | http://*)
    curl --fail --silent --show-error --location --retry 3 --output "$tarball" -- "$from" 2>"$state/download.log" ||
      fail "source tarball: cannot download $from ($(tail -n 1 "$state/download.log"))"
    ;;
  -*) fail "source tarball: from must be a path or URL (got \"$from\")" ;;
  *)
    [ -f "$from" ] || fail "source tarball: $from does not exist"
    cp -- "$from" "$tarball"
    ;;
  esac
  digest=$(sha256sum "$tarball" | cut -d ' ' -f 1)
  spec="$tarball"
  label="tarball $from (sha256 $digest)"
  version="sha256-$digest"
  ;;
*) fail "source must be registry, lockfile or tarball (got \"$source\")" ;;
esac

printf '%s\n' "circle-fargate $source $version deploy=$deploy node=$(node --version) $(uname -m)" >"$state/install.key"
# What install.sh reads, a line each: the spec npm installs, the label, the source, deploy.
printf '%s\n' "$spec" "$label" "$source" "$deploy" >"$state/install.vars"
echo "circle-fargate $label"
