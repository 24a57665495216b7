#!/bin/sh
# Progress on a terminal: the live line (documents done of total, rate, time
# left), rewritten in place with a carriage return and erased before the
# summary; none with --quiet; no carriage returns when stderr is not a
# terminal.  The terminal is a pty from util-linux's script(1).
. "${top_srcdir:-.}/tests/host/lib.sh"

command -v script >/dev/null 2>&1 || {
  echo "no script(1) (util-linux/bsdutils): skipped"
  exit 77
}

# 60 documents in batches of 5, 60 ms apart: about 0.7 s, so the line
# (redrawn at most ten times a second) is drawn several times.
config "$T/cfg" '{"count": 60, "batch_size": 5, "delay_ms": 60}'

# on_tty OUT ARGS...: the host with ARGS on a pty (stdout and stderr),
# everything the terminal received in OUT; $rc is the host's exit status.
on_tty() {
  out=$1
  shift
  cmd="${OCH_HOST_WRAPPER:-} '$HOST_BIN'"
  for a in "$@"; do cmd="$cmd '$a'"; done
  set +e
  script -qec "$cmd" /dev/null </dev/null >"$out" 2>"$T/script.err"
  rc=$?
  set -e
  # Make the control characters visible: CR as '#', ESC as '@'.
  tr '\015\033' '#@' <"$out" >"$out.vis"
}

S="--plugin $ECHO_SO --config $T/cfg"

on_tty "$T/tty" sync $S --state "$T/st1" --events "$T/ev1" --mode full
[ "$rc" -eq 0 ] || { cat "$T/tty.vis" "$T/script.err" >&2; fail "sync on a tty exited $rc"; }
same_index "$T/ev1" src 60 0 1 0

# Every redraw: CR, "D of 60 documents[, R docs/s, ETA S s]", erase to end
# of line.  At least one with the rate and the time left.
grep -o '#[0-9][0-9]* of 60 documents[^#@]*@\[K' "$T/tty.vis" >"$T/lines" || :
[ -s "$T/lines" ] || { cat "$T/tty.vis" >&2; fail "no live progress line"; }
grep -Eq '^#[0-9]+ of 60 documents, [0-9]+ docs/s, ETA [0-9]+ s@\[K$' "$T/lines" ||
  { cat "$T/lines" >&2; fail "no live line with rate and time left"; }
if grep -Ev '^#[0-9]+ of 60 documents(, [0-9]+ docs/s, ETA [0-9]+ s)?@\[K$' "$T/lines"; then
  fail "malformed live line (above)"
fi
# Done never goes backwards nor past the total.
sed 's/^#\([0-9]*\) .*/\1/' "$T/lines" | awk '
  $1 > 60 || $1 < prev { bad = 1 } { prev = $1 }
  END { exit bad }' || { cat "$T/lines" >&2; fail "progress out of order"; }
# Redrawn several times, in place: one redraw right after the other, no
# newline between them.
[ "$(wc -l <"$T/lines")" -ge 2 ] || { cat "$T/tty.vis" >&2; fail "drawn once only"; }
grep -q '@\[K#[0-9][0-9]* of 60 documents' "$T/tty.vis" ||
  { cat "$T/tty.vis" >&2; fail "live lines are not rewritten in place"; }
# Erased (CR, erase line) before the summary, which starts at column 0.
expect_in "$T/tty.vis" '@[K#@[Komni-connector-host: sync complete (full): 60 created'
# No plain progress lines on a terminal.
expect_not_in "$T/tty.vis" 'omni-connector-host: progress:'

# --quiet: no live line at all.
on_tty "$T/tty.quiet" sync $S --state "$T/st2" --events "$T/ev2" --mode full \
  --quiet
[ "$rc" -eq 0 ] || { cat "$T/tty.quiet.vis" >&2; fail "quiet sync exited $rc"; }
expect_not_in "$T/tty.quiet.vis" ' of 60 documents'
expect_not_in "$T/tty.quiet.vis" '@[K'

# Not a terminal: no carriage return, no escape sequence.
expect_exit 0 host sync $S --state "$T/st3" --events "$T/ev3" --mode full
tr '\015\033' '#@' <"$T/err" >"$T/err.vis"
expect_not_in "$T/err.vis" '#'
expect_not_in "$T/err.vis" '@'
expect_in "$T/err.vis" 'sync complete (full): 60 created'
