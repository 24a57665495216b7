#!/bin/sh
# make demo: serve the bundled sample Paperless-ngx archive with the fake
# server, sync it with the mock host and the freshly built plugin, and show
# what Omni would receive.  Everything stays on 127.0.0.1; files go to
# ./demo/ in the build directory.
set -eu
top_srcdir=${top_srcdir:-.}
top_builddir=${top_builddir:-.}
out="$top_builddir/demo"
host="$top_builddir/tests/host/omni-connector-host"
fake="$top_builddir/tests/fake/fake-paperless"
plugin="$top_builddir/plugin/.libs/paperless_ngx.so"
corpus="$top_srcdir/tests/data/sample-corpus.json"

rm -rf "$out"
mkdir -p "$out"
"$fake" --corpus "$corpus" --port-file "$out/port" >"$out/fake-paperless.log" 2>&1 &
fake_pid=$!
trap 'kill "$fake_pid" 2>/dev/null || true' EXIT INT TERM
for _ in $(seq 1 100); do [ -s "$out/port" ] && break; sleep 0.1; done
[ -s "$out/port" ] || { echo "demo: the fake server did not start"; cat "$out/fake-paperless.log"; exit 1; }
port=$(cat "$out/port")
# The sample archive's token (a test value, not a secret).
token=$(sed -n 's/.*"token": *"\([^"]*\)".*/\1/p' "$corpus" | head -n 1)

umask 077
cat >"$out/config.json" <<JSON
{"source_id": "demo",
 "source_config": {"base_url": "http://127.0.0.1:$port"},
 "credentials": {"api_key": "$token"}}
JSON

echo "== omni-connector-host check"
"$host" check --plugin "$plugin" --config "$out/config.json"
echo
echo "== omni-connector-host sync --mode full"
"$host" sync --plugin "$plugin" --config "$out/config.json" \
  --state "$out/state.json" --events "$out/events.jsonl" --mode full
echo
echo "== omni-connector-host sync --mode incremental (nothing changed)"
"$host" sync --plugin "$plugin" --config "$out/config.json" \
  --state "$out/state.json" --events "$out/events.jsonl" --mode incremental
echo
echo "== omni-connector-host status"
"$host" status --state "$out/state.json"
echo
echo "== the first event (document 1), as Omni receives it"
head -n 1 "$out/events.jsonl" | cut -c 1-1500
echo
echo
echo "Events: $(wc -l <"$out/events.jsonl") lines in $out/events.jsonl"
