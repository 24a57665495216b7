#!/bin/sh
# Build the libFuzzer targets against the plugin sources.
#   tests/fuzz/build.sh [BUILD_DIR [OUT_DIR]]
# BUILD_DIR is a configured build tree (for its config.h; default: the
# source tree itself when configured in place); OUT_DIR defaults to
# BUILD_DIR/tests/fuzz.  Needs clang with libFuzzer (libclang-rt-*-dev).
set -eu

srcdir=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-$srcdir}" && pwd)
out=${2:-$build/tests/fuzz}
CC=${CC:-clang}

if [ ! -f "$build/config.h" ]; then
  echo "build.sh: no config.h in $build (run configure there first)" >&2
  exit 1
fi
mkdir -p "$out"

common="$srcdir/plugin/opl-checkpoint.c $srcdir/plugin/opl-idset.c \
$srcdir/plugin/opl-buf.c $srcdir/plugin/opl-json.c $srcdir/plugin/opl-log.c"
flags="-g -O1 -std=c11 -fsanitize=fuzzer,address,undefined \
-fno-sanitize-recover=undefined -I$build -I$srcdir/plugin -I$srcdir/host-api"

for t in checkpoint idset; do
  # shellcheck disable=SC2086
  $CC $flags $(pkg-config --cflags json-c) \
    "$srcdir/tests/fuzz/fuzz-$t.c" $common \
    $(pkg-config --libs json-c) -o "$out/fuzz-$t"
  echo "built $out/fuzz-$t"
done

# The mapper and the list-page reader need the rest of the plugin's
# internals (and so libcurl), but never the ABI glue.
plugin=$(ls "$srcdir"/plugin/opl-*.c | grep -v 'opl-plugin\.c$')
for t in map page; do
  # shellcheck disable=SC2086
  $CC $flags $(pkg-config --cflags json-c libcurl) \
    "$srcdir/tests/fuzz/fuzz-$t.c" $plugin \
    $(pkg-config --libs json-c libcurl) -o "$out/fuzz-$t"
  echo "built $out/fuzz-$t"
done
