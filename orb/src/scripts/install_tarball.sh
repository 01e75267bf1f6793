#!/bin/sh
# Fetches the circle-fargate package tarball for source tarball (a path in the repository, or an
# https URL) to /tmp/circle-fargate/circle-fargate.tgz and takes its sha256, which keys the cache:
# a new tarball is a new install. The location is data, never shell code.
# Inputs: CF_INSTALL_FROM, CF_STATE (/tmp/circle-fargate).
set -eu

fail() { printf 'install: %s\n' "$1" >&2 && exit 1; }

state="${CF_STATE:-/tmp/circle-fargate}"
from="${CF_INSTALL_FROM:-}"
[ -n "$from" ] || fail "source tarball: set from to the tarball's path or https URL"
mkdir -p "$state"
tarball="$state/circle-fargate.tgz"
case "$from" in
# Plain http only on loopback (a service container of the job): nothing on the way to tamper with.
https://* | http://127.0.0.1[:/]* | http://localhost[:/]*)
  curl --fail --silent --show-error --location --retry 3 --output "$tarball" -- "$from" 2>"$state/download.log" ||
    fail "source tarball: cannot download $from ($(tail -n 1 "$state/download.log"))"
  ;;
http://*) fail "source tarball: $from is plain http: the package would run unverified in a job holding deploy credentials; use https" ;;
-*) fail "source tarball: from must be a path or URL (got \"$from\")" ;;
*)
  [ -f "$from" ] || fail "source tarball: $from does not exist"
  cp -- "$from" "$tarball"
  ;;
esac
sha256sum "$tarball" | cut -d ' ' -f 1 >"$state/tarball.digest"
printf '%s\n' "$from" >"$state/tarball.from"
