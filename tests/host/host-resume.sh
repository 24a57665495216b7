#!/bin/sh
# Interrupted runs: resumed with resume=1 and the run's mode and checkpoint;
# restarted from the source checkpoint when they have none or keep failing.
. "${top_srcdir:-.}/tests/host/lib.sh"

S="--plugin $ECHO_SO --config $T/cfg --state $T/st --events $T/ev"
TR="\"trace\": \"$T/trace\""

# A completed full sync, then an incremental run that fails half-way.
config "$T/cfg" "{\"count\": 20, \"batch_size\": 5, $TR}"
expect_exit 0 host sync $S
config "$T/cfg" "{\"count\": 60, \"batch_size\": 5, \"fail\": \"transient\", \"fail_at\": \"list\", \"fail_after\": 12, $TR}"
expect_exit 1 host sync $S
expect_exit 0 host status --state "$T/st"
expect_in "$T/out" "last run: failed: list_changes failed (TRANSIENT)"
expect_in "$T/out" "interrupted run: incremental run started"
expect_in "$T/out" "checkpoint saved; the next sync resumes it"
[ "$(run_pos "$T/st")" = 15 ] || fail "run checkpoint after the failure: $(run_pos "$T/st")"

# Resume it, asking for full: the interrupted incremental run wins.
config "$T/cfg" "{\"count\": 60, \"batch_size\": 5, $TR}"
: >"$T/trace"
expect_exit 0 host sync $S --mode full
expect_in "$T/err" "--mode full ignored: finishing the interrupted incremental run first"
expect_in "$T/err" "resuming the interrupted incremental run started"
expect_in "$T/err" "sync complete (incremental): 40 created, 0 updated, 0 deleted"
head -1 "$T/trace" >"$T/l"
expect_in "$T/l" 'init mode=incremental resume=1 checkpoint={"base":{"n":20,"k":0,"u":1,"g":0},"pos":15}'
same_index "$T/ev" src 60 0 1 0
[ "$(wc -l <"$T/ev")" -eq 60 ] || fail "the resume repeated events after a clean checkpoint"
grep -F '"source_checkpoint": "{\"state\":{\"n\":60' "$T/st" >/dev/null ||
  fail "the run checkpoint did not become the source checkpoint"
expect_in "$T/st" '"run": null'
# The next incremental starts from the completed sync, resume=0.
: >"$T/trace"
expect_exit 0 host sync $S
head -1 "$T/trace" >"$T/l"
expect_in "$T/l" 'init mode=incremental resume=0 checkpoint={"state":{"n":60,"k":0,"u":1,"g":0}}'

# A failure in the middle of a batch saves no checkpoint for that batch;
# the resume re-delivers it (duplicates are harmless) and converges.
config "$T/cfg" "{\"count\": 90, \"batch_size\": 7, \"fail\": \"internal\", \"fail_at\": \"fetch\", \"fail_after\": 17, $TR}"
expect_exit 1 host sync $S --checkpoint-every 7
[ "$(run_pos "$T/st")" = 14 ] || fail "mid-batch failure: checkpoint $(run_pos "$T/st"), expected 14"
config "$T/cfg" "{\"count\": 90, \"batch_size\": 7, $TR}"
expect_exit 0 host sync $S
same_index "$T/ev" src 90 0 1 0

# A run that keeps failing to resume is started over after three resumes.
config "$T/cfg" "{\"count\": 120, \"batch_size\": 5, \"fail\": \"transient\", \"fail_at\": \"list\", \"fail_after\": 10, $TR}"
expect_exit 1 host sync $S
config "$T/cfg" "{\"count\": 120, \"fail\": \"transient\", \"fail_at\": \"init\", $TR}"
for i in 1 2 3; do
  expect_exit 1 host sync $S
  expect_in "$T/err" "resuming the interrupted incremental run"
done
config "$T/cfg" "{\"count\": 120, \"batch_size\": 5, $TR}"
: >"$T/trace"
expect_exit 0 host sync $S
expect_in "$T/err" "the interrupted incremental run failed to resume 3 times: starting it over"
# Started over (resume=0) from the run's own checkpoint, not the source's:
# only it knows what the failed attempts may have indexed.
head -1 "$T/trace" >"$T/l"
expect_in "$T/l" 'init mode=incremental resume=0 checkpoint={"base":{"n":90,'
if grep -q 'checkpoint={"state":' "$T/l"; then
  echo "FAIL: restarted from the source checkpoint"; exit 1
fi
same_index "$T/ev" src 120 0 1 0
