#!/bin/sh
# Runs a test suite's command. With parallelism, this node's share of CF_TEST_FILES (split by
# timings) follows the command as arguments. CF_JUNIT_FLAG, when set, is passed with CF_JUNIT
# (PHPUnit: --log-junit build/logs/junit.xml). CF_COMMAND is the project's own command, from its
# configuration; file names reach it as arguments, never as shell code.
# Inputs: CF_COMMAND, CF_TEST_FILES, CF_JUNIT, CF_JUNIT_FLAG, CIRCLE_NODE_TOTAL.
set -eu

[ -n "${CF_COMMAND:-}" ] || {
  echo 'run_tests: command is empty' >&2
  exit 1
}
if [ -n "${CF_JUNIT:-}" ]; then
  mkdir -p "$(dirname "$CF_JUNIT")"
fi

set --
if [ -n "${CF_TEST_FILES:-}" ] && [ "${CIRCLE_NODE_TOTAL:-1}" -gt 1 ]; then
  list=$(mktemp)
  circleci tests glob "$CF_TEST_FILES" | circleci tests split --split-by=timings > "$list"
  if [ ! -s "$list" ]; then
    echo "no test files for node ${CIRCLE_NODE_INDEX:-0}"
    exit 0
  fi
  while IFS= read -r file || [ -n "$file" ]; do
    [ -n "$file" ] && set -- "$@" "$file"
  done < "$list"
  rm -f "$list"
  echo "node ${CIRCLE_NODE_INDEX:-0} of ${CIRCLE_NODE_TOTAL}: $# test files"
fi
if [ -n "${CF_JUNIT_FLAG:-}" ] && [ -n "${CF_JUNIT:-}" ]; then
  set -- "$CF_JUNIT_FLAG" "$CF_JUNIT" "$@"
fi
exec sh -c "$CF_COMMAND"' "$@"' run_tests "$@"
