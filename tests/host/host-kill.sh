#!/bin/sh
# kill -9 at random instants, several times: after each kill the state file
# parses, its run checkpoint never covers an event that is not in the events
# file, and after a final sync the replayed events are exactly the source.
. "${top_srcdir:-.}/tests/host/lib.sh"

N=600
S="--plugin $ECHO_SO --config $T/cfg --state $T/st --events $T/ev"
config "$T/cfg" "{\"count\": $N, \"batch_size\": 5, \"delay_ms\": 15, \"content_size\": 3000}"

# check_covered: every document the run checkpoint covers is in the events
# file (echo lists documents 1..N in order, so pos P covers 1..P).
check_covered () {
  pos=$(run_pos "$T/st")
  [ -n "$pos" ] || return 0
  "$REPLAY" "$T/ev" 2>/dev/null >"$T/idx" || {
    # A torn last line is allowed (the next run cuts it); check the rest.
    sed '$d' "$T/ev" >"$T/ev.whole"
    "$REPLAY" "$T/ev.whole" >"$T/idx" || fail "events file corrupt before its end"
  }
  awk -F'\t' -v p="$pos" '
    { sub(/^echo:src:/, "", $1); have[$1] = 1 }
    END { for (i = 1; i <= p; i++) if (!(i in have)) { print "missing " i; exit 1 } }
  ' "$T/idx" || fail "checkpoint at $pos is ahead of the events file"
}

# Killed before it saved any checkpoint: the next run starts it over.
host_bg sync $S --checkpoint-every 100000 --checkpoint-seconds 1000 2>/dev/null
wait_running "$T/st"
sleep 0.1
kill -9 $bg_pid
finish $bg_pid
expect_exit 0 host status --state "$T/st"
expect_in "$T/out" "last run: interrupted (killed)"
expect_in "$T/out" "no checkpoint yet (it restarts from the last completed sync)"

kills=0
for delay in 0.35 0.05 0.6 0.2 0.45 0.15 0.5; do
  host_bg sync $S --checkpoint-every 10 --checkpoint-seconds 0.05 >"$T/out" 2>"$T/err"
  sleep $delay
  if kill -9 $bg_pid 2>/dev/null; then
    kills=$((kills + 1))
  fi
  finish $bg_pid
  expect_exit 0 host status --state "$T/st"
  check_covered
  ls "$T" | grep -q '^st\.tmp\.' && echo "note: a temp state file was left (cleaned on next run)"
  grep -q '"outcome": "completed"' "$T/st" && break
done
[ $kills -ge 3 ] || fail "only $kills kills landed; the test proves little"

expect_exit 0 host sync $S --checkpoint-every 10
expect_in "$T/err" "sync complete ("
same_index "$T/ev" src $N 0 1 0
! ls "$T" | grep -q '^st\.tmp\.' || fail "temp state files left behind"
expect_exit 0 host status --state "$T/st"
expect_in "$T/out" "last run: completed"
expect_in "$T/out" "interrupted run: none"
expect_in "$T/out" "documents indexed: $N"
echo "$kills kills, $(wc -l <"$T/ev") events for $N documents"
