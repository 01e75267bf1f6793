#!/bin/sh
# Installs the circle-fargate that install_resolve.sh chose into /tmp/circle-fargate/install,
# with --ignore-scripts (no package's install script runs in a job that holds deploy
# credentials), unless the restored cache already holds that exact install.
# Inputs: CF_STATE (/tmp/circle-fargate), written by install_resolve.sh.
set -eu

fail() { printf 'install: %s\n' "$1" >&2 && exit 1; }

state="${CF_STATE:-/tmp/circle-fargate}"
dir="$state/install"
[ -f "$state/install.key" ] || fail "no $state/install.key: run install_resolve.sh first"
key=$(cat "$state/install.key")
{ read -r spec && read -r label && read -r source && read -r deploy; } <"$state/install.vars"
bin="$dir/node_modules/.bin/circle-fargate"

if [ -x "$bin" ] && [ "$(cat "$dir/.installed" 2>/dev/null || true)" = "$key" ]; then
  echo "circle-fargate $label: from the cache"
  exit 0
fi
rm -rf "$dir"
mkdir -p "$dir"
printf '{ "private": true }\n' >"$dir/package.json"
# npm reads a project's .npmrc from the prefix it installs into, not from here: the repository's
# own registry (a private registry or mirror) and its credentials, as \${VAR} references, come along.
[ ! -f .npmrc ] || cp .npmrc "$dir/.npmrc"
set -- install --prefix "$dir" --ignore-scripts --no-audit --no-fund --no-save --loglevel=error
[ "$deploy" = true ] || set -- "$@" --omit=peer
if ! npm "$@" -- "$spec" >"$state/npm.log" 2>&1; then
  where="the registry $(npm --prefix "$dir" config get registry 2>/dev/null || echo '(npm config)')"
  [ "$source" != tarball ] || where="its tarball"
  code=$(grep -Eo 'code E[A-Z0-9]+' "$state/npm.log" | head -n 1 || true)
  rm -rf "$dir"
  fail "cannot install circle-fargate $label from $where${code:+ ($code)}; npm's log: $state/npm.log"
fi
[ -x "$bin" ] || fail "circle-fargate $label installed no circle-fargate command"
# Nothing in a job reads TypeScript declarations, source maps, or the AWS SDK's ES module copy
# (on Node.js every package of it exports its CommonJS build, which circle-fargate requires):
# without them the install CircleCI stores and restores in every later job is about 18 MiB in 600
# files (setup) and 22 MiB in 760 files (deploy), instead of 21 MiB in 1,100 and 56 MiB in 6,300.
find "$dir/node_modules" -type d \( -name dist-types -o -name dist-es \) \
  \( -path '*/node_modules/@aws-sdk/*' -o -path '*/node_modules/@smithy/*' -o -path '*/node_modules/@aws/*' \) -prune -exec rm -rf {} +
find "$dir/node_modules" -type f \( -name '*.d.ts' -o -name '*.d.mts' -o -name '*.d.cts' -o -name '*.map' \) -exec rm -f {} +
printf '%s\n' "$key" >"$dir/.installed"
echo "circle-fargate $label: installed ($("$bin" --version))"
