#!/bin/sh
# The command line: usage errors exit 2 with one line; --help, --version.
. "${top_srcdir:-.}/tests/host/lib.sh"

config "$T/cfg" '{}'
E="--plugin $ECHO_SO"

expect_exit 2 host
expect_in "$T/err" "omni-connector-host: no command given"
expect_exit 2 host frobnicate
expect_in "$T/err" "unknown command 'frobnicate'"
expect_exit 2 host manifest
expect_in "$T/err" "manifest needs --plugin"
expect_exit 2 host check $E
expect_in "$T/err" "check needs --config"
expect_exit 2 host sync $E --config "$T/cfg" --state "$T/st"
expect_in "$T/err" "sync needs --events"
expect_exit 2 host sync $E --config "$T/cfg" --state "$T/st" --events "$T/ev" --mode sideways
expect_in "$T/err" "--mode must be full or incremental, not 'sideways'"
expect_exit 2 host sync $E --config "$T/cfg" --state "$T/st" --events "$T/ev" --checkpoint-every 0
expect_in "$T/err" "--checkpoint-every needs"
expect_exit 2 host sync $E --config "$T/cfg" --state "$T/st" --events "$T/ev" --checkpoint-seconds -1
expect_exit 2 host status --state "$T/st" $E
expect_in "$T/err" "status does not take --plugin"
expect_exit 2 host check $E --config "$T/cfg" --mode full
expect_in "$T/err" "check does not take --mode"
expect_exit 2 host manifest $E extra
expect_exit 2 host --bogus manifest $E

expect_exit 0 host --help
expect_in "$T/out" "omni-connector-host sync     --plugin PATH --config FILE --state FILE --events FILE"
expect_exit 0 host --version
expect_in "$T/out" "connector ABI 1.0"

# Options may come before the command.
expect_exit 0 host --plugin "$ECHO_SO" manifest
expect_in "$T/out" '"name": "echo"'
expect_in "$T/out" '"sync_modes": ['

# Configuration errors are usage errors.
expect_exit 2 host check $E --config "$T/missing.json"
expect_in "$T/err" "omni-connector-host: cannot open $T/missing.json"
printf '{"source_id": "x", "source_config": {}, ' >"$T/bad.json"
chmod 600 "$T/bad.json"
expect_exit 2 host check $E --config "$T/bad.json"
expect_in "$T/err" "config $T/bad.json: invalid JSON"
printf '{"source_config": {}, "credentials": {}}' >"$T/bad.json"
expect_exit 2 host check $E --config "$T/bad.json"
expect_in "$T/err" '"source_id" must be a non-empty string'
printf '{"source_id": "s", "source_config": [], "credentials": {}}' >"$T/bad.json"
expect_exit 2 host check $E --config "$T/bad.json"
expect_in "$T/err" '"source_config" must be a JSON object'
printf '{"source_id": "s", "source_config": {}, "credentials": "k"}' >"$T/bad.json"
expect_exit 2 host check $E --config "$T/bad.json"
expect_in "$T/err" '"credentials" must be a JSON object'

# A state file that is not ours.
echo '{"format": 7}' >"$T/st"
expect_exit 2 host sync $E --config "$T/cfg" --state "$T/st" --events "$T/ev"
expect_in "$T/err" "state file $T/st is unusable: format 7"
expect_exit 2 host status --state "$T/st"
expect_in "$T/err" "is unusable"
