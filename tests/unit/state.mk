# Unit tests: id set, checkpoint codec and id listing pages.
check_PROGRAMS += tests/unit/test-idset tests/unit/test-checkpoint \
	tests/unit/test-idpage
TESTS += tests/unit/test-idset tests/unit/test-checkpoint \
	tests/unit/test-idpage

tests_unit_test_idset_SOURCES = tests/unit/test-idset.c
tests_unit_test_idset_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(JSONC_CFLAGS) -I$(top_srcdir)/plugin
tests_unit_test_idset_LDADD = plugin/libopl.la $(CHECK_LIBS) $(JSONC_LIBS)

tests_unit_test_checkpoint_SOURCES = tests/unit/test-checkpoint.c
tests_unit_test_checkpoint_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(JSONC_CFLAGS) -I$(top_srcdir)/plugin
tests_unit_test_checkpoint_LDADD = plugin/libopl.la $(CHECK_LIBS) $(JSONC_LIBS)

# The fuzz targets are built by tests/fuzz/build.sh, not by automake; they
# only ship in the tarball.
EXTRA_DIST += tests/fuzz/README.md tests/fuzz/build.sh \
	tests/fuzz/fuzz-checkpoint.c tests/fuzz/fuzz-idset.c \
	tests/fuzz/checkpoint.dict tests/fuzz/corpus

tests_unit_test_idpage_SOURCES = tests/unit/test-idpage.c
tests_unit_test_idpage_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(JSONC_CFLAGS) -I$(top_srcdir)/plugin
tests_unit_test_idpage_LDADD = plugin/libopl.la $(CHECK_LIBS) $(JSONC_LIBS)
