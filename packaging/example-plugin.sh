#!/bin/sh
# The out-of-tree example plugin builds with its own Makefile, which knows
# nothing but pkg-config (here pointed at the source tree's header), and the
# mock host loads it, syncs it and installs it where pkg-config says.
set -eu
: "${top_srcdir:?}" "${top_builddir:?}"
command -v pkg-config >/dev/null 2>&1 || { echo "SKIP: no pkg-config"; exit 77; }
host="$top_builddir/tests/host/omni-connector-host"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

mkdir "$tmp/pc" "$tmp/src"
cat >"$tmp/pc/omni-connector.pc" <<PC
plugindir=$tmp/plugins
Name: omni-connector
Description: the source tree's header
Version: 0
Cflags: -I$top_srcdir/host-api
PC
cp "$top_srcdir/packaging/example-plugin/Makefile" \
  "$top_srcdir/packaging/example-plugin/hello.c" "$tmp/src/"

# Not the parent make's flags or command-line variables.
build() {
  MAKEFLAGS='' MFLAGS='' MAKELEVEL='' PKG_CONFIG_PATH="$tmp/pc" \
    make -C "$tmp/src" CC="${CC:-cc}" CFLAGS='-O2 -g -Werror' "$@"
}
build
build install DESTDIR="$tmp/dest"
test -f "$tmp/dest$tmp/plugins/hello.so"

"$host" manifest --plugin "$tmp/src/hello.so" >"$tmp/manifest"
grep -q '"name": *"hello"' "$tmp/manifest"
printf '{"source_id": "ex", "source_config": {}, "credentials": {}}\n' >"$tmp/config.json"
chmod 600 "$tmp/config.json"
"$host" sync --plugin "$tmp/src/hello.so" --config "$tmp/config.json" \
  --state "$tmp/state.json" --events "$tmp/events.jsonl" --mode full
n=$(grep -c '"type":"document_created"' "$tmp/events.jsonl")
[ "$n" -eq 3 ] || { echo "FAIL: $n events, expected 3"; exit 1; }
echo "ok: example plugin built with pkg-config, loaded, synced 3 documents"
