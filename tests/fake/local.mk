# tests/fake: the fake Paperless-ngx server (library, program, tests).

noinst_LTLIBRARIES += tests/fake/libfakepaperless.la
tests_fake_libfakepaperless_la_SOURCES = \
	tests/fake/fake-paperless.h \
	tests/fake/fp-internal.h \
	tests/fake/fp-server-int.h \
	tests/fake/fp-util.c \
	tests/fake/fp-time.c \
	tests/fake/fp-corpus.c \
	tests/fake/fp-generate.c \
	tests/fake/fp-render.c \
	tests/fake/fp-query.c \
	tests/fake/fp-filter.c \
	tests/fake/fp-faults.c \
	tests/fake/fp-log.c \
	tests/fake/fp-mutate.c \
	tests/fake/fp-control.c \
	tests/fake/fp-api.c \
	tests/fake/fp-server.c
tests_fake_libfakepaperless_la_CFLAGS = $(AM_CFLAGS) $(MHD_CFLAGS) \
	$(JSONC_CFLAGS) $(ZLIB_CFLAGS) $(ZSTD_CFLAGS) $(PTHREAD_CFLAGS)
# https with mutual TLS checks client certificates with GnuTLS itself:
# libmicrohttpd (which is built on it, and whose pkg-config file requires
# gnutls) only asks for them.
FP_GNUTLS_LIBS = -lgnutls
tests_fake_libfakepaperless_la_LIBADD = $(MHD_LIBS) $(FP_GNUTLS_LIBS) \
	$(JSONC_LIBS) $(ZLIB_LIBS) $(ZSTD_LIBS) $(PTHREAD_LIBS)

bin_PROGRAMS += tests/fake/fake-paperless
dist_man1_MANS += tests/fake/fake-paperless.1
tests_fake_fake_paperless_SOURCES = tests/fake/fake-paperless-main.c
tests_fake_fake_paperless_LDADD = tests/fake/libfakepaperless.la

check_PROGRAMS += tests/fake/test-fake-server
TESTS += tests/fake/test-fake-server
tests_fake_test_fake_server_SOURCES = tests/fake/test-fake-server.c
tests_fake_test_fake_server_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) \
	$(CURL_CFLAGS) $(JSONC_CFLAGS) $(ZLIB_CFLAGS) $(PTHREAD_CFLAGS)
tests_fake_test_fake_server_LDADD = tests/fake/libfakepaperless.la \
	$(CHECK_LIBS) $(CURL_LIBS) $(JSONC_LIBS) $(ZLIB_LIBS) $(PTHREAD_LIBS)
tests_fake_test_fake_server_CPPFLAGS = $(AM_CPPFLAGS) \
	-DFP_TEST_CORPUS='"$(abs_top_srcdir)/tests/fake/test-corpus.json"'

TESTS += tests/fake/test-fake-cli.sh

EXTRA_DIST += tests/fake/test-corpus.json tests/fake/test-fake-cli.sh \
	tests/fake/README.md
