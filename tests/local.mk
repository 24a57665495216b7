# Tests: the fake Paperless-ngx server, the mock host, unit and integration.
TEST_EXTENSIONS = .sh
SH_LOG_COMPILER = $(SHELL)
AM_TESTS_ENVIRONMENT = \
	top_srcdir='$(abs_top_srcdir)'; top_builddir='$(abs_top_builddir)'; \
	export top_srcdir top_builddir;

include tests/fake/local.mk
include tests/host/local.mk
include tests/unit/local.mk
include tests/unit/map.mk
include tests/unit/state.mk
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
