# Unit tests: the source configuration and credentials (opl-config.c).
check_PROGRAMS += tests/unit/test-config
TESTS += tests/unit/test-config
tests_unit_test_config_SOURCES = tests/unit/test-config.c
tests_unit_test_config_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(JSONC_CFLAGS) \
	-I$(top_srcdir)/plugin
tests_unit_test_config_LDADD = plugin/libopl.la $(CHECK_LIBS) $(JSONC_LIBS)
