# tests/host: omni-connector-host, the mock Omni host, its test plugins
# (tests/plugins) and the ABI tests of the public header.

# ---- the host ------------------------------------------------------------
# Everything but main() in a convenience library, so that the Check tests
# link the code the program runs.
noinst_LTLIBRARIES += tests/host/liboch.la
tests_host_liboch_la_SOURCES = \
	tests/host/och.h \
	tests/host/och-util.c \
	tests/host/och-json.c \
	tests/host/och-load.c \
	tests/host/och-config.c \
	tests/host/och-state.c \
	tests/host/och-events.c \
	tests/host/och-progress.c \
	tests/host/och-sync.c \
	tests/host/och-status.c
tests_host_liboch_la_CFLAGS = $(AM_CFLAGS) $(JSONC_CFLAGS)
tests_host_liboch_la_LIBADD = $(JSONC_LIBS) $(DL_LIBS)

bin_PROGRAMS += tests/host/omni-connector-host
tests_host_omni_connector_host_SOURCES = tests/host/och-main.c
tests_host_omni_connector_host_CFLAGS = $(AM_CFLAGS) $(JSONC_CFLAGS)
tests_host_omni_connector_host_LDADD = tests/host/liboch.la $(JSONC_LIBS) $(DL_LIBS)

dist_man1_MANS += tests/host/omni-connector-host.1

# ---- test plugins --------------------------------------------------------
OCH_PLUGIN_LDFLAGS = $(AM_LDFLAGS) -module -avoid-version -shared \
	-rpath /nowhere $(ZDEFS_LDFLAGS) \
	-export-symbols-regex '^omni_connector_plugin_entry$$'
OCH_PLUGIN_CFLAGS = $(AM_CFLAGS) -fvisibility=hidden

check_LTLIBRARIES += tests/plugins/echo.la
tests_plugins_echo_la_SOURCES = tests/plugins/echo.c
tests_plugins_echo_la_CFLAGS = $(OCH_PLUGIN_CFLAGS) $(JSONC_CFLAGS)
tests_plugins_echo_la_LDFLAGS = $(OCH_PLUGIN_LDFLAGS)
tests_plugins_echo_la_LIBADD = $(JSONC_LIBS)

# One source, one refusal (or acceptance) per build; see variant.c.
check_LTLIBRARIES += \
	tests/plugins/refuse-major.la \
	tests/plugins/refuse-slot.la \
	tests/plugins/refuse-small.la \
	tests/plugins/refuse-nosym.la \
	tests/plugins/refuse-null.la \
	tests/plugins/future-minor.la
tests_plugins_refuse_major_la_SOURCES = tests/plugins/variant.c
tests_plugins_refuse_major_la_CPPFLAGS = $(AM_CPPFLAGS) -DVARIANT_MAJOR
tests_plugins_refuse_major_la_CFLAGS = $(OCH_PLUGIN_CFLAGS)
tests_plugins_refuse_major_la_LDFLAGS = $(OCH_PLUGIN_LDFLAGS)
tests_plugins_refuse_slot_la_SOURCES = tests/plugins/variant.c
tests_plugins_refuse_slot_la_CPPFLAGS = $(AM_CPPFLAGS) -DVARIANT_SLOT
tests_plugins_refuse_slot_la_CFLAGS = $(OCH_PLUGIN_CFLAGS)
tests_plugins_refuse_slot_la_LDFLAGS = $(OCH_PLUGIN_LDFLAGS)
tests_plugins_refuse_small_la_SOURCES = tests/plugins/variant.c
tests_plugins_refuse_small_la_CPPFLAGS = $(AM_CPPFLAGS) -DVARIANT_SMALL
tests_plugins_refuse_small_la_CFLAGS = $(OCH_PLUGIN_CFLAGS)
tests_plugins_refuse_small_la_LDFLAGS = $(OCH_PLUGIN_LDFLAGS)
tests_plugins_refuse_nosym_la_SOURCES = tests/plugins/variant.c
tests_plugins_refuse_nosym_la_CPPFLAGS = $(AM_CPPFLAGS) -DVARIANT_NOSYM
tests_plugins_refuse_nosym_la_CFLAGS = $(AM_CFLAGS)
tests_plugins_refuse_nosym_la_LDFLAGS = $(AM_LDFLAGS) -module -avoid-version \
	-shared -rpath /nowhere $(ZDEFS_LDFLAGS)
