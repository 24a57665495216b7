#!/bin/sh
# The plugin exports exactly one dynamic symbol: the ABI entry.  Everything
# else is hidden, so that two plugins (or a plugin and the host) can never
# clash over an internal name.
set -eu
so="$top_builddir/plugin/.libs/paperless_ngx.so"
[ -f "$so" ] || { echo "missing $so"; exit 1; }
syms=$(nm -D --defined-only "$so" | awk '$2 ~ /^[TDBRVW]$/ {print $3}' | sort)
echo "exported: $syms"
[ "$syms" = "omni_connector_plugin_entry" ] || {
  echo "FAIL: expected exactly omni_connector_plugin_entry"; exit 1; }
# No undefined symbol may be expected from the host (-z defs in the
# normal build; checked here too so the sanitizer build is covered).
if nm -D --undefined-only "$so" | grep -E ' (och_|opl_)'; then
  echo "FAIL: plugin expects internal symbols from elsewhere"; exit 1
fi
echo "1 passed, 0 failed"
