# tests/bench: `make bench` (issue 6), a performance table; never part of
# `make check`.  Only the exact request counts are a test (test-requests.sh):
# times depend on the machine, counts do not.

# bench-ctl is the control-channel client of test-requests.sh too (the curl
# program is not a build dependency).
check_PROGRAMS += tests/bench/bench-ctl
tests_bench_bench_ctl_SOURCES = tests/bench/bench-ctl.c
tests_bench_bench_ctl_CFLAGS = $(AM_CFLAGS) $(CURL_CFLAGS)
tests_bench_bench_ctl_LDADD = $(CURL_LIBS)

TESTS += tests/bench/test-requests.sh
EXTRA_DIST += tests/bench/test-requests.sh tests/bench/bench.sh

# Built by `make bench` only.
EXTRA_PROGRAMS = tests/bench/bench-run tests/bench/jsonc-floor
CLEANFILES += $(EXTRA_PROGRAMS)
tests_bench_bench_run_SOURCES = tests/bench/bench-run.c
tests_bench_jsonc_floor_SOURCES = tests/bench/jsonc-floor.c
tests_bench_jsonc_floor_CFLAGS = $(AM_CFLAGS) $(CURL_CFLAGS) $(JSONC_CFLAGS)
tests_bench_jsonc_floor_LDADD = $(CURL_LIBS) $(JSONC_LIBS)

BENCH_TOOLS = tests/bench/bench-run$(EXEEXT) tests/bench/jsonc-floor$(EXEEXT) \
	tests/bench/bench-ctl$(EXEEXT)

# BENCH_SIZES=1000,10000 and BENCH_RUNS=1 (BENCH_RUNS_LARGE for full syncs of
# 100,000 documents and more) shorten it; the table also goes to
# tests/bench/results.md.
bench: all $(BENCH_TOOLS)
	$(AM_TESTS_ENVIRONMENT) $(SHELL) $(srcdir)/tests/bench/bench.sh
.PHONY: bench
clean-local: clean-local-bench
clean-local-bench:
	rm -rf tests/bench/work tests/bench/results.md
.PHONY: clean-local-bench