tests_plugins_refuse_null_la_SOURCES = tests/plugins/variant.c
tests_plugins_refuse_null_la_CPPFLAGS = $(AM_CPPFLAGS) -DVARIANT_NULL
tests_plugins_refuse_null_la_CFLAGS = $(OCH_PLUGIN_CFLAGS)
tests_plugins_refuse_null_la_LDFLAGS = $(OCH_PLUGIN_LDFLAGS)
tests_plugins_future_minor_la_SOURCES = tests/plugins/variant.c
tests_plugins_future_minor_la_CPPFLAGS = $(AM_CPPFLAGS) -DVARIANT_FUTURE
tests_plugins_future_minor_la_CFLAGS = $(OCH_PLUGIN_CFLAGS)
tests_plugins_future_minor_la_LDFLAGS = $(OCH_PLUGIN_LDFLAGS)

# ---- tests ---------------------------------------------------------------
# och-replay: applies an events file (last one wins) and prints the index.
check_PROGRAMS += tests/host/och-replay
tests_host_och_replay_SOURCES = tests/host/och-replay.c
tests_host_och_replay_CFLAGS = $(AM_CFLAGS) $(JSONC_CFLAGS)
tests_host_och_replay_LDADD = tests/host/liboch.la $(JSONC_LIBS) $(DL_LIBS)

OCH_CHECK_TESTS = \
	tests/host/test-och-load \
	tests/host/test-och-state \
	tests/host/test-och-events
check_PROGRAMS += $(OCH_CHECK_TESTS)
tests_host_test_och_load_SOURCES = tests/host/test-och-load.c
tests_host_test_och_load_CFLAGS = $(AM_CFLAGS) $(JSONC_CFLAGS) $(CHECK_CFLAGS)
tests_host_test_och_load_LDADD = tests/host/liboch.la $(JSONC_LIBS) $(DL_LIBS) $(CHECK_LIBS)
tests_host_test_och_state_SOURCES = tests/host/test-och-state.c
tests_host_test_och_state_CFLAGS = $(AM_CFLAGS) $(JSONC_CFLAGS) $(CHECK_CFLAGS)
tests_host_test_och_state_LDADD = tests/host/liboch.la $(JSONC_LIBS) $(DL_LIBS) $(CHECK_LIBS)
tests_host_test_och_events_SOURCES = tests/host/test-och-events.c
tests_host_test_och_events_CFLAGS = $(AM_CFLAGS) $(JSONC_CFLAGS) $(CHECK_CFLAGS)
tests_host_test_och_events_LDADD = tests/host/liboch.la $(JSONC_LIBS) $(DL_LIBS) $(CHECK_LIBS)

# The real plugin through dlopen, against the in-process fake server:
# several instances syncing in parallel threads (instances share no
# state), and its manifest (identity and a truthful configuration form).
OCH_PLUGIN_TESTS = \
	tests/host/test-parallel \
	tests/host/test-manifest
check_PROGRAMS += $(OCH_PLUGIN_TESTS)
OCH_PLUGIN_TEST_CFLAGS = $(AM_CFLAGS) $(JSONC_CFLAGS) $(CHECK_CFLAGS) \
	$(PTHREAD_CFLAGS) -I$(top_srcdir)/tests/fake
OCH_PLUGIN_TEST_LDADD = tests/host/liboch.la tests/fake/libfakepaperless.la \
	$(JSONC_LIBS) $(DL_LIBS) $(CHECK_LIBS) $(PTHREAD_LIBS)
