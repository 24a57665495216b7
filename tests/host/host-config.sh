#!/bin/sh
# The config file: permission warning, credentials never shown, the state
# tied to its source, one host per state file.
. "${top_srcdir:-.}/tests/host/lib.sh"

config "$T/cfg" '{"count": 3}' 'SECRET-api-KEY-123'
expect_exit 0 host check --plugin "$ECHO_SO" --config "$T/cfg"
expect_not_in "$T/err" "readable by group or others"
chmod 644 "$T/cfg"
expect_exit 0 host check --plugin "$ECHO_SO" --config "$T/cfg"
expect_in "$T/err" "omni-connector-host: warning: $T/cfg is readable by group or others (mode 644) and holds credentials; chmod 600 it"
[ "$(wc -l <"$T/err")" -eq 2 ] || fail "more than the warning and the log line"
chmod 640 "$T/cfg"
expect_exit 0 host check --plugin "$ECHO_SO" --config "$T/cfg"
expect_in "$T/err" "(mode 640)"
chmod 600 "$T/cfg"

# The secret appears nowhere the host writes.
expect_exit 0 host -v sync --plugin "$ECHO_SO" --config "$T/cfg" --state "$T/st" --events "$T/ev"
for f in "$T/out" "$T/err" "$T/st" "$T/ev"; do
  expect_not_in "$f" SECRET-api-KEY
done
expect_in "$T/err" "echo: debug: echo: debug detail"

# Logs: --quiet keeps warnings and errors only; DEBUG needs -v.
expect_exit 0 host --quiet sync --plugin "$ECHO_SO" --config "$T/cfg" --state "$T/st" --events "$T/ev"
[ ! -s "$T/err" ] || { cat "$T/err"; fail "--quiet printed something"; }
expect_exit 0 host sync --plugin "$ECHO_SO" --config "$T/cfg" --state "$T/st" --events "$T/ev"
expect_in "$T/err" "echo: info: echo: ready"
expect_not_in "$T/err" "debug"

# A state file belongs to one source.
config "$T/other" '{"count": 3}' key other-source
expect_exit 2 host sync --plugin "$ECHO_SO" --config "$T/other" --state "$T/st" --events "$T/ev"
expect_in "$T/err" "omni-connector-host: state file $T/st belongs to source src of plugin echo, not to source other-source of plugin echo"

# One host per state file.
config "$T/slow" '{"count": 200, "batch_size": 2, "delay_ms": 20}' key slow
host_bg sync --plugin "$ECHO_SO" --config "$T/slow" --state "$T/st2" --events "$T/ev2" 2>/dev/null
wait_running "$T/st2"
expect_exit 2 host sync --plugin "$ECHO_SO" --config "$T/slow" --state "$T/st2" --events "$T/ev3"
expect_in "$T/err" "omni-connector-host: state file $T/st2 is in use by another omni-connector-host"
kill -9 $bg_pid
finish $bg_pid
