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
include plugin/state.mk

plugin_libopl_la_SOURCES += \
	plugin/opl-config.c \
	plugin/opl-manifest.c \
	plugin/opl-http.c \
	plugin/opl-api.c \
	plugin/opl-idpage.c \
	plugin/opl-sync.c \
	plugin/opl-rename.c \
	plugin/opl-titles.c \
	plugin/opl-prefetch.c

# The shared object the host dlopens: one exported symbol (see
# plugin/plugin.syms and tests/integration/test-exports.sh).
plugin_LTLIBRARIES += plugin/paperless_ngx.la
plugin_paperless_ngx_la_SOURCES = plugin/opl-plugin.c
plugin_paperless_ngx_la_CFLAGS = $(AM_CFLAGS) -fvisibility=hidden $(JSONC_CFLAGS)
plugin_paperless_ngx_la_LIBADD = plugin/libopl.la
plugin_paperless_ngx_la_LDFLAGS = $(AM_LDFLAGS) -module -avoid-version -shared \
	-export-dynamic -Wl,--version-script=$(srcdir)/plugin/plugin.syms \
	$(ZDEFS_LDFLAGS)
EXTRA_DIST += plugin/plugin.syms
