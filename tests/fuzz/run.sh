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
status=0
for t in checkpoint idset map page; do
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
  echo "fuzz-$t: ${seconds}s"
  # shellcheck disable=SC2086
  if ! "$out/fuzz-$t" -max_total_time="$seconds" -max_len=65536 \
      -print_final_stats=0 -artifact_prefix="$out/crashes/$t-" $dict \
      "$work" >"$out/fuzz-$t.log" 2>&1; then
    echo "fuzz-$t FAILED:"; tail -n 40 "$out/fuzz-$t.log"; status=1
  else
    tail -n 2 "$out/fuzz-$t.log"
  fi
done
exit $status
