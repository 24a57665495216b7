# Integration tests: the built plugin through the mock host against the
# fake Paperless-ngx server.
TESTS += tests/integration/test-exports.sh
EXTRA_DIST += tests/integration/test-exports.sh

# End-to-end Check tests: the real plugin through the real mock host
# against the in-process fake server.  They need the plugin and the host
# built first (both are in all: `make check` builds them).
IT_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(JSONC_CFLAGS) \
	-I$(top_srcdir)/plugin -I$(top_srcdir)/tests/fake
IT_LDADD = tests/fake/libfakepaperless.la plugin/libopl.la \
	$(CHECK_LIBS) $(JSONC_LIBS)
IT_HARNESS = tests/integration/harness.c tests/integration/harness.h

IT_TESTS = tests/integration/test-sync tests/integration/test-kill
check_PROGRAMS += $(IT_TESTS)
TESTS += $(IT_TESTS)
tests_integration_test_sync_SOURCES = tests/integration/test-sync.c $(IT_HARNESS)
tests_integration_test_sync_CFLAGS = $(IT_CFLAGS)
tests_integration_test_sync_LDADD = $(IT_LDADD)
tests_integration_test_kill_SOURCES = tests/integration/test-kill.c $(IT_HARNESS)
tests_integration_test_kill_CFLAGS = $(IT_CFLAGS)
tests_integration_test_kill_LDADD = $(IT_LDADD)

# The same scenarios at full size (issue 4): 5,000 documents, 20 kills.
check-full: all $(IT_TESTS)
	$(MAKE) $(AM_MAKEFLAGS) check TESTS='$(IT_TESTS)' \
	  AM_TESTS_ENVIRONMENT="$(AM_TESTS_ENVIRONMENT) OPL_KILL_DOCS=5000; \
	    OPL_KILL_ROUNDS=20; export OPL_KILL_DOCS OPL_KILL_ROUNDS;"
.PHONY: check-full

include tests/integration/hostile.mk

# TLS (issue 5): https, private CAs, tls_insecure and mutual TLS against the
# fake server with the committed test certificates of tests/data/tls/.
check_PROGRAMS += tests/integration/test-tls
TESTS += tests/integration/test-tls
tests_integration_test_tls_SOURCES = tests/integration/test-tls.c \
	$(IT_HARNESS)
tests_integration_test_tls_CFLAGS = $(IT_CFLAGS)
tests_integration_test_tls_LDADD = $(IT_LDADD)
EXTRA_DIST += tests/data/tls/README.md tests/data/tls/make-certs.sh \
	tests/data/tls/ca.pem tests/data/tls/ca-key.pem \
	tests/data/tls/other-ca.pem tests/data/tls/other-ca-key.pem \
	tests/data/tls/server.pem tests/data/tls/server-key.pem \
	tests/data/tls/wrong-name.pem tests/data/tls/client.pem \
	tests/data/tls/client-key.pem tests/data/tls/other-client.pem
EXTRA_DIST += tests/data/golden/sample-events.jsonl
