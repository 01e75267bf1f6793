#!/bin/sh
# Runs a test suite's command. With CF_TEST_FILES, the files go through `circleci tests run`,
# which splits them between parallel containers by timings and, on "Rerun failed tests", hands
# this container only the files that failed: "The testing job must use circleci tests run to
# execute tests" (https://circleci.com/docs/guides/test/rerun-failed-tests/). This container's
# files reach the command as arguments, never as shell code. CF_JUNIT_FLAG, when set, is passed
# with CF_JUNIT (PHPUnit: --log-junit build/logs/junit.xml); the report's file paths are made
# relative to the project afterwards, so timings match the globbed names. CF_COMMAND is the
# project's own command, from its configuration.
# With CF_TESTSUITE, `circleci testsuite run` runs that suite of .circleci/test-suites.yml
# instead: CircleCI's testing tool, which discovers the tests, splits them by timings and, when
# a workflow is rerun from failed, runs only the failed ones; its docs call `circleci tests run`
# legacy (https://circleci.com/docs/guides/test/rerun-only-failed-tests/), which still works and
# stays the way without a test-suites.yml.
# Inputs: CF_COMMAND, CF_TEST_FILES, CF_JUNIT, CF_JUNIT_FLAG, CF_TESTSUITE.
set -eu

if [ -n "${CF_TESTSUITE:-}" ]; then
  [ -f .circleci/test-suites.yml ] || { echo "run_tests: testsuite ${CF_TESTSUITE}: no .circleci/test-suites.yml in the checkout" >&2 && exit 1; }
  exec circleci testsuite run "$CF_TESTSUITE"
fi
[ -n "${CF_COMMAND:-}" ] || { echo 'run_tests: command is empty' >&2 && exit 1; }
[ -z "${CF_JUNIT:-}" ] || mkdir -p "$(dirname "$CF_JUNIT")"

# Runs the command with the JUnit flag and the files read from stdin (one a line) as arguments;
# `circleci tests run` runs it once per container with that container's files.
# shellcheck disable=SC2016,SC2089 # code for `sh -c`: expanded there, not here
CF_RUNNER='set -eu
set --
[ -z "${CF_JUNIT_FLAG:-}" ] || [ -z "${CF_JUNIT:-}" ] || set -- "$CF_JUNIT_FLAG" "$CF_JUNIT"
if [ -n "${CF_TEST_FILES:-}" ]; then
  flags=$#
  while IFS= read -r file || [ -n "$file" ]; do [ -z "$file" ] || set -- "$@" "$file"; done
  [ $# -gt "$flags" ] || { echo "no test files for node ${CIRCLE_NODE_INDEX:-0}" && exit 0; }
  echo "node ${CIRCLE_NODE_INDEX:-0} of ${CIRCLE_NODE_TOTAL:-1}: $(($# - flags)) test files"
fi
exec sh -c "$CF_COMMAND \"\$@\"" run_tests "$@"'
# shellcheck disable=SC2090
export CF_RUNNER
status=0
if [ -n "${CF_TEST_FILES:-}" ]; then
  # shellcheck disable=SC2016 # expanded by the shell circleci runs the command with
  circleci tests glob "$CF_TEST_FILES" | circleci tests run --command='sh -c "$CF_RUNNER" run_tests' --split-by=timings || status=$?
else
  sh -c "$CF_RUNNER" run_tests < /dev/null || status=$?
fi

# PHPUnit writes absolute paths (file="/home/circleci/project/tests/..."); timings are matched
# against the globbed, relative names.
if [ -n "${CF_JUNIT:-}" ] && [ -f "$CF_JUNIT" ]; then
  prefix=$(printf '%s/' "$PWD" | sed 's/[][\\.*^$|#]/\\&/g')
  sed "s#file=\"$prefix#file=\"#g" "$CF_JUNIT" > "$CF_JUNIT.relative" && mv "$CF_JUNIT.relative" "$CF_JUNIT"
fi
exit "$status"
