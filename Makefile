# uh - evaluation and benchmark harness for LLM unlearning.
#
#   make            build build/uh (and uh-run)
#   make run        the main job on the embedded default (no download, no server)
#   make test       Criterion tests under AddressSanitizer + UBSan
#   make bench      benchmarks against the reference implementations
#   make fuzz       build the libFuzzer targets; FUZZ_SECONDS=N make fuzz-run runs each
#   make hdrcheck   compile every header on its own
#
# DEVELOPER=1 (set by CI) turns warnings into errors. SHARED points at the
# shared data/vectors folder (default ../shared).

SHARED ?= ../shared
CC ?= cc
CLANG ?= clang
PYTHON_REF ?= /usr/bin/python3
O := build

PKGS := sqlite3 libcjson libcurl gsl libmicrohttpd
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS = $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lm -ldl -lpthread
CRIT_LIBS = $(shell pkg-config --libs criterion 2>/dev/null)

WARN := -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	-Wformat=2 -Wvla -Wpointer-arith -Wundef -Wno-unused-parameter
ifeq ($(DEVELOPER),1)
WARN += -Werror
endif
# -ffp-contract=off: no FMA, so sums and products round as in numpy/scipy.
BASE_CFLAGS := -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -I. -ffp-contract=off -g
OPT_CFLAGS := -O2
SAN_CFLAGS := -O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
CFLAGS_ALL = $(BASE_CFLAGS) $(WARN) $(PKG_CFLAGS) $(CFLAGS)

