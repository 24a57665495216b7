#!/bin/sh
# Every plugin the host must refuse, with its one-line message and exit 2;
# and the plugin from a future minor version that it must accept.
. "${top_srcdir:-.}/tests/host/lib.sh"

config "$T/cfg" '{}'

refused () {
  # refused NAME MESSAGE: manifest, check and sync all refuse it.
  so=$PLUGINS/$1.so
  expect_exit 2 host manifest --plugin "$so"
  expect_in "$T/err" "omni-connector-host: plugin $so refused: $2"
  [ "$(wc -l <"$T/err")" -eq 1 ] || fail "$1: more than one line"
  expect_exit 2 host check --plugin "$so" --config "$T/cfg"
  expect_in "$T/err" "refused: $2"
  expect_exit 2 host sync --plugin "$so" --config "$T/cfg" \
    --state "$T/st-$1" --events "$T/ev-$1"
  expect_in "$T/err" "refused: $2"
  [ ! -e "$T/st-$1" ] || fail "$1: a refused plugin left a state file"
}

refused refuse-major "built for connector ABI 99.99, this host speaks ABI 1.x"
refused refuse-slot "required slot 'fetch_document' is NULL"
refused refuse-small "descriptor too small (72 bytes, at least 80 needed)"
refused refuse-nosym "no symbol omni_connector_plugin_entry (not a connector plugin?)"
refused refuse-null "its entry returned no descriptor"

expect_exit 2 host manifest --plugin "$T/nonexistent.so"
expect_in "$T/err" "omni-connector-host: cannot load plugin $T/nonexistent.so:"

# Not a shared object at all.
echo "hello" >"$T/text.so"
expect_exit 2 host manifest --plugin "$T/text.so"
expect_in "$T/err" "cannot load plugin"

# A newer minor version: larger descriptor, appended fields ignored.
expect_exit 0 host sync --plugin "$PLUGINS/future-minor.so" --config "$T/cfg" \
  --state "$T/st-future" --events "$T/ev-future"
expect_in "$T/err" "sync complete (full): 0 created, 0 updated, 0 deleted"
[ ! -s "$T/ev-future" ] || fail "future-minor: events from an empty source"
