#!/bin/sh
# status --state FILE: what an operator needs to know.
. "${top_srcdir:-.}/tests/host/lib.sh"

expect_exit 2 host status --state "$T/none"
expect_in "$T/err" "omni-connector-host: cannot open $T/none: No such file or directory"
[ "$(wc -l <"$T/err")" -eq 1 ] || fail "more than one line"

S="--plugin $ECHO_SO --config $T/cfg --state $T/st --events $T/ev"
config "$T/cfg" '{"count": 25, "delete_every": 5}'
expect_exit 0 host sync $S --mode full
expect_exit 0 host status --state "$T/st"
expect_in "$T/out" "source: src (plugin echo)"
grep -E '^last sync: [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z \(full\)$' "$T/out" >/dev/null ||
  fail "last sync line: $(cat "$T/out")"
expect_in "$T/out" "documents indexed: 20"
expect_in "$T/out" "last run: completed"
expect_in "$T/out" "last run counts: 20 created, 0 updated, 0 deleted (full)"
expect_in "$T/out" "interrupted run: none"

# A failed run.
config "$T/cfg" '{"count": 25, "delete_every": 5, "fail": "auth"}'
expect_exit 3 host sync $S
expect_exit 0 host status --state "$T/st"
expect_in "$T/out" "last run: failed: init failed (AUTH): echo: simulated authentication failure in init"
expect_in "$T/out" "interrupted run: none"
expect_in "$T/out" "(full)" # the last completed sync is still the full one

# A running one, then killed.
config "$T/cfg" '{"count": 400, "batch_size": 2, "delay_ms": 20, "generation": 1}'
host_bg sync $S --checkpoint-seconds 0 2>/dev/null
i=0
while ! grep -q '"pos' "$T/st" && [ $i -lt 400 ]; do sleep 0.02; i=$((i + 1)); done
expect_exit 0 host status --state "$T/st"
expect_in "$T/out" "last run: running"
expect_in "$T/out" "interrupted run: none (an incremental run is running now)"
kill -9 $bg_pid
finish $bg_pid
expect_exit 0 host status --state "$T/st"
expect_in "$T/out" "last run: interrupted (killed)"
expect_in "$T/out" "interrupted run: incremental run started "
expect_in "$T/out" "checkpoint saved; the next sync resumes it"

# Stopped by a signal.
host_bg sync $S --checkpoint-seconds 0 2>/dev/null
wait_running "$T/st"
sleep 0.1
kill -TERM $bg_pid
finish $bg_pid
[ $rc -eq 130 ] || fail "SIGTERM: exit $rc"
expect_exit 0 host status --state "$T/st"
expect_in "$T/out" "last run: stopped"
expect_in "$T/out" "the next sync resumes it"
