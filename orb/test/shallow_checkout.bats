#!/usr/bin/env bats
# shallow_checkout against a bare repository served over file://, as CircleCI's checkout would
# fetch from GitHub.

load helpers

# The origin and its history are made once for the file; each test gets its own copy.
setup_file() {
  export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.invalid GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@example.invalid
  made="$BATS_FILE_TMPDIR/made"
  git init --quiet --bare --initial-branch main "$made/origin.git"
  git clone --quiet "$made/origin.git" "$made/src" 2> /dev/null
  for i in 1 2 3 4 5; do
    echo "$i" > "$made/src/file$i"
    git -C "$made/src" add .
    git -C "$made/src" commit --quiet -m "commit $i"
    eval "export C$i=\$(git -C \"\$made/src\" rev-parse HEAD)"
  done
  git -C "$made/src" tag -a v1.0.0 -m release "$C2"
  git -C "$made/src" push --quiet origin main v1.0.0
}

setup() {
  cp -R "$BATS_FILE_TMPDIR/made/origin.git" "$BATS_TEST_TMPDIR/"
  ORIGIN="$BATS_TEST_TMPDIR/origin.git"
  export CIRCLE_REPOSITORY_URL="file://$ORIGIN" CF_PATH="$BATS_TEST_TMPDIR/work"
  unset CIRCLE_TAG CIRCLE_BRANCH CHECKOUT_KEY CF_DEPTH
}

head_of() { git -C "$CF_PATH" rev-parse HEAD; }
depth_of() { git -C "$CF_PATH" rev-list --count HEAD; }

@test "checks out exactly the commit, one commit deep, on its branch" {
  CIRCLE_SHA1="$C5" CIRCLE_BRANCH=main run sh "$SCRIPTS/shallow_checkout.sh"
  [ "$status" -eq 0 ]
  [ "$(head_of)" = "$C5" ]
  [ "$(depth_of)" -eq 1 ]
  [ "$(git -C "$CF_PATH" symbolic-ref HEAD)" = refs/heads/main ]
  [ "$(cat "$CF_PATH/file5")" = 5 ]
}

@test "honours depth" {
  CIRCLE_SHA1="$C5" CIRCLE_BRANCH=main CF_DEPTH=3 run sh "$SCRIPTS/shallow_checkout.sh"
  [ "$status" -eq 0 ]
  [ "$(depth_of)" -eq 3 ]
}

@test "checks out the pipeline's commit when the branch has moved on" {
  CIRCLE_SHA1="$C3" CIRCLE_BRANCH=main run sh "$SCRIPTS/shallow_checkout.sh"
  [ "$status" -eq 0 ]
  [ "$(head_of)" = "$C3" ]
  [ ! -e "$CF_PATH/file4" ]
}

@test "checks out a tag" {
  CIRCLE_SHA1="$C2" CIRCLE_TAG=v1.0.0 run sh "$SCRIPTS/shallow_checkout.sh"
  [ "$status" -eq 0 ]
  [ "$(head_of)" = "$C2" ]
  [ "$(git -C "$CF_PATH" rev-parse refs/tags/v1.0.0)" = "$C2" ]
}

@test "falls back to the branch, deepening, when the server refuses commits by SHA" {
  # Protocol v0 over file:// refuses to serve an unadvertised commit.
  export GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0=protocol.version GIT_CONFIG_VALUE_0=0
  CIRCLE_SHA1="$C2" CIRCLE_BRANCH=main run sh "$SCRIPTS/shallow_checkout.sh"
  [ "$status" -eq 0 ]
  [ "$(head_of)" = "$C2" ]
  git -C "$CF_PATH" rev-parse --verify --quiet refs/remotes/origin/circle-fargate-checkout > /dev/null
  [ "$(git -C "$CF_PATH" rev-list --count refs/remotes/origin/circle-fargate-checkout)" -eq 4 ]
}

@test "fetches a pull request's head when the server refuses commits by SHA" {
  # A clone of this test's origin to push the pull request's head from.
  git clone --quiet "$ORIGIN" "$BATS_TEST_TMPDIR/src" 2> /dev/null
  git -C "$BATS_TEST_TMPDIR/src" checkout --quiet -b pr "$C3"
  echo pr > "$BATS_TEST_TMPDIR/src/pr"
  git -C "$BATS_TEST_TMPDIR/src" add pr
  git -C "$BATS_TEST_TMPDIR/src" commit --quiet -m pr
  pr_head=$(git -C "$BATS_TEST_TMPDIR/src" rev-parse HEAD)
  git -C "$BATS_TEST_TMPDIR/src" push --quiet origin "HEAD:refs/pull/7/head"
  export GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0=protocol.version GIT_CONFIG_VALUE_0=0
  CIRCLE_SHA1="$pr_head" CIRCLE_BRANCH=pull/7 run sh "$SCRIPTS/shallow_checkout.sh"
  [ "$status" -eq 0 ]
  [ "$(head_of)" = "$pr_head" ]
}

@test "gives up at max_depth, saying so" {
  export GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0=protocol.version GIT_CONFIG_VALUE_0=0
  CIRCLE_SHA1="$C1" CIRCLE_BRANCH=main CF_MAX_DEPTH=2 run sh "$SCRIPTS/shallow_checkout.sh"
  [ "$status" -eq 1 ]
  [[ "$output" == *"is not within 2 commits of refs/heads/main"* ]]
}

@test "never runs a hostile branch name" {
  CIRCLE_SHA1="$C5" CIRCLE_BRANCH="\$(touch $BATS_TEST_TMPDIR/pwned)\`touch $BATS_TEST_TMPDIR/pwned2\`" run sh "$SCRIPTS/shallow_checkout.sh"
  [ "$status" -eq 0 ]
  [ "$(head_of)" = "$C5" ]
  [ ! -e "$BATS_TEST_TMPDIR/pwned" ]
  [ ! -e "$BATS_TEST_TMPDIR/pwned2" ]
}

@test "refuses a depth that is not a positive number" {
  CIRCLE_SHA1="$C5" CIRCLE_BRANCH=main CF_DEPTH='1; touch pwned' run sh "$SCRIPTS/shallow_checkout.sh"
  [ "$status" -eq 1 ]
  [[ "$output" == 'shallow_checkout: depth must be a positive whole number'* ]]
}

@test "refuses to run outside CircleCI" {
  unset CIRCLE_REPOSITORY_URL
  CIRCLE_SHA1="$C5" run sh "$SCRIPTS/shallow_checkout.sh"
  [ "$status" -eq 1 ]
  [ "$output" = 'shallow_checkout: CIRCLE_REPOSITORY_URL is not set: run this in a CircleCI job' ]
}
