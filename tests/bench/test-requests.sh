#!/bin/sh
# test-requests.sh: the plugin's request budget (issue 6), exactly.  Counts
# are deterministic (the generated archive is, seed 1); times are not, so
# they live in `make bench`, never here.
#
# A full sync of the 1,000-document archive (994 visible) costs:
#   1  probe           documents/?page_size=1&fields=id&ordering=-id
#   7  lookups         tags, correspondents, document_types, storage_paths,
#                      custom_fields, users, groups (one page of 1000 each)
#   1  listing         documents/?fields=id,modified  (list_page_size 10000)
#  10  chunks          ceil(994 / 100): documents/?id__in=...&fields=...
#   2  titles          id__in=..&fields=id,title: documentlink targets
#                      outside the current and previous chunk (at most one
#                      per chunk; which chunks need one is data, fixed here)
#   1  reconcile       documents/?fields=id&ordering=id (page_size 10000)
#  = 22.  An incremental sync with nothing changed: probe + lookups +
#  listing (modified__gt) + reconcile = 10, no chunks, no titles.
# When the plugin changes what it asks, change the numbers here with it.
set -eu
: "${top_builddir:?run me from make check}"

fake=$top_builddir/tests/fake/fake-paperless
host=$top_builddir/tests/host/omni-connector-host
plugin=$top_builddir/plugin/.libs/paperless_ngx.so
ctl=$top_builddir/tests/bench/bench-ctl
token=0123456789abcdef0123456789abcdef01234567 # FP_DEFAULT_TOKEN

T=$(mktemp -d "${TMPDIR:-/tmp}/opl-req.XXXXXX")
fake_pid=
trap '[ -z "$fake_pid" ] || kill "$fake_pid" 2>/dev/null || :; rm -rf "$T"' EXIT

fail () {
  echo "FAIL: $*" >&2
  exit 1
}

"$fake" --generate 1000 --port-file "$T/port" --control-port-file "$T/cport" \
  >"$T/fake.log" 2>&1 &
fake_pid=$!
i=0
while [ ! -s "$T/cport" ]; do
  i=$((i + 1))
  [ $i -lt 200 ] || { cat "$T/fake.log" >&2; fail "fake server did not start"; }
  sleep 0.05
done
port=$(cat "$T/port")
c="http://127.0.0.1:$(cat "$T/cport")/control"

umask 077
printf '{"source_id":"req","source_config":{"base_url":"http://127.0.0.1:%s"},"credentials":{"api_key":"%s"}}\n' \
  "$port" "$token" >"$T/config.json"

# sync MODE: run one sync, leave the server's request log in $T/log.
sync () {
  "$ctl" -X POST "$c/log-clear" >/dev/null || fail "log-clear"
  "$host" -q sync --plugin "$plugin" --config "$T/config.json" \
    --state "$T/state.json" --events "$T/events.jsonl" --mode "$1" \
    || fail "$1 sync failed"
  "$ctl" "$c/log" >"$T/log" || fail "GET /control/log"
}

# count PATTERN: log lines (requests) matching an extended regexp.
count () {
  grep -c -E -e "$1" "$T/log" || :
}

# expect WHAT GOT WANT
expect () {
  [ "$2" -eq "$3" ] || {
    sed -n 's/.*"path":"\([^"]*\)","query":"\([^"]\{0,80\}\).*/  \1?\2/p' \
      "$T/log" >&2
    fail "$1: $2 requests, expected $3"
  }
}

visible=$("$ctl" "$c/snapshot" | sed -n 's/^{"count":\([0-9]*\).*/\1/p')
[ "$visible" = 994 ] || fail "the generated archive changed: $visible visible"
chunks=$(((visible + 99) / 100))

sync full
expect "full: total" "$(wc -l <"$T/log")" 22
expect "full: non-GET" "$(count '"method":"(POST|PUT|PATCH|DELETE)"')" 0
expect "full: probe" "$(count '"query":"page_size=1&fields=id&ordering=-id"')" 1
expect "full: lookups" "$(count '"path":"/api/(tags|correspondents|document_types|storage_paths|custom_fields|users|groups)/"')" 7
expect "full: listing" "$(count '"query":"fields=id,modified&')" 1
expect "full: chunks" "$(count '"query":"id__in=[0-9,]*&ordering=id&page_size=[0-9]*&fields=')" "$chunks"
expect "full: titles" "$(count '"query":"id__in=[0-9,]*&fields=id,title&')" 2
expect "full: reconcile" "$(count '"query":"fields=id&ordering=id&')" 1
[ "$(wc -l <"$T/events.jsonl")" -eq "$visible" ] || fail "full: not $visible events"

sync incremental
expect "incremental: total" "$(wc -l <"$T/log")" 10
expect "incremental: listing" "$(count '"query":"modified__gt=[^&]*&fields=id,modified&')" 1
expect "incremental: chunks" "$(count '"query":"id__in=')" 0
expect "incremental: reconcile" "$(count '"query":"fields=id&ordering=id&')" 1
echo "ok: full $((chunks + 12)) requests, incremental 10"
