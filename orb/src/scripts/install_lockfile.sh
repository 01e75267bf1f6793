#!/bin/sh
# Reads the circle-fargate version the repository's own lockfile pins (package-lock.json,
# yarn.lock or pnpm-lock.yaml) into /tmp/circle-fargate/lockfile.version, for install_resolve.sh
# with source lockfile: the install command's first step. The jobs a setup job generates install
# that same version from the registry, so one pipeline runs one version. The lockfile is data: a fixed
# Node.js program reads it, its path in the environment; nothing is pasted into shell code.
# Inputs: CF_INSTALL_FROM (the lockfile; default: the first found in the working directory),
# CF_STATE (/tmp/circle-fargate).
set -eu

fail() { printf 'install: %s\n' "$1" >&2 && exit 1; }

state="${CF_STATE:-/tmp/circle-fargate}"
from="${CF_INSTALL_FROM:-}"
command -v node >/dev/null 2>&1 || fail "Node.js is not installed: run this in a Node.js image such as cimg/node:24.18"
mkdir -p "$state"
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
printf '%s\n' "$version" >"$state/lockfile.version"
printf '%s\n' "$lockfile" >"$state/lockfile.name"
