# Shared by the orb's bats tests: the scripts under test, and stand-in commands on PATH that
# record how they were called (one argument a line in $STUBS/NAME.args, stdin in NAME.stdin).

# shellcheck disable=SC2034 # used by the tests that load this file
SCRIPTS="$(cd "$BATS_TEST_DIRNAME/../src/scripts" && pwd)"

setup_stubs() {
  STUBS="$BATS_TEST_TMPDIR/stubs"
  mkdir -p "$STUBS/bin"
  PATH="$STUBS/bin:$PATH"
  export STUBS PATH
}

# stub NAME [BODY]: NAME records its arguments and stdin, then runs BODY (sh) with them and
# the same stdin.
stub() {
  name="$1"
  body="${2:-:}"
  cat > "$STUBS/bin/$name" <<STUB
#!/bin/sh
{ for arg in "\$@"; do printf '%s\n' "\$arg"; done; echo '--'; } >> "$STUBS/$name.args"
input=\$(mktemp "$STUBS/stdin.XXXXXX")
if [ ! -t 0 ]; then cat > "\$input"; fi
cat "\$input" >> "$STUBS/$name.stdin"
(
$body
) < "\$input"
STUB
  chmod +x "$STUBS/bin/$name"
}

# The arguments of every call of NAME, one a line, calls separated by "--".
calls() {
  cat "$STUBS/$1.args"
}
