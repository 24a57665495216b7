#!/bin/sh
# make bench: what a sync costs (issue 6).  For each archive size the fake
# server generates documents (~4 KB of OCR text each, seed 1), then with
# each response delay the mock host runs, through bench-run (CPU, peak RSS
# and wall time of the host process):
#   full   a full sync from an empty state
#   incr0  an incremental sync, nothing changed
#   incr1  an incremental sync after 1 % of the documents were touched
# Each row is the median of BENCH_RUNS runs (default 5; full syncs of
# 100,000 documents or more: BENCH_RUNS_LARGE, default 1, or the bench
# would take most of an hour).  Requests and bytes come from the server
# (/control/stats: bytes as sent, i.e. compressed: zstd, as Paperless-ngx answers libcurl); "decoded MB" and
# the json-c floor (jsonc-floor: CPU to parse the same bodies, median of
# 5) from re-fetching the requests of the run's log.
#
#   BENCH_SIZES=1000,10000   BENCH_RUNS=1   BENCH_DELAYS=0,20,200
#
# The table goes to stdout and to tests/bench/results.md; scratch files to
# tests/bench/work/ (removed at the end unless BENCH_KEEP=1).
set -eu
: "${top_builddir:?run me from make bench}"

b=$top_builddir
fake=$b/tests/fake/fake-paperless
host=$b/tests/host/omni-connector-host
plugin=$b/plugin/.libs/paperless_ngx.so
run=$b/tests/bench/bench-run
ctl=$b/tests/bench/bench-ctl
floor=$b/tests/bench/jsonc-floor
token=0123456789abcdef0123456789abcdef01234567 # FP_DEFAULT_TOKEN
sizes=$(echo "${BENCH_SIZES:-1000,10000,100000}" | tr ',' ' ')
runs=${BENCH_RUNS:-5}
runs_large=${BENCH_RUNS_LARGE:-1}
results=$b/tests/bench/results.md
W=$b/tests/bench/work
LC_ALL=C
export LC_ALL

rm -rf "$W"
mkdir -p "$W"
umask 077
fake_pid=
trap '[ -z "$fake_pid" ] || kill "$fake_pid" 2>/dev/null || :' EXIT INT TERM

die () {
  echo "bench: $*" >&2
  exit 1
}

# median: the middle of the numbers on stdin (the upper one of two).
median () {
  sort -n | awk '{ v[NR] = $1 } END { if (NR) print v[int(NR / 2) + 1] }'
}

# field N FILE: column N of each line of FILE.
field () {
  awk -v n="$1" '{ print $n }' "$2"
}

# json_num KEY: a number from the JSON object on stdin.
json_num () {
  sed -n "s/.*\"$1\":\\([0-9][0-9]*\\).*/\\1/p"
}

start_fake () {
  rm -f "$W/port" "$W/cport"
  "$fake" --generate "$1" --port-file "$W/port" \
    --control-port-file "$W/cport" >"$W/fake.log" 2>&1 &
  fake_pid=$!
  i=0
  while [ ! -s "$W/cport" ]; do
    i=$((i + 1))
    [ $i -lt 1200 ] || { cat "$W/fake.log" >&2; die "fake server did not start"; }
    sleep 0.05
  done
  api="http://127.0.0.1:$(cat "$W/port")"
  c="http://127.0.0.1:$(cat "$W/cport")/control"
  printf '{"source_id":"bench","source_config":{"base_url":"%s"},"credentials":{"api_key":"%s"}}\n' \
    "$api" "$token" >"$W/config.json"
}

stop_fake () {
  kill "$fake_pid" 2>/dev/null || :
  wait "$fake_pid" 2>/dev/null || :
  fake_pid=
}

post () {
  "$ctl" -X POST "$c/$1" >/dev/null || die "POST /control/$1 failed"
}

# one_sync MODE: one host run; appends "user sys rss_kb wall status
# requests bytes events" to $W/samples.
one_sync () {
  rm -f "$W/events.jsonl"
  post log-clear
  if ! "$run" -o "$W/cost" "$host" -q sync --plugin "$plugin" \
      --config "$W/config.json" --state "$W/state.json" \
      --events "$W/events.jsonl" --mode "$1" >/dev/null 2>"$W/host.err"; then
    tail -n 20 "$W/host.err" >&2
    die "$1 sync of $n documents, delay $delay ms, failed (user sys rss wall status: $(cat "$W/cost" 2>/dev/null))"
  fi
  "$ctl" "$c/stats" >"$W/stats" || die "GET /control/stats failed"
  ev=0
  [ ! -f "$W/events.jsonl" ] || ev=$(wc -l <"$W/events.jsonl")
  printf '%s %s %s %s\n' "$(cat "$W/cost")" \
    "$(json_num requests <"$W/stats")" "$(json_num bytes_sent <"$W/stats")" \
    "$ev" >>"$W/samples"
}

