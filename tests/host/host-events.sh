#!/bin/sh
# The events file: Omni's shape, and an index replayed from it that matches
# the source through full and incremental syncs, updates and deletions.
. "${top_srcdir:-.}/tests/host/lib.sh"

S="--plugin $ECHO_SO --config $T/cfg --state $T/st --events $T/ev"

# First sync: incremental becomes full.
config "$T/cfg" '{"count": 30, "delete_every": 4, "batch_size": 7}'
expect_exit 0 host sync $S
expect_in "$T/err" "omni-connector-host: no completed sync yet: running a full sync"
expect_in "$T/err" "sync complete (full): 23 created, 0 updated, 0 deleted in"
same_index "$T/ev" src 30 4 1 0
"$REPLAY" --counts "$T/ev" >"$T/counts"
expect_in "$T/counts" "created 23 updated 0 deleted 0 lines 23"
# The exact shape of one event.
head -1 "$T/ev" >"$T/first"
expect_in "$T/first" '{"type":"document_created","source_id":"src","document_id":"echo:src:1","content":"echo document 1 of src, version 0\n","metadata":{"title":"Echo 1","url":"https://echo.invalid/src/1","extra":{"version":0}},"permissions":{"public":false,"users":["u1@example.com"],"groups":[]},"attributes":{"source_type":"echo","number":"1"}}'
[ "$(stat -c %a "$T/ev")" = 600 ] || fail "events file not private"
[ "$(stat -c %a "$T/st")" = 600 ] || fail "state file not private"

# Nothing changed: an incremental sync writes nothing.
expect_exit 0 host sync $S
expect_in "$T/err" "sync complete (incremental): 0 created, 0 updated, 0 deleted"
[ "$(wc -l <"$T/ev")" -eq 23 ] || fail "an idle incremental sync wrote events"

# New documents, updates of every third, and more deletions.
config "$T/cfg" '{"count": 40, "delete_every": 4, "update_every": 3, "generation": 1, "batch_size": 7}'
: >"$T/ev.before"
cp "$T/ev" "$T/ev.before"
expect_exit 0 host sync $S
# created: 31..40 minus 32, 36, 40 = 7; updated: i%3==0 in 1..30 minus i%4==0 = 8
expect_in "$T/err" "sync complete (incremental): 7 created, 8 updated, 0 deleted"
same_index "$T/ev" src 40 4 3 1
tail -n +24 "$T/ev" | grep -c document_updated >"$T/n"
[ "$(cat "$T/n")" -eq 8 ] || fail "expected 8 document_updated events"

config "$T/cfg" '{"count": 35, "delete_every": 5, "update_every": 3, "generation": 1, "batch_size": 7}'
expect_exit 0 host sync $S
same_index "$T/ev" src 35 5 3 1
tail -1 "$T/ev" >"$T/last"
expect_in "$T/last" '"type":"document_deleted"'
deleted_line=$(grep '"document_id":"echo:src:5"' "$T/ev" | tail -1)
[ "$deleted_line" = '{"type":"document_deleted","source_id":"src","document_id":"echo:src:5"}' ] ||
  fail "deletion event shape: $deleted_line"

# A full sync re-delivers everything as updates and still converges.
expect_exit 0 host sync $S --mode full
expect_in "$T/err" "sync complete (full): 0 created, 28 updated, 0 deleted"
same_index "$T/ev" src 35 5 3 1
expect_exit 0 host status --state "$T/st"
expect_in "$T/out" "documents indexed: 28"
expect_in "$T/out" "last sync: "
expect_in "$T/out" "(full)"

# Documents that vanish between listing and fetching become deletions.
config "$T/v.cfg" '{"count": 20, "vanish_every": 5}'
expect_exit 0 host sync --plugin "$ECHO_SO" --config "$T/v.cfg" --state "$T/v.st" --events "$T/v.ev"
expect_in "$T/err" "sync complete (full): 16 created, 0 updated, 4 deleted"
grep -c '"type":"document_deleted"' "$T/v.ev" >"$T/n"
[ "$(cat "$T/n")" -eq 4 ] || fail "vanished documents were not deleted"

# The host asks for a checkpoint only after the whole batch is written:
# in the plugin's trace, every "list -> n" is followed by n fetches before
# any checkpoint.
config "$T/tr.cfg" "{\"count\": 50, \"batch_size\": 6, \"trace\": \"$T/trace\"}"
expect_exit 0 host sync --plugin "$ECHO_SO" --config "$T/tr.cfg" --state "$T/tr.st" \
  --events "$T/tr.ev" --checkpoint-every 1
awk '
  /^list -> [0-9]+$/ { if (want != 0) bad = 1; want = $3; next }
  /^fetch / { want--; next }
  /^checkpoint/ { if (want != 0) bad = 1; n++ }
  END { if (bad || n < 9) { print "bad order, checkpoints " n; exit 1 } }
' "$T/trace" || fail "checkpoint asked for mid-batch: $(cat "$T/trace" | head -30)"
head -1 "$T/trace" >"$T/l"
expect_in "$T/l" "init mode=full resume=0 checkpoint=-"
tail -1 "$T/trace" >"$T/l"
expect_in "$T/l" "shutdown"
# Progress in a non-tty stderr: a plain line at checkpoints.
expect_in "$T/err" "omni-connector-host: progress: "
expect_in "$T/err" " of 50 documents"
