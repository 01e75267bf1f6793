#!/usr/bin/env bash
# Releases circle-fargate from the pipeline of a vX.Y.Z tag (the release jobs of
# circle-fargate.config.ts): `npm` publishes the package to npm, `orb` publishes the orb, both at
# the version package.json holds, the one version source (`npm version X.Y.Z` writes it into the
# orb and tags the commit). The tag must name that version.
# Inputs: CIRCLE_TAG (CircleCI sets it); for npm NPM_TOKEN, for orb CIRCLE_TOKEN and optionally
# CF_ORB_NAME (default circle-fargate/circle-fargate) and CF_CIRCLECI_CLI_SHA256: all from the
# release context.
set -euo pipefail

fail() { printf 'release: %s\n' "$1" >&2 && exit 1; }

what="${1:-}"
case "$what" in npm | orb) ;; *) fail "usage: scripts/release.sh npm|orb" ;; esac
version=$(node -p 'require("./package.json").version')
[ "${CIRCLE_TAG:-}" = "v$version" ] ||
  fail "tag ${CIRCLE_TAG:-(none)} does not name package.json's version $version: release with a v$version tag (npm version X.Y.Z makes both)"

if [ "$what" = npm ]; then
  [ -n "${NPM_TOKEN:-}" ] || fail "NPM_TOKEN is not set: add an npm automation token to the release context"
  # No dependency's install script runs in a job holding the token; `npm publish` builds (prepack).
  npm ci --ignore-scripts --no-audit --no-fund
  # npm expands ${NPM_TOKEN} in .npmrc itself: the token is in no file and on no command line.
  # shellcheck disable=SC2016
  printf '%s\n' '//registry.npmjs.org/:_authToken=${NPM_TOKEN}' >"$HOME/.npmrc"
  npm publish --access public
  exit 0
fi

[ -n "${CIRCLE_TOKEN:-}" ] || fail "CIRCLE_TOKEN is not set: add a CircleCI token that may publish the orb to the release context"
npm ci --ignore-scripts --no-audit --no-fund
# npm ci does not build (the package has no prepare script): the orb is packed from the build.
npm run build
dir=$(mktemp -d)
node bin/circle-fargate orb pack --validate >"$dir/orb.yml"
# The CircleCI CLI at a pinned version. Its archive is checked against the checksum file of the
# same release, which catches a corrupted download, not a tampered release: to pin the archive
# itself, put its SHA-256 in the release context as CF_CIRCLECI_CLI_SHA256.
cli=1.0.48692
archive="circleci-cli_${cli}_linux_amd64.tar.gz"
base="https://github.com/CircleCI-Public/circleci-cli/releases/download/v$cli"
curl -fsSL --retry 3 -o "$dir/$archive" "$base/$archive"
curl -fsSL --retry 3 -o "$dir/checksums.txt" "$base/circleci-cli_${cli}_checksums.txt"
(cd "$dir" && grep " $archive\$" checksums.txt | sha256sum --check --status) || fail "the CircleCI CLI archive does not match its release's checksum"
if [ -n "${CF_CIRCLECI_CLI_SHA256:-}" ]; then
  printf '%s  %s\n' "$CF_CIRCLECI_CLI_SHA256" "$dir/$archive" | sha256sum --check --status || fail "the CircleCI CLI archive is not the one CF_CIRCLECI_CLI_SHA256 names"
fi
tar -xzf "$dir/$archive" -C "$dir"
bin=$(find "$dir" -type f -name circleci | head -n 1)
[ -n "$bin" ] || fail "no circleci binary in $archive"
"$bin" orb publish "$dir/orb.yml" "${CF_ORB_NAME:-circle-fargate/circle-fargate}@$version"
