# Document mapping: dates, lookups, custom fields, Markdown rendering.
plugin_libopl_la_SOURCES +=