tests_host_test_parallel_SOURCES = tests/host/test-parallel.c
tests_host_test_parallel_CFLAGS = $(OCH_PLUGIN_TEST_CFLAGS)
tests_host_test_parallel_LDADD = $(OCH_PLUGIN_TEST_LDADD)
# The form's defaults and bounds are checked against the plugin's own
# configuration parser (plugin/libopl.la, as the unit tests link it).
tests_host_test_manifest_SOURCES = tests/host/test-manifest.c
tests_host_test_manifest_CFLAGS = $(OCH_PLUGIN_TEST_CFLAGS) \
	-I$(top_srcdir)/plugin
tests_host_test_manifest_LDADD = $(OCH_PLUGIN_TEST_LDADD) plugin/libopl.la

# The public header as C99 (pedantic) and as C++11, with a cross-language
# layout check: a C translation unit reports sizes and offsets, the C++ one
# compares them with its own.
OCH_HEADER_TESTS = \
	tests/host/test-header-c99 \
	tests/host/test-header-cxx
check_PROGRAMS += $(OCH_HEADER_TESTS)
tests_host_test_header_c99_SOURCES = tests/host/test-header-c99.c
tests_host_test_header_c99_CFLAGS = -std=c99 -pedantic -Werror -Wall -Wextra \
	-Wstrict-prototypes -Wmissing-prototypes
tests_host_test_header_cxx_SOURCES = \
	tests/host/test-header-cxx.cc \
	tests/host/test-header-layout.c
tests_host_test_header_cxx_CFLAGS = $(AM_CFLAGS)
tests_host_test_header_cxx_CXXFLAGS = -std=c++11 -pedantic -Werror -Wall -Wextra

OCH_SH_TESTS = \
	tests/host/host-refuse.sh \
	tests/host/host-usage.sh \
	tests/host/host-exit-codes.sh \
	tests/host/host-events.sh \
	tests/host/host-resume.sh \
	tests/host/host-kill.sh \
	tests/host/host-status.sh \
	tests/host/host-config.sh \
	tests/host/host-progress.sh \
	tests/host/plugin-exports.sh

# `make install` with directories given at make time (omni-connector.pc).
# Not under check-host-valgrind: it runs make, not the host.
OCH_INSTALL_TESTS = tests/host/install-prefix.sh

TESTS += $(OCH_CHECK_TESTS) $(OCH_PLUGIN_TESTS) $(OCH_HEADER_TESTS) \
	$(OCH_SH_TESTS) $(OCH_INSTALL_TESTS)
EXTRA_DIST += $(OCH_SH_TESTS) $(OCH_INSTALL_TESTS) tests/host/lib.sh

# Everything above under valgrind: the C tests directly (CK_FORK=no), the
# host inside the shell tests through OCH_HOST_WRAPPER (lib.sh), with
# dlclose skipped so that reports keep the plugins' symbol names.
if HAVE_VALGRIND
OCH_VALGRIND = $(VALGRIND) --quiet --error-exitcode=99 --leak-check=full \
	--errors-for-leak-kinds=definite,indirect --track-fds=no
check-host-valgrind:
	$(MAKE) $(AM_MAKEFLAGS) check \
	  TESTS='$(OCH_CHECK_TESTS) $(OCH_PLUGIN_TESTS) $(OCH_SH_TESTS)' \
	  LOG_COMPILER='$(OCH_VALGRIND)' \
	  AM_TESTS_ENVIRONMENT="$(AM_TESTS_ENVIRONMENT) CK_FORK=no; \
	    OMNI_CONNECTOR_HOST_NO_DLCLOSE=1; \
	    OCH_HOST_WRAPPER='$(OCH_VALGRIND)'; \
	    export CK_FORK OMNI_CONNECTOR_HOST_NO_DLCLOSE OCH_HOST_WRAPPER;"
else
check-host-valgrind:
	@echo "valgrind not found by configure: check-host-valgrind skipped"
endif
.PHONY: check-host-valgrind
