#!/bin/sh
# Chooses the circle-fargate package to install, from the source the team chose, and writes
# /tmp/circle-fargate/install.key (the cache key: source, version or tarball digest, what is
# installed, Node.js and machine) and install.spec (what npm installs). Values arrive as
# environment variables and are checked before use; none is pasted into shell code.
# Inputs: CF_INSTALL_SOURCE (registry | lockfile | tarball), CF_VERSION, CF_INSTALL_FROM,
# CF_INSTALL_DEPLOY (true | false), CF_STATE (/tmp/circle-fargate).
set -eu

fail() {
  printf 'install: %s\n' "$1" >&2
  exit 1
}

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
  lockfile="$from"
  if [ -z "$lockfile" ]; then
    for candidate in package-lock.json yarn.lock pnpm-lock.yaml; do
      if [ -f "$candidate" ]; then
        lockfile="$candidate"
        break
      fi
    done
    [ -n "$lockfile" ] || fail "source lockfile: no package-lock.json, yarn.lock or pnpm-lock.yaml in $(pwd); set from, or use source registry"
  fi
  [ -f "$lockfile" ] || fail "source lockfile: $lockfile does not exist"
  # The lockfile is data: a fixed Node.js program reads it (its path in the environment).
  # yarn.lock (classic and berry): an entry whose header names circle-fargate@, then its
  # version line; pnpm-lock.yaml: a package key /circle-fargate@X (v6) or circle-fargate@X (v9).
  # shellcheck disable=SC2016 # JavaScript, not shell: nothing in it is expanded
  program='
const fs = require("fs");
const file = process.env.CF_LOCKFILE;
const text = fs.readFileSync(file, "utf8");
const found = new Set();
if (/\.json$/.test(file)) {
  const lock = JSON.parse(text);
  for (const [key, entry] of Object.entries(lock.packages || {})) {
    if (/(^|\/)node_modules\/circle-fargate$/.test(key) && entry && entry.version) found.add(entry.version);
  }
  const v1 = lock.dependencies && lock.dependencies["circle-fargate"];
  if (v1 && v1.version) found.add(v1.version);
} else {
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const header = !/^[\s#]/.test(line) && line.endsWith(":");
    if (header && line.slice(0, -1).split(",").some((part) => part.trim().replace(/^"|"$/g, "").startsWith("circle-fargate@"))) {
      for (let j = i + 1; j < lines.length && /^\s/.test(lines[j]); j++) {
        const m = /^\s+version:?\s+"?([^"\s]+)"?\s*$/.exec(lines[j]);
        if (m) { found.add(m[1]); break; }
      }
    }
    const pnpm = /^\s+[\x27"]?\/?circle-fargate@(\d[^:(\s\x27"]*)[\x27"]?(\(.*\))?:\s*$/.exec(lines[i]);
    if (pnpm) found.add(pnpm[1]);
  }
}
if (found.size !== 1) process.exit(1);
process.stdout.write([...found][0]);
'
  version=$(CF_LOCKFILE="$lockfile" node -e "$program") || fail "source lockfile: $lockfile pins no single circle-fargate version; add it (npm install --save-dev --save-exact circle-fargate) or use source registry"
  exact_version "$version" || fail "source lockfile: $lockfile pins circle-fargate at \"$version\", not an exact version"
  spec="circle-fargate@$version"
  label="$version (from $lockfile)"
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
printf '%s\n' "$spec" >"$state/install.spec"
printf '%s\n' "$label" >"$state/install.label"
printf '%s\n' "$source" >"$state/install.source"
printf '%s\n' "$deploy" >"$state/install.deploy"
echo "circle-fargate $label"
