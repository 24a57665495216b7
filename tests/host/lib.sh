# lib.sh: sourced by the tests/host/*.sh tests.  automake's environment
# gives $top_srcdir and $top_builddir.  Set OCH_HOST_WRAPPER (for example to
# a valgrind command line) to run every host invocation under it.
set -eu
: "${top_builddir:?run me from make check}" "${top_srcdir:?}"

HOST_BIN=$top_builddir/tests/host/omni-connector-host
PLUGINS=$top_builddir/tests/plugins/.libs
ECHO_SO=$PLUGINS/echo.so
REPLAY=$top_builddir/tests/host/och-replay
LC_ALL=C
export LC_ALL

T=$(mktemp -d "${TMPDIR:-/tmp}/och-test.XXXXXX")
cleanup_jobs=
trap 'for p in $cleanup_jobs; do kill -9 $p 2>/dev/null || :; done; rm -rf "$T"' EXIT

# The host, possibly under a wrapper.
host () {
  ${OCH_HOST_WRAPPER:-} "$HOST_BIN" "$@"
}

# host_bg ARGS...: the host in the background; its pid in $bg_pid (the
# binary's own, so that signals reach it, not a subshell's).
host_bg () {
  ${OCH_HOST_WRAPPER:-} "$HOST_BIN" "$@" &
  bg_pid=$!
  cleanup_jobs="$cleanup_jobs $bg_pid"
}

# wait_running STATE: until a live sync has opened its run in STATE (its
# lock is held and the state says running: its signal handlers are in).
wait_running () {
  i=0
  while ! "$HOST_BIN" status --state "$1" 2>/dev/null |
      grep -q '^last run: running$'; do
    i=$((i + 1))
    [ $i -lt 1000 ] || fail "no run started in $1"
    sleep 0.02
  done
}

# finish PID: wait for it and put its exit status in $rc.
finish () {
  set +e
  wait "$1"
  rc=$?
  set -e
}

fail () {
  echo "FAIL: $*" >&2
  exit 1
}

# expect_exit CODE COMMAND...: run, keep stdout in $T/out and stderr in
# $T/err, and fail unless the exit status is CODE.
expect_exit () {
  want=$1
  shift
  set +e
  "$@" >"$T/out" 2>"$T/err"
  got=$?
  set -e
  if [ "$got" != "$want" ]; then
    sed 's/^/  stderr: /' "$T/err" >&2
    fail "exit status $got, expected $want: $*"
  fi
}

# expect_in FILE TEXT / expect_not_in FILE TEXT (fixed strings)
expect_in () {
  grep -F -e "$2" "$1" >/dev/null || {
    sed 's/^/  got: /' "$1" >&2
    fail "$1 lacks: $2"
  }
}
expect_not_in () {
  if grep -F -e "$2" "$1" >/dev/null; then
    sed 's/^/  got: /' "$1" >&2
    fail "$1 has: $2"
  fi
}

# config FILE SOURCE_CONFIG_JSON [API_KEY [SOURCE_ID]]: a config, mode 600.
config () {
  printf '{"source_id": "%s", "source_config": %s, "credentials": {"api_key": "%s"}}\n' \
    "${4:-src}" "$2" "${3:-key}" >"$1"
  chmod 600 "$1"
}

# expected SOURCE_ID N K U G: the index the echo plugin's source implies
# (documents 1..N minus every K-th, version G where U divides i), in
# och-replay's format.
expected () {
  awk -v s="$1" -v n="$2" -v k="$3" -v u="$4" -v g="$5" 'BEGIN {
    for (i = 1; i <= n; i++) {
      if (k > 0 && i % k == 0) continue
      v = (u > 0 && i % u == 0) ? g : 0
      printf "echo:%s:%d\techo document %d of %s, version %d\n", s, i, i, s, v
    }
  }' | sort
}

# replay EVENTS: the index an events file builds (validates every line).
replay () {
  "$REPLAY" "$1" | sort
}

# same_index EVENTS SOURCE_ID N K U G
same_index () {
  replay "$1" >"$T/got.idx" || fail "events file $1 is malformed"
  expected "$2" "$3" "$4" "$5" "$6" >"$T/want.idx"
  if ! cmp -s "$T/got.idx" "$T/want.idx"; then
    diff "$T/want.idx" "$T/got.idx" | head -20 >&2
    fail "index from $1 differs from the source"
  fi
}

# run_pos STATE: the echo run checkpoint's "pos", or nothing.
run_pos () {
  sed -n '/"run": {/,/}/s/.*\\"pos\\":\([0-9]*\).*/\1/p' "$1"
}
