# Document mapping: dates, lookups, custom fields, Markdown rendering.
plugin_libopl_la_SOURCES += \
	plugin/opl-map-extra.h \
	plugin/opl-time.c \
	plugin/opl-lookup.c \
	plugin/opl-fields.c \
	plugin/opl-perms.c \
	plugin/opl-map.c
