#!/bin/sh
# The test plugins export exactly the entry symbol, like a real plugin must.
. "${top_srcdir:-.}/tests/host/lib.sh"

command -v nm >/dev/null || { echo "no nm: skipped"; exit 77; }
for p in echo refuse-major refuse-slot refuse-small refuse-null future-minor; do
  syms=$(nm -D --defined-only "$PLUGINS/$p.so" | awk '$2 ~ /^[TDBRVW]$/ {print $3}')
  [ "$syms" = "omni_connector_plugin_entry" ] ||
    fail "$p.so exports: $syms"
done
