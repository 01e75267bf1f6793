#!/usr/bin/env bats
# install: one exact circle-fargate version from the source the team chose (registry, its
# lockfile, a tarball), cache key written before the cache is restored, --ignore-scripts.
# (The real install from a registry is tested end to end with Verdaccio: test/package/.)

load helpers

setup() {
  setup_stubs
  export CF_STATE="$BATS_TEST_TMPDIR/state"
  cd "$BATS_TEST_TMPDIR"
}

key() {
  cut -d ' ' -f 1-4 "$CF_STATE/install.key"
}

# What the install command runs for source lockfile: its lockfile step, then its resolve step.
# For source tarball: its fetch step, then its resolve step (for a deploy job).
tarball_resolve() {
  sh "$SCRIPTS/install_tarball.sh" && CF_INSTALL_SOURCE=tarball CF_INSTALL_DEPLOY=true sh "$SCRIPTS/install_resolve.sh"
}

lockfile_resolve() {
  sh "$SCRIPTS/install_lockfile.sh" && CF_INSTALL_SOURCE=lockfile sh "$SCRIPTS/install_resolve.sh"
}

@test "registry: an exact version, the AWS SDK left out for the setup job" {
  CF_INSTALL_SOURCE=registry CF_VERSION=1.2.3 run sh "$SCRIPTS/install_resolve.sh"
  [ "$status" -eq 0 ]
  [ "$(key)" = "circle-fargate registry 1.2.3 deploy=false" ]
  [ "$(head -n 1 "$CF_STATE/install.vars")" = "circle-fargate@1.2.3" ]
}

@test "registry: refuses a range, a tag and shell code as the version" {
  for version in '^1.2.3' latest '1.0.0; touch pwned' '' '1.0'; do
    CF_INSTALL_SOURCE=registry CF_VERSION="$version" run sh "$SCRIPTS/install_resolve.sh"
    [ "$status" -eq 1 ]
    [ "$output" = "install: version must be an exact version such as 1.2.3 (got \"$version\")" ]
  done
  [ ! -e pwned ]
}

@test "lockfile: the version package-lock.json pins" {
  printf '%s\n' '{"lockfileVersion":3,"packages":{"":{"devDependencies":{"circle-fargate":"^0.4.0"}},"node_modules/circle-fargate":{"version":"0.4.2"},"node_modules/circle-fargate-extra":{"version":"9.9.9"}}}' > package-lock.json
  run lockfile_resolve
  [ "$status" -eq 0 ]
  [ "$(key)" = "circle-fargate lockfile 0.4.2 deploy=false" ]
  [ "$output" = "circle-fargate 0.4.2 (from package-lock.json)" ]
}

@test "lockfile: yarn.lock, classic and berry" {
  printf '%s\n' '# yarn lockfile v1' '' 'circle-fargate-extra@^1.0.0:' '  version "9.9.9"' '' 'circle-fargate@0.4.1, circle-fargate@^0.4.0:' '  version "0.4.1"' '  resolved "https://registry.example/circle-fargate-0.4.1.tgz"' > yarn.lock
  run lockfile_resolve
  [ "$status" -eq 0 ]
  [ "$(key)" = "circle-fargate lockfile 0.4.1 deploy=false" ]
  printf '%s\n' '__metadata:' '  version: 8' '' '"circle-fargate@npm:^0.5.0":' '  version: 0.5.3' '  resolution: "circle-fargate@npm:0.5.3"' > yarn.lock
  CF_INSTALL_FROM=yarn.lock run lockfile_resolve
  [ "$status" -eq 0 ]
  [ "$(key)" = "circle-fargate lockfile 0.5.3 deploy=false" ]
}

@test "lockfile: pnpm-lock.yaml, v6 and v9 keys" {
  mkdir frontend
  printf '%s\n' "lockfileVersion: '9.0'" 'importers:' '  .:' '    devDependencies:' '      circle-fargate:' '        specifier: 0.6.0' '        version: 0.6.0' 'packages:' '  circle-fargate@0.6.0:' '    resolution: {integrity: sha512-x}' > frontend/pnpm-lock.yaml
  CF_INSTALL_FROM=frontend/pnpm-lock.yaml run lockfile_resolve
  [ "$status" -eq 0 ]
  [ "$(key)" = "circle-fargate lockfile 0.6.0 deploy=false" ]
  printf '%s\n' "lockfileVersion: '6.0'" 'packages:' '  /circle-fargate@0.6.1:' '    resolution: {integrity: sha512-x}' > pnpm-lock.yaml
  run lockfile_resolve
  [ "$status" -eq 0 ]
  [ "$(key)" = "circle-fargate lockfile 0.6.1 deploy=false" ]
}