# floor_of: the json-c floor and decoded bytes of the last run's requests
# (read from the server's log: fetched again without delay or compression).
floor_of () {
  "$ctl" "$c/log" >"$W/log" || die "GET /control/log failed"
  post "delay?ms=0"
  "$floor" "$api" "$W/log" 5 >"$W/floor" || die "jsonc-floor failed"
  post "delay?ms=$delay"
}

# row N MODE: run the configuration, print its table row.
row () {
  n=$1
  mode=$2
  k=$runs
  [ "$mode" != full ] || [ "$n" -lt 100000 ] || k=$runs_large
  : >"$W/samples"
  r=0
  while [ $r -lt "$k" ]; do
    r=$((r + 1))
    case $mode in
      full) rm -f "$W/state.json" "$W/state.json.lock" ;;
      incr0) cp "$W/state.full" "$W/state.json" ;;
      incr1)
        cp "$W/state.full" "$W/state.json"
        post "bulk-touch?ids=1-$((n / 100))"
        ;;
    esac
    case $mode in
      full) one_sync full ;;
      *) one_sync incremental ;;
    esac
    [ "$mode" != full ] || cp "$W/state.json" "$W/state.full"
  done
  # The floor depends on the bytes only: measure it once per size and mode.
  if [ "$delay" = "$first_delay" ]; then
    floor_of
    cp "$W/floor" "$W/floor.$mode"
  fi
  cpu=$(awk '{ print $1 + $2 }' "$W/samples" | median)
  rss=$(field 3 "$W/samples" | median)
  wall=$(field 4 "$W/samples" | median)
  req=$(field 6 "$W/samples" | median)
  bytes=$(field 7 "$W/samples" | median)
  ev=$(field 8 "$W/samples" | median)
  fl=$(field 1 "$W/floor.$mode")
  dec=$(field 2 "$W/floor.$mode")
  awk -v n="$n" -v mode="$mode" -v d="$delay" -v k="$k" -v ev="$ev" \
    -v wall="$wall" -v req="$req" -v bytes="$bytes" -v dec="$dec" \
    -v cpu="$cpu" -v rss="$rss" -v fl="$fl" 'BEGIN {
      dps = (ev > 0 && wall > 0) ? sprintf("%.0f", ev / wall) : "-"
      ratio = fl > 0 ? sprintf("%.1f", cpu / fl) : "-"
      printf "| %7d | %-5s | %5d | %4d | %7d | %7s | %6d | %8.2f | %8.2f | %6.2f | %6.1f | %7.2f | %6.3f | %5s |\n",
        n, mode, d, k, ev, dps, req, bytes / 1e6, dec / 1e6, cpu,
        rss / 1024, wall, fl, ratio
    }' | tee -a "$results"
}

{
  echo "# make bench"
  echo
  echo "- machine: $(nproc) CPUs, $(sed -n 's/^model name[^:]*: *//p' /proc/cpuinfo | head -n 1), $(uname -sr), $(awk '/^MemTotal:/ { printf "%.1f GB RAM", $2 / 1048576 }' /proc/meminfo)"
  echo "- libraries: $("$floor" --versions)"
  echo "- load average at start: $(cut -d ' ' -f 1-3 /proc/loadavg)"
  echo "- runs: $runs per row ($runs_large for full syncs of 100,000+); medians"
  echo
  echo "| docs | mode | delay ms | runs | delivered | docs/s | requests | sent MB (compressed) | decoded MB | CPU s | peak RSS MB | wall s | json-c floor s | CPU/floor |"
  echo "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
} | tee "$results"

for n in $sizes; do
  start_fake "$n"
  delays=${BENCH_DELAYS:-0,20,200}
  first_delay=
  for delay in $(echo "$delays" | tr ',' ' '); do
    # 200 ms is the latency-hiding check: 100,000 documents would take
    # minutes of pure waiting per run.
    [ "$delay" -lt 200 ] || [ "$n" -le 10000 ] || continue
    [ -n "$first_delay" ] || first_delay=$delay
    post "delay?ms=$delay"
    for mode in full incr0 incr1; do
      row "$n" "$mode"
    done
  done
  stop_fake
done

{
  echo
  echo "mode: full = full sync from an empty state; incr0 = incremental, nothing changed; incr1 = incremental after 1 % of the documents were touched."
  echo "CPU = user+sys of omni-connector-host (plugin and host, events written to disk); floor = json-c parsing the same decoded bodies."
  echo "Load average at the end: $(cut -d ' ' -f 1-3 /proc/loadavg)"
} | tee -a "$results"
[ "${BENCH_KEEP:-0}" = 1 ] || rm -rf "$W"
