# Unit tests: document mapping (dates, lookups, custom fields, documents).
MAP_TESTS = tests/unit/test-time tests/unit/test-lookup \
	tests/unit/test-fields tests/unit/test-map
check_PROGRAMS += $(MAP_TESTS)
TESTS += $(MAP_TESTS)

MAP_TEST_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(JSONC_CFLAGS) \
	-I$(top_srcdir)/plugin \
	-DOPL_FIXTURES='"$(abs_top_srcdir)/tests/unit/fixtures"'
MAP_TEST_LDADD = plugin/libopl.la $(CHECK_LIBS) $(JSONC_LIBS)

tests_unit_test_time_SOURCES = tests/unit/test-time.c
tests_unit_test_time_CFLAGS = $(MAP_TEST_CFLAGS)
tests_unit_test_time_LDADD = $(MAP_TEST_LDADD)

tests_unit_test_lookup_SOURCES = tests/unit/test-lookup.c tests/unit/map-test.h
tests_unit_test_lookup_CFLAGS = $(MAP_TEST_CFLAGS)
tests_unit_test_lookup_LDADD = $(MAP_TEST_LDADD)

tests_unit_test_fields_SOURCES = tests/unit/test-fields.c tests/unit/map-test.h
tests_unit_test_fields_CFLAGS = $(MAP_TEST_CFLAGS)
tests_unit_test_fields_LDADD = $(MAP_TEST_LDADD)

tests_unit_test_map_SOURCES = tests/unit/test-map.c tests/unit/map-test.h
tests_unit_test_map_CFLAGS = $(MAP_TEST_CFLAGS)
tests_unit_test_map_LDADD = $(MAP_TEST_LDADD)

EXTRA_DIST += \
	tests/unit/fixtures/correspondents.json \
	tests/unit/fixtures/custom_fields.json \
	tests/unit/fixtures/custom_fields_v6.json \
	tests/unit/fixtures/doc-nulls.json \
	tests/unit/fixtures/doc-v10.json \
	tests/unit/fixtures/doc-v214.json \
	tests/unit/fixtures/doc-v215dev.json \
	tests/unit/fixtures/doc-v6.json \
	tests/unit/fixtures/doc-wrong-types.json \
	tests/unit/fixtures/document_types.json \
	tests/unit/fixtures/groups.json \
	tests/unit/fixtures/storage_paths.json \
	tests/unit/fixtures/tags.json \
	tests/unit/fixtures/users.json
