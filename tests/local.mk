# Tests: the fake Paperless-ngx server, the mock host, unit and integration.
TEST_EXTENSIONS = .sh
SH_LOG_COMPILER = $(SHELL)
AM_TESTS_ENVIRONMENT = \
	top_srcdir='$(abs_top_srcdir)'; top_builddir='$(abs_top_builddir)'; \
	export top_srcdir top_builddir;
if SANITIZERS
# clang 14's LeakSanitizer reads a bogus dynamic-TLS range from glibc 2.36
# once a dlopen'd library (here libcurl's stack, through the plugin) has
# used TLS on a thread that has exited, and its tracer then dies with
# "Tracer caught signal 11" at exit: every time, not now and then.  Not
# intercepting __tls_get_addr avoids that; LSan still scans every thread's
# static TLS and stack, so leaks are still found.
AM_TESTS_ENVIRONMENT += \
	ASAN_OPTIONS="$${ASAN_OPTIONS:+$$ASAN_OPTIONS:}intercept_tls_get_addr=0"; \
	export ASAN_OPTIONS;
endif

include tests/fake/local.mk
include tests/host/local.mk
include tests/unit/local.mk
include tests/unit/map.mk
include tests/unit/state.mk
include tests/unit/config.mk
include tests/integration/local.mk

# A demo sync of the bundled sample archive (README, first command).
demo: all
	$(AM_TESTS_ENVIRONMENT) $(SHELL) $(srcdir)/tests/demo.sh
.PHONY: demo
EXTRA_DIST += tests/demo.sh tests/data/sample-corpus.json tests/data/README.md
clean-local: clean-local-demo
clean-local-demo:
	rm -rf demo
.PHONY: clean-local-demo
include tests/bench/local.mk

# Every test under valgrind memcheck: the C test programs directly (no
# fork, so that errors are reported), and the host inside the end-to-end
# and shell tests through OCH_HOST_WRAPPER, with dlclose skipped so that
# reports keep the plugin's symbol names.  Smaller archives keep it fast.
VALGRIND_CMD = $(VALGRIND) --quiet --error-exitcode=99 --leak-check=full \
	--errors-for-leak-kinds=definite,indirect --track-fds=no
check-valgrind: all
	$(MAKE) $(AM_MAKEFLAGS) check LOG_COMPILER='$(VALGRIND_CMD)' \
	  AM_TESTS_ENVIRONMENT="$(AM_TESTS_ENVIRONMENT) CK_FORK=no; \
	    CK_DEFAULT_TIMEOUT=0; OMNI_CONNECTOR_HOST_NO_DLCLOSE=1; \
	    OCH_HOST_WRAPPER='$(VALGRIND_CMD)'; OPL_IT_DOCS=1500; \
	    OPL_KILL_DOCS=200; OPL_KILL_ROUNDS=8; \
	    export CK_FORK CK_DEFAULT_TIMEOUT OMNI_CONNECTOR_HOST_NO_DLCLOSE \
	      OCH_HOST_WRAPPER OPL_IT_DOCS OPL_KILL_DOCS OPL_KILL_ROUNDS;"
.PHONY: check-valgrind

# libFuzzer targets (clang), each run for FUZZ_SECONDS.
FUZZ_SECONDS = 60
fuzz:
	sh $(srcdir)/tests/fuzz/run.sh $(abs_top_builddir) $(FUZZ_SECONDS)
.PHONY: fuzz
EXTRA_DIST += tests/fuzz/run.sh tests/fuzz/fuzz-map.c tests/fuzz/fuzz-page.c
