# Unit tests: the source configuration and credentials (opl-config.c).
check_PROGRAMS += tests/unit/test-config
TESTS += tests/unit/test-config
tests_unit_test_config_SOURCES = tests/unit/test-config.c
tests_unit_test_config_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(JSONC_CFLAGS) \
	-I$(top_srcdir)/plugin
tests_unit_test_config_LDADD = plugin/libopl.la $(CHECK_LIBS) $(JSONC_LIBS)

# The token leaves no copy in freed memory (a free() of the test's own).
check_PROGRAMS += tests/unit/test-secret
TESTS += tests/unit/test-secret
tests_unit_test_secret_SOURCES = tests/unit/test-secret.c
tests_unit_test_secret_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(JSONC_CFLAGS) \
	-I$(top_srcdir)/plugin
tests_unit_test_secret_LDADD = plugin/libopl.la $(CHECK_LIBS) $(JSONC_LIBS) \
	$(CURL_LIBS)