@test "lockfile: one line when the lockfile pins no circle-fargate, or none exists" {
  printf '%s\n' '{"lockfileVersion":3,"packages":{"node_modules/left-pad":{"version":"1.3.0"}}}' > package-lock.json
  run lockfile_resolve
  [ "$status" -eq 1 ]
  [ "$output" = "install: source lockfile: package-lock.json pins no single circle-fargate version; add it (npm install --save-dev --save-exact circle-fargate) or use source registry" ]
  rm package-lock.json
  run lockfile_resolve
  [ "$status" -eq 1 ]
  [[ "$output" == "install: source lockfile: no package-lock.json, yarn.lock or pnpm-lock.yaml in "* ]]
}

@test "lockfile: install's resolve says to read the lockfile first when nothing read it" {
  CF_INSTALL_SOURCE=lockfile run sh "$SCRIPTS/install_resolve.sh"
  [ "$status" -eq 1 ]
  [ "$output" = "install: source lockfile: no version read from a lockfile: the install command's lockfile step runs before this one" ]
}

@test "lockfile: a lockfile path that would read as shell code is data" {
  printf '%s\n' '{"packages":{"node_modules/circle-fargate":{"version":"0.4.2"}}}' > '$(touch pwned).json'
  CF_INSTALL_FROM='$(touch pwned).json' run lockfile_resolve
  [ "$status" -eq 0 ]
  [ "$(key)" = "circle-fargate lockfile 0.4.2 deploy=false" ]
  [ ! -e pwned ]
}

@test "tarball: keyed on the tarball's digest, so a new tarball is a new install" {
  printf 'one' > cf.tgz
  CF_INSTALL_FROM=cf.tgz run tarball_resolve
  [ "$status" -eq 0 ]
  [ "$(key)" = "circle-fargate tarball sha256-$(printf one | sha256sum | cut -d ' ' -f 1) deploy=true" ]
  CF_INSTALL_FROM=--help run tarball_resolve
  [ "$status" -eq 1 ]
  [ "$output" = 'install: source tarball: from must be a path or URL (got "--help")' ]
  CF_INSTALL_FROM=missing.tgz run tarball_resolve
  [ "$output" = "install: source tarball: missing.tgz does not exist" ]
  rm -f "$CF_STATE/tarball.digest"
  CF_INSTALL_SOURCE=tarball run sh "$SCRIPTS/install_resolve.sh"
  [ "$output" = "install: source tarball: no tarball fetched: the install command's fetch step runs before this one" ]
}

@test "refuses an unknown source" {
  CF_INSTALL_SOURCE=git run sh "$SCRIPTS/install_resolve.sh"
  [ "$status" -eq 1 ]
  [ "$output" = 'install: source must be registry, lockfile or tarball (got "git")' ]
}

@test "installs with --ignore-scripts, without the AWS SDK for setup; one line when npm fails" {
  stub npm 'if [ "$3" = config ]; then echo https://registry.example/; else echo "npm error code E404" >&2; exit 1; fi'
  CF_INSTALL_SOURCE=registry CF_VERSION=9.9.9 sh "$SCRIPTS/install_resolve.sh"
  run sh "$SCRIPTS/install.sh"
  [ "$status" -eq 1 ]
  [ "$output" = "install: cannot install circle-fargate 9.9.9 from the registry https://registry.example/ (code E404); npm's log: $CF_STATE/npm.log" ]
  head -n 10 "$STUBS/npm.args" | grep -qx -- --ignore-scripts
  head -n 12 "$STUBS/npm.args" | grep -qx -- --omit=peer
  [ ! -e "$CF_STATE/install" ]
}

