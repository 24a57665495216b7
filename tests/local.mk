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
include tests/integration/local.mk
