# tests/unit

# Unit tests: lookup fingerprints for rename detection (opl-rename.c).
check_PROGRAMS += tests/unit/test-rename
TESTS += tests/unit/test-rename
tests_unit_test_rename_SOURCES = tests/unit/test-rename.c
tests_unit_test_rename_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(JSONC_CFLAGS) -I$(top_srcdir)/plugin
tests_unit_test_rename_LDADD = plugin/libopl.la $(CHECK_LIBS) $(JSONC_LIBS)
