#!/usr/bin/env bats
# run_tests with a stand-in `circleci` CLI: this container's files reach the command as arguments.
# The stand-in `tests run` does what CircleCI documents: it reads the globbed files on stdin, keeps
# this container's share, and pipes that to --command.

load helpers

setup() {
  setup_stubs
  # glob prints the files; run keeps every other line, as node 0 of 2 might get.
  stub circleci 'if [ "$2" = glob ]; then printf "%s\n" "tests/a Test.php" "tests/\$(touch pwned)Test.php" "tests/cTest.php"; else
  for arg in "$@"; do case "$arg" in --command=*) command="${arg#--command=}" ;; esac; done
  awk "NR % 2 == 1" | sh -c "$command"
fi'
  cd "$BATS_TEST_TMPDIR"
}

@test "runs the command as it is without test files" {
  CF_COMMAND='echo ran; echo "args: $#"' run sh "$SCRIPTS/run_tests.sh"
  [ "$status" -eq 0 ]
  [ "$output" = $'ran\nargs: 0' ]
  [ ! -e "$STUBS/circleci.args" ]
}

@test "passes this container's share of the files as arguments, never as code" {
  CF_COMMAND="printf '<%s>\n'" CF_TEST_FILES='tests/**/*Test.php' CIRCLE_NODE_TOTAL=2 CIRCLE_NODE_INDEX=0 run sh "$SCRIPTS/run_tests.sh"
  [ "$status" -eq 0 ]
  [ "$output" = $'node 0 of 2: 2 test files\n<tests/a Test.php>\n<tests/cTest.php>' ]
  [ ! -e pwned ]
}

@test "puts the JUnit flag and path before the files, and makes the report's directory" {
  CF_COMMAND="printf '<%s>\n'" CF_JUNIT=build/logs/junit.xml CF_JUNIT_FLAG=--log-junit run sh "$SCRIPTS/run_tests.sh"
  [ "$status" -eq 0 ]
  [ "$output" = $'<--log-junit>\n<build/logs/junit.xml>' ]
  [ -d build/logs ]
}

@test "fails as the tests fail" {
  CF_COMMAND='exit 3' run sh "$SCRIPTS/run_tests.sh"
  [ "$status" -eq 3 ]
}

@test "succeeds without running anything when this container gets no files" {
  stub circleci 'if [ "$2" = glob ]; then echo tests/only.php; else sh -c "${3#--command=}" < /dev/null; fi'
  CF_COMMAND='exit 9' CF_TEST_FILES='tests/*.php' CIRCLE_NODE_TOTAL=3 CIRCLE_NODE_INDEX=2 run sh "$SCRIPTS/run_tests.sh"
  [ "$status" -eq 0 ]
  [ "$output" = 'no test files for node 2' ]
}

@test "runs the files through circleci tests run, split by timings, so failed tests can be rerun alone" {
  CF_COMMAND='true' CF_TEST_FILES='tests/**/*Test.php' run sh "$SCRIPTS/run_tests.sh"
  [ "$status" -eq 0 ]
  # Two calls, in either order (a pipeline): tests glob PATTERN, tests run --command=... --split-by=timings.
  calls circleci | grep -qxF 'tests/**/*Test.php'
  calls circleci | grep -qx -- --split-by=timings
  # The command names a script of the orb's own, never a value of the project or the trigger.
  calls circleci | grep -qxF -- '--command=sh -c "$CF_RUNNER" run_tests'
}

@test "makes the JUnit report's file paths relative to the project, also when tests fail" {
  mkdir -p build/logs
  CF_COMMAND='printf "<testsuite file=\"%s/tests/aTest.php\"/>\n" "$PWD" > build/logs/junit.xml; exit 1' CF_JUNIT=build/logs/junit.xml run sh "$SCRIPTS/run_tests.sh"
  [ "$status" -eq 1 ]
  [ "$(cat build/logs/junit.xml)" = '<testsuite file="tests/aTest.php"/>' ]
}

@test "with a testsuite, runs circleci testsuite run with the suite's name, as a value, and nothing else" {
  mkdir -p .circleci && printf 'name: unit tests\ndiscover: find tests -name "*Test.php"\nrun: vendor/bin/phpunit << test.atoms >>\n' > .circleci/test-suites.yml
  stub circleci 'echo "testsuite called: $*"; exit 4'
  CF_TESTSUITE='unit tests' CF_COMMAND='echo never' CF_TEST_FILES='tests/**' run sh "$SCRIPTS/run_tests.sh"
  [ "$status" -eq 4 ]
  [ "$output" = 'testsuite called: testsuite run unit tests' ]
  [ "$(calls circleci)" = $'testsuite\nrun\nunit tests\n--' ]
}

@test "with a testsuite but no .circleci/test-suites.yml, fails in one line saying so" {
  CF_TESTSUITE='unit' run sh "$SCRIPTS/run_tests.sh"
  [ "$status" -eq 1 ]
  [ "$output" = 'run_tests: testsuite unit: no .circleci/test-suites.yml in the checkout' ]
  [ ! -e "$STUBS/circleci.args" ]
}
