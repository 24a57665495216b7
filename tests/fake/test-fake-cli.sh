#!/bin/sh
# test-fake-cli.sh: the standalone fake-paperless program: start on a free
# port, answer the API, obey the control channel, stop cleanly on SIGTERM.
set -u
bin="${top_builddir:-.}/tests/fake/fake-paperless"
corpus="${top_srcdir:-.}/tests/fake/test-corpus.json"
token=feedfacefeedfacefeedfacefeedfacefeedface
command -v curl >/dev/null 2>&1 || { echo "no curl: skipped"; exit 77; }

dir=$(mktemp -d)
pid=
cleanup () {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null
  rm -rf "$dir"
}
trap cleanup EXIT
fail () { echo "FAIL: $*"; exit 1; }

"$bin" --help | grep -q -- '--control-port-file' || fail "--help"
"$bin" --bogus >/dev/null 2>&1 && fail "accepted --bogus"
"$bin" --corpus /nonexistent.json --port-file "$dir/x" 2>"$dir/err" && fail "missing corpus"
grep -q nonexistent "$dir/err" || fail "error message names the file"

"$bin" --corpus "$corpus" --prefix /paperless --port-file "$dir/port" \
  --control-port-file "$dir/cport" >"$dir/out" 2>"$dir/stderr" &
pid=$!
i=0
while [ ! -s "$dir/cport" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
port=$(cat "$dir/port") || fail "no port file"
cport=$(cat "$dir/cport") || fail "no control port file"
grep -qx "fake-paperless: listening on http://127.0.0.1:$port/paperless" \
  "$dir/out" || fail "listening line: $(cat "$dir/out")"

api="http://127.0.0.1:$port/paperless/api"
ctl="http://127.0.0.1:$cport/control"
body=$(curl -sf -H "Authorization: Token $token" "$api/documents/?fields=id&ordering=id") \
  || fail "list"
[ "$body" = '{"count":6,"next":null,"previous":null,"results":[{"id":1},{"id":2},{"id":3},{"id":5},{"id":7},{"id":9}]}' ] \
  || fail "list body: $body"
code=$(curl -s -o /dev/null -w '%{http_code}' "$api/documents/") || fail "curl"
[ "$code" = 401 ] || fail "unauthenticated: $code"

curl -sf -X POST "$ctl/edit?id=1&title=From+control" >/dev/null || fail "edit"
curl -sf -X POST "$ctl/trash?id=9" >/dev/null || fail "trash"
curl -sf -X POST "$ctl/fault?path=/api/tags/&kind=status&status=429&retry_after=7&times=1" \
  >/dev/null || fail "fault"
curl -s -X POST "$ctl/trash?id=999" | grep -q '"ok":false' || fail "bad id accepted"
title=$(curl -sf -H "Authorization: Token $token" "$api/documents/1/?fields=title") \
  || fail "detail"
[ "$title" = '{"title":"From control"}' ] || fail "title: $title"
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Token $token" "$api/tags/")
[ "$code" = 429 ] || fail "fault not applied: $code"
snap=$(curl -sf "$ctl/snapshot") || fail "snapshot"
case "$snap" in '{"count":5,'*) ;; *) fail "snapshot: $snap" ;; esac
stats=$(curl -sf "$ctl/stats") || fail "stats"
case "$stats" in '{"requests":4,"non_get":0,'*) ;; *) fail "stats: $stats" ;; esac
curl -sf "$ctl/log" | grep -q '"path":"/paperless/api/tags/"' || fail "log"

kill -TERM "$pid"
wait "$pid"
rc=$?
pid=
[ $rc = 0 ] || fail "exit status $rc after SIGTERM"
echo "ok"