LIB_SRCS := $(filter-out harness/main.c,$(wildcard harness/*.c harness/backends/*.c suites/*.c metrics/*.c results/*.c report/*.c))
HDRS := $(wildcard harness/*.h harness/backends/*.h suites/*.h metrics/*.h results/*.h report/*.h)
TEST_SRCS := $(wildcard tests/test_*.c)
TEST_UTIL := tests/testutil.c
BENCH_SRCS := $(wildcard tests/bench/bench_*.c)
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
PLUGIN_SRCS := $(wildcard tests/plugins/*.c)

REL_OBJS := $(LIB_SRCS:%.c=$(O)/rel/%.o)
SAN_OBJS := $(LIB_SRCS:%.c=$(O)/san/%.o)
FUZZ_OBJS := $(LIB_SRCS:%.c=$(O)/fuzz/%.o)
TEST_BINS := $(TEST_SRCS:tests/%.c=$(O)/san/tests/%)
BENCH_BINS := $(BENCH_SRCS:tests/bench/%.c=$(O)/rel/bench/%)
FUZZ_BINS := $(FUZZ_SRCS:tests/fuzz/%.c=$(O)/fuzz/bin/%)
PLUGINS := $(PLUGIN_SRCS:tests/plugins/%.c=$(O)/plugins/%.so)

DEPS_STAMP := $(O)/.deps

.PHONY: all run test bench bench-bins fuzz fuzz-run hdrcheck deps clean check
.SECONDARY:

all: $(O)/uh $(O)/uh-run

# ---------------------------------------------------------------- packages
# Install the Debian packages uh needs when pkg-config cannot find them
# (via sudo when not root). Runs once per build tree.
DEB_sqlite3 := libsqlite3-dev
DEB_libcjson := libcjson-dev
DEB_libcurl := libcurl4-openssl-dev
DEB_gsl := libgsl-dev
DEB_criterion := libcriterion-dev
DEB_libmicrohttpd := libmicrohttpd-dev

deps: $(DEPS_STAMP)
$(DEPS_STAMP):
	@mkdir -p $(O)
	@missing=""; \
	command -v pkg-config >/dev/null 2>&1 || missing="pkg-config"; \
	for p in $(PKGS) criterion; do \
	  case $$p in sqlite3) d=$(DEB_sqlite3);; libcjson) d=$(DEB_libcjson);; libcurl) d=$(DEB_libcurl);; \
	    gsl) d=$(DEB_gsl);; criterion) d=$(DEB_criterion);; libmicrohttpd) d=$(DEB_libmicrohttpd);; esac; \
	  pkg-config --exists $$p 2>/dev/null || missing="$$missing $$d"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "uh: installing Debian packages:$$missing"; \
	  sudo=""; [ "$$(id -u)" = 0 ] || sudo=sudo; \
	  $$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq $$missing pkg-config >/dev/null || exit 1; \
	fi
	@touch $@

# Reference implementations for the benchmarks (Debian's scipy and nltk).
# wrk measures the ceiling of an HTTP endpoint for the serve/openai benchmarks.
$(O)/.deps-bench: $(DEPS_STAMP)
	@{ $(PYTHON_REF) -c 'import scipy, nltk, numpy' 2>/dev/null && command -v wrk >/dev/null 2>&1; } || { \
	  sudo=""; [ "$$(id -u)" = 0 ] || sudo=sudo; \
	  echo "uh: installing python3-scipy python3-nltk python3-numpy wrk for the benchmarks"; \
	  $$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq python3-scipy python3-nltk python3-numpy wrk >/dev/null; }
	@touch $@

# clang with libFuzzer for the fuzz targets.
$(O)/.deps-fuzz: $(DEPS_STAMP)
	@{ command -v $(CLANG) >/dev/null 2>&1 && echo 'int LLVMFuzzerTestOneInput(const char*d,long n){return 0;}' | \
	  $(CLANG) -x c -fsanitize=fuzzer - -o /dev/null 2>/dev/null; } || { \
	  sudo=""; [ "$$(id -u)" = 0 ] || sudo=sudo; \
	  echo "uh: installing clang and libclang-rt-dev for libFuzzer"; \
	  $$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq clang libclang-rt-14-dev >/dev/null; }
	@touch $@

# ---------------------------------------------------------------- release build
$(O)/rel/%.o: %.c $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) $(OPT_CFLAGS) -MMD -MP -c $< -o $@

$(O)/rel/libuh.a: $(REL_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(O)/uh: $(O)/rel/harness/main.o $(O)/rel/libuh.a
	$(CC) $(OPT_CFLAGS) -o $@ $^ $(PKG_LIBS) $(LDFLAGS)

$(O)/uh-run: $(O)/uh
	ln -sf uh $@

# ---------------------------------------------------------------- tests (ASan + UBSan)
$(O)/san/%.o: %.c $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) $(SAN_CFLAGS) -MMD -MP -c $< -o $@

$(O)/san/libuh.a: $(SAN_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(O)/san/tests/%: $(O)/san/tests/%.o $(O)/san/tests/testutil.o $(O)/san/libuh.a
	$(CC) $(SAN_CFLAGS) -o $@ $^ $(CRIT_LIBS) $(PKG_LIBS)

# Test plugins: plain shared objects built against harness/backend.h only,
# exactly as a plugin author would build one (no sanitizer runtime needed).
$(O)/plugins/%.so: tests/plugins/%.c harness/backend.h $(wildcard tests/plugins/*.h)
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) $(WARN) -O1 -fPIC -shared -o $@ $<

# Criterion runs each test in a forked worker, so a sanitizer report there
# does not fail the run by itself: reports go to $(O)/san-logs and any file
# found there afterwards fails `make test`.
SAN_LOGS := $(O)/san-logs
test: $(TEST_BINS) $(O)/uh $(PLUGINS)
	@rm -rf $(SAN_LOGS) && mkdir -p $(SAN_LOGS)
	@fail=0; passed=0; failed=0; for t in $(TEST_BINS); do \
	  echo "== $$t"; \
	  UH_SHARED=$(SHARED) UH_BUILD=$(O) \
	  ASAN_OPTIONS=log_path=$(abspath $(SAN_LOGS))/asan:detect_leaks=1:abort_on_error=0 \
	  UBSAN_OPTIONS=log_path=$(abspath $(SAN_LOGS))/ubsan:print_stacktrace=1:halt_on_error=1 \
	  $$t --jobs 2 >$(SAN_LOGS).out 2>&1; rc=$$?; cat $(SAN_LOGS).out; \
	  syn=$$(grep -a 'Synthesis:' $(SAN_LOGS).out | tail -1); \
	  p=$$(echo "$$syn" | sed -n 's/.*Passing: \([0-9]*\).*/\1/p'); \
	  f=$$(echo "$$syn" | sed -n 's/.*Failing: \([0-9]*\) | Crashing: \([0-9]*\).*/\1 \2/p'); \
	  passed=$$((passed + $${p:-0})); for x in $$f; do failed=$$((failed + x)); done; \
	  if [ $$rc != 0 ] || [ -z "$$syn" ]; then fail=1; [ -n "$$f" ] || failed=$$((failed + 1)); fi; \
	done; \
	if [ -n "$$(ls -A $(SAN_LOGS))" ]; then \
	  echo "sanitizer reports:"; for f in $(SAN_LOGS)/*; do echo "--- $$f"; cat $$f; done; fail=1; failed=$$((failed + 1)); fi; \
	echo "$$passed passed, $$failed failed"; \
	[ $$fail = 0 ] || { echo "make test: FAILED"; exit 1; }

# ---------------------------------------------------------------- benchmarks
$(O)/rel/bench/%: tests/bench/%.c $(O)/rel/libuh.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) $(OPT_CFLAGS) -o $@ $^ $(PKG_LIBS)

bench-bins: $(BENCH_BINS)

bench: $(BENCH_BINS) $(O)/uh $(O)/.deps-bench
	@for b in $(BENCH_BINS); do \
	  UH_SHARED=$(SHARED) UH_BUILD=$(O) PYTHON_REF=$(PYTHON_REF) $$b || exit 1; done

# ---------------------------------------------------------------- fuzzing
FUZZ_CFLAGS := $(BASE_CFLAGS) $(PKG_CFLAGS) -O1 -fno-omit-frame-pointer \
	-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all
$(O)/fuzz/%.o: %.c $(O)/.deps-fuzz
	@mkdir -p $(@D)
	$(CLANG) $(FUZZ_CFLAGS) -c $< -o $@

$(O)/fuzz/bin/%: tests/fuzz/%.c $(FUZZ_OBJS)
	@mkdir -p $(@D)
	$(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $^ $(PKG_LIBS)

fuzz: $(FUZZ_BINS)

FUZZ_SECONDS ?= 20
fuzz-run: $(FUZZ_BINS)
	@for f in $(FUZZ_BINS); do \
	  n=$$(basename $$f); corpus=$(O)/fuzz/corpus/$$n; mkdir -p $$corpus; \
	  [ -d tests/fuzz/corpus/$$n ] && cp -r tests/fuzz/corpus/$$n/. $$corpus/; \
	  echo "== fuzz $$n for $(FUZZ_SECONDS)s"; \
	  $$f -max_total_time=$(FUZZ_SECONDS) -max_len=65536 -rss_limit_mb=2048 -print_final_stats=1 $$corpus 2>$(O)/fuzz/$$n.log \
	    || { tail -50 $(O)/fuzz/$$n.log; exit 1; }; \
	  grep -E '^(stat::number_of_executed_units|Done)' $(O)/fuzz/$$n.log | tail -2; \
	done

# ---------------------------------------------------------------- checks
hdrcheck: $(DEPS_STAMP)
	@for h in $(HDRS); do \
	  printf '#include "%s"\ntypedef int uh_hdrcheck_tu;\n' $$h | $(CC) $(BASE_CFLAGS) $(WARN) $(PKG_CFLAGS) -x c -fsyntax-only - || exit 1; \
	done; echo "hdrcheck: $(words $(HDRS)) headers compile on their own"

# ---------------------------------------------------------------- the main job
# The command users type, on the embedded default: synthetic TOFU data, an
# n-gram model trained on `full` (the model under test) and one on retain95
# (the reference), both evaluated, stored and compared. No download, no server.
UH_DB ?= $(O)/uh.db
run: $(O)/uh $(O)/uh-run
	UH_DB=$(UH_DB) $(O)/uh-run --suite tofu --split forget05

clean:
	rm -rf $(O)

-include $(REL_OBJS:.o=.d) $(SAN_OBJS:.o=.d) $(O)/rel/harness/main.d $(TEST_BINS:=.d) $(O)/san/tests/testutil.d