@test "leaves out declarations, source maps and the AWS SDK's ES module copy, and nothing else" {
  stub npm 'dir="$3"; m="$dir/node_modules"
    mkdir -p "$m/.bin" "$m/@aws-sdk/client-ecs/dist-cjs" "$m/@aws-sdk/client-ecs/dist-es" "$m/@aws-sdk/client-ecs/dist-types/commands" \
      "$m/@smithy/core/dist-es" "$m/@aws/lambda-invoke-store/dist-types" "$m/@aws-sdk/core/node_modules/@smithy/types/dist-es" \
      "$m/other/dist-es" "$m/@circleci/circleci-config-sdk/dist" "$m/@aws-sdk/client-ecs/dist-cjs/dist-es-named"
    printf "#!/bin/sh\necho 1.2.3\n" > "$m/.bin/circle-fargate"; chmod +x "$m/.bin/circle-fargate"
    touch "$m/@aws-sdk/client-ecs/dist-cjs/index.js" "$m/@aws-sdk/client-ecs/dist-types/commands/x.d.ts" \
      "$m/@circleci/circleci-config-sdk/dist/index.js" "$m/@circleci/circleci-config-sdk/dist/index.js.map" \
      "$m/@circleci/circleci-config-sdk/dist/index.d.ts" "$m/other/dist-es/a.d.mts" "$m/other/dist-es/a.mjs"'
  CF_INSTALL_SOURCE=registry CF_VERSION=1.2.3 CF_INSTALL_DEPLOY=true sh "$SCRIPTS/install_resolve.sh"
  run sh "$SCRIPTS/install.sh"
  [ "$status" -eq 0 ]
  m="$CF_STATE/install/node_modules"
  [ -f "$m/@aws-sdk/client-ecs/dist-cjs/index.js" ]
  [ -d "$m/@aws-sdk/client-ecs/dist-cjs/dist-es-named" ]
  [ ! -e "$m/@aws-sdk/client-ecs/dist-es" ]
  [ ! -e "$m/@aws-sdk/client-ecs/dist-types" ]
  [ ! -e "$m/@smithy/core/dist-es" ]
  [ ! -e "$m/@aws/lambda-invoke-store/dist-types" ]
  [ ! -e "$m/@aws-sdk/core/node_modules/@smithy/types/dist-es" ]
  [ -f "$m/other/dist-es/a.mjs" ]
  [ ! -e "$m/other/dist-es/a.d.mts" ]
  [ -f "$m/@circleci/circleci-config-sdk/dist/index.js" ]
  [ ! -e "$m/@circleci/circleci-config-sdk/dist/index.js.map" ]
  [ ! -e "$m/@circleci/circleci-config-sdk/dist/index.d.ts" ]
  [ -x "$m/.bin/circle-fargate" ]
}

@test "uses the restored cache when it holds the same install" {
  CF_INSTALL_SOURCE=registry CF_VERSION=1.2.3 sh "$SCRIPTS/install_resolve.sh"
  mkdir -p "$CF_STATE/install/node_modules/.bin"
  printf '#!/bin/sh\necho 1.2.3\n' > "$CF_STATE/install/node_modules/.bin/circle-fargate"
  chmod +x "$CF_STATE/install/node_modules/.bin/circle-fargate"
  cp "$CF_STATE/install.key" "$CF_STATE/install/.installed"
  stub npm 'exit 1'
  run sh "$SCRIPTS/install.sh"
  [ "$status" -eq 0 ]
  [ "$output" = "circle-fargate 1.2.3: from the cache" ]
  [ ! -e "$STUBS/npm.args" ]
}

@test "installs from the registry the repository's own .npmrc names" {
  # A registry nothing listens on: npm must try it (and fail, naming it), not the user's default.
  printf 'registry=http://127.0.0.1:9/\n' > .npmrc
  CF_INSTALL_SOURCE=registry CF_VERSION=1.2.3 sh "$SCRIPTS/install_resolve.sh"
  npm_config_fetch_retries=0 run sh "$SCRIPTS/install.sh"
  [ "$status" -eq 1 ]
  [[ "$output" == "install: cannot install circle-fargate 1.2.3 from the registry http://127.0.0.1:9/ (code ECONNREFUSED)"* ]]
}

@test "tarball: refuses plain http" {
  CF_INSTALL_FROM=http://downloads.example/cf.tgz run tarball_resolve
  [ "$status" -eq 1 ]
  [ "$output" = "install: source tarball: http://downloads.example/cf.tgz is plain http: the package would run unverified in a job holding deploy credentials; use https" ]
}
