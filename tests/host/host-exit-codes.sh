#!/bin/sh
# Every exit status: 0 done, 1 failed, 2 configuration, 3 authentication,
# 130 stopped by SIGTERM/SIGINT with the state saved.  Each error is one
# line, "omni-connector-host: ...", carrying the plugin's set_error text, and
# is recorded in the state.
. "${top_srcdir:-.}/tests/host/lib.sh"

sync_echo () {
  # sync_echo NAME [options]: sync with config $T/NAME.cfg
  n=$1
  shift
  host sync --plugin "$ECHO_SO" --config "$T/$n.cfg" --state "$T/$n.st" \
    --events "$T/$n.ev" "$@"
}
one_line () {
  [ "$(grep -c '^omni-connector-host: ' "$T/err")" -ge 1 ] || fail "no error line"
}

# 0
config "$T/ok.cfg" '{"count": 12}'
expect_exit 0 sync_echo ok
expect_in "$T/err" "sync complete (full): 12 created, 0 updated, 0 deleted"
expect_exit 0 host check --plugin "$ECHO_SO" --config "$T/ok.cfg"
expect_in "$T/out" "ok: echo connected"

# 1: transient error while listing
config "$T/tr.cfg" '{"count": 30, "batch_size": 5, "fail": "transient", "fail_at": "list", "fail_after": 12}'
expect_exit 1 sync_echo tr
expect_in "$T/err" "omni-connector-host: echo: list_changes failed (TRANSIENT): echo: simulated configured failure in list_changes"
expect_in "$T/tr.st" '"error": "list_changes failed (TRANSIENT): echo: simulated configured failure in list_changes"'
expect_in "$T/tr.st" '"outcome": "failed"'

# 1: internal error while fetching
config "$T/in.cfg" '{"count": 30, "fail": "internal", "fail_at": "fetch", "fail_after": 3}'
expect_exit 1 sync_echo in
expect_in "$T/err" "fetch_document failed (INTERNAL): echo: simulated configured failure in fetch_document"

# 1: INVALID while listing is a data error, not a configuration error
config "$T/iv.cfg" '{"count": 30, "fail": "invalid", "fail_at": "list"}'
expect_exit 1 sync_echo iv
expect_in "$T/err" "list_changes failed (INVALID)"

# 1: metadata that is not JSON
config "$T/bm.cfg" '{"count": 5, "bad_metadata": 3}'
expect_exit 1 sync_echo bm
expect_in "$T/err" "omni-connector-host: echo: plugin gave bad metadata for document echo:src:3: invalid JSON"

# 1: the plugin says cancelled though nobody asked
config "$T/ca.cfg" '{"count": 5, "fail": "cancelled", "fail_at": "list"}'
expect_exit 1 sync_echo ca
expect_in "$T/err" "list_changes failed (CANCELLED)"

# 1: checkpoint refused
config "$T/ck.cfg" '{"count": 5, "fail": "internal", "fail_at": "checkpoint"}'
expect_exit 1 sync_echo ck
expect_in "$T/err" "checkpoint failed (INTERNAL)"

# 2: the plugin finds the configuration invalid
config "$T/bad.cfg" '{"count": "many"}'
expect_exit 2 sync_echo bad
expect_in "$T/err" "omni-connector-host: echo: init failed (INVALID): echo: a numeric setting is not a whole number in range"
expect_in "$T/bad.st" '"outcome": "failed"'
expect_in "$T/bad.st" '"run": null'
expect_exit 2 host check --plugin "$ECHO_SO" --config "$T/bad.cfg"
expect_in "$T/err" "init failed (INVALID)"

# 3: credentials refused, at init and later
config "$T/au.cfg" '{"count": 5}' wrong
expect_exit 3 sync_echo au
expect_in "$T/err" "omni-connector-host: echo: init failed (AUTH): echo: the api key was refused (401)"
expect_exit 3 host check --plugin "$ECHO_SO" --config "$T/au.cfg"
expect_in "$T/err" "init failed (AUTH)"
config "$T/au2.cfg" '{"count": 50, "fail": "auth", "fail_at": "list", "fail_after": 20}'
expect_exit 3 sync_echo au2
expect_in "$T/err" "list_changes failed (AUTH): echo: simulated authentication failure in list_changes"

# 130: SIGTERM and SIGINT stop it between batches; the state is saved and a
# later sync finishes the run with exactly the source's documents.
for sig in TERM INT; do
  config "$T/sig$sig.cfg" '{"count": 400, "batch_size": 5, "delay_ms": 20}'
  host_bg sync --plugin "$ECHO_SO" --config "$T/sig$sig.cfg" \
    --state "$T/sig$sig.st" --events "$T/sig$sig.ev" \
    --checkpoint-seconds 1000 --checkpoint-every 100000 >"$T/out" 2>"$T/err"
  # Let it ingest something, then signal it.
  wait_running "$T/sig$sig.st"
  sleep 0.2
  kill -$sig $bg_pid
  finish $bg_pid
  [ $rc -eq 130 ] || { cat "$T/err" >&2; fail "SIG$sig: exit $rc, expected 130"; }
  expect_in "$T/err" "stopped, state saved; run sync again to resume"
  expect_in "$T/sig$sig.st" '"outcome": "stopped"'
  pos=$(run_pos "$T/sig$sig.st")
  [ -n "$pos" ] && [ "$pos" -gt 0 ] && [ "$pos" -lt 400 ] ||
    fail "SIG$sig: no run checkpoint saved at the stop (pos '$pos')"
  # The stop checkpoint covers exactly what was written: no duplicates after
  # the resume.
  lines=$(wc -l <"$T/sig$sig.ev")
  [ "$lines" -eq "$pos" ] || fail "SIG$sig: $lines events but checkpoint at $pos"
  config "$T/sig$sig.cfg" '{"count": 400, "batch_size": 5}'
  expect_exit 0 sync_echo "sig$sig"
  expect_in "$T/err" "resuming the interrupted full run"
  same_index "$T/sig$sig.ev" src 400 0 1 0
  [ "$(wc -l <"$T/sig$sig.ev")" -eq 400 ] || fail "SIG$sig: duplicates"
done

# The stop also reaches a plugin in a long wait (should_stop is polled).
config "$T/wt.cfg" '{"count": 5, "wait_ms": 30000}'
host_bg sync --plugin "$ECHO_SO" --config "$T/wt.cfg" --state "$T/wt.st" \
  --events "$T/wt.ev" >"$T/out" 2>"$T/err"
i=0
while ! grep -q "waiting 30 s" "$T/err" && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
expect_in "$T/err" "omni-connector-host: waiting 30 s: echo: simulated Retry-After"
kill -TERM $bg_pid
finish $bg_pid
[ $rc -eq 130 ] || fail "stop during a wait: exit $rc"
