# Hostile-input tests (see test-hostile.c): a table of broken server
# answers through the real plugin and mock host.  Uses IT_* from local.mk.
check_PROGRAMS += tests/integration/test-hostile
TESTS += tests/integration/test-hostile
tests_integration_test_hostile_SOURCES = tests/integration/test-hostile.c \
	$(IT_HARNESS)
tests_integration_test_hostile_CFLAGS = $(IT_CFLAGS) $(ZLIB_CFLAGS)
tests_integration_test_hostile_LDADD = $(IT_LDADD) $(ZLIB_LIBS)
