# The plugin: a convenience library (libopl) with every internal, linked by
# the shared object and by the unit tests.
noinst_LTLIBRARIES += plugin/libopl.la
plugin_libopl_la_SOURCES = \
	plugin/opl.h \
	plugin/opl-buf.c \
	plugin/opl-log.c \
	plugin/opl-json.c
plugin_libopl_la_CFLAGS = $(AM_CFLAGS) -fvisibility=hidden $(CURL_CFLAGS) $(JSONC_CFLAGS) $(PTHREAD_CFLAGS)
plugin_libopl_la_LIBADD = $(CURL_LIBS) $(JSONC_LIBS) $(PTHREAD_LIBS)

# Mapping sources (owned by the mapping work) are listed in plugin/map.mk.
include plugin/map.mk
