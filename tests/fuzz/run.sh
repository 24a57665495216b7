#!/bin/sh
# Build every libFuzzer target (build.sh) and run each for a bounded time
# from its seed corpus: tests/fuzz/corpus/<target>/ plus the unit-test
# fixtures.  A crash fails the run and leaves the input in OUT/crashes/.
#   tests/fuzz/run.sh BUILD_DIR [SECONDS]
set -eu
srcdir=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:?usage: run.sh BUILD_DIR [SECONDS]}" && pwd)
seconds=${2:-60}
out="$build/tests/fuzz"

sh "$srcdir/tests/fuzz/build.sh" "$build" "$out"
# One target: prepare its work directory, run it, say how it went.
run_one () {
  t=$1
  work="$out/work-$t"
  rm -rf "$work"
  mkdir -p "$work" "$out/crashes"
  seeds="$srcdir/tests/fuzz/corpus/$t"
  case $t in
    map) seeds="$srcdir/tests/unit/fixtures" ;;
    page) cp "$srcdir/tests/unit/fixtures"/* "$work"/ ;;
  esac
  [ -d "$seeds" ] && cp "$seeds"/* "$work"/ 2>/dev/null || true
  dict=
  [ -f "$srcdir/tests/fuzz/$t.dict" ] && dict="-dict=$srcdir/tests/fuzz/$t.dict"
  # shellcheck disable=SC2086
  if ! "$out/fuzz-$t" -max_total_time="$seconds" -max_len=65536 \
      -print_final_stats=0 -artifact_prefix="$out/crashes/$t-" $dict \
      "$work" >"$out/fuzz-$t.log" 2>&1; then
    echo "fuzz-$t (${seconds}s) FAILED:"
    tail -n 40 "$out/fuzz-$t.log"
    return 1
  fi
  echo "fuzz-$t (${seconds}s):"
  tail -n 2 "$out/fuzz-$t.log"
}

# Two at a time (FUZZ_JOBS), each for its full time: the machine's cores
# work in parallel, the time per target stays the same.
jobs=${FUZZ_JOBS:-2}
status=0
set -- checkpoint idset map page
while [ $# -gt 0 ]; do
  pids=
  i=0
  while [ $# -gt 0 ] && [ $i -lt "$jobs" ]; do
    run_one "$1" >"$out/run-$1.txt" 2>&1 &
    pids="$pids $!:$1"
    shift
    i=$((i + 1))
  done
  for p in $pids; do
    if ! wait "${p%%:*}"; then status=1; fi
    cat "$out/run-${p#*:}.txt"
  done
done
exit $status
