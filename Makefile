# Lucia — build, test and run.
#
#   make            optimised binary at build/release/lucia
#   make run        install deps, build, load the demo data and serve
#   make check      install deps, build under ASan+UBSan, run every test
#
# Everything builds from Debian packages; scripts/deps.sh installs them.

PKGS      := libmicrohttpd jansson sqlite3 openssl libcurl libpq hiredis
CC        ?= cc
WARN      := -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
             -Wno-unused-parameter
INC       := -Isrc -Ibuild/gen
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lpthread -lm

VERSION   := $(shell cat VERSION 2>/dev/null || echo 0.0.0)

LIB_SRC   := $(sort $(shell find src -name '*.c' ! -name main.c))
UNIT_SRC  := $(sort $(wildcard tests/unit/test_*.c))
EMBED_IN  := $(sort $(shell find sql -type f -name '*.sql' 2>/dev/null) \
                    $(shell find admin -type f 2>/dev/null))

REL_DIR   := build/release
SAN_DIR   := build/asan
REL_FLAGS := -O2 -g -DNDEBUG_NEVER
SAN_FLAGS := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
             -fno-sanitize-recover=undefined

.PHONY: all release asan unit check run deps clean format bench

all: release
release: $(REL_DIR)/lucia
asan: $(SAN_DIR)/lucia $(patsubst tests/unit/%.c,$(SAN_DIR)/tests/%,$(UNIT_SRC))

# --- generated: SQL migrations and static files embedded in the binary -----
build/gen/embed_tool: tools/embed.c
	@mkdir -p $(dir $@)
	$(CC) -O1 $(WARN) -o $@ $<

build/gen/embedded.c: build/gen/embed_tool $(EMBED_IN)
	build/gen/embed_tool $(EMBED_IN) > $@.tmp && mv $@.tmp $@

# --- objects ------------------------------------------------------------
define objrules
$(1)/obj/%.o: %.c
	@mkdir -p $$(dir $$@)
	$$(CC) $(2) $$(WARN) $$(INC) $$(PKG_CFLAGS) -DLU_VERSION='"$$(VERSION)"' -MMD -MP -c -o $$@ $$<
$(1)/obj/embedded.o: build/gen/embedded.c
	@mkdir -p $$(dir $$@)
	$$(CC) $(2) -std=c11 -c -o $$@ $$<
$(1)/lucia: $(patsubst %.c,$(1)/obj/%.o,$(LIB_SRC) src/main.c) $(1)/obj/embedded.o
	$$(CC) $(2) -rdynamic -o $$@ $$^ $$(PKG_LIBS)
$(1)/tests/%: $(1)/obj/tests/unit/%.o $(patsubst %.c,$(1)/obj/%.o,$(LIB_SRC)) $(1)/obj/embedded.o
	@mkdir -p $$(dir $$@)
	$$(CC) $(2) -o $$@ $$^ $$(PKG_LIBS) -lcmocka
endef
$(eval $(call objrules,$(REL_DIR),$(REL_FLAGS)))
$(eval $(call objrules,$(SAN_DIR),$(SAN_FLAGS)))

-include $(shell find build -name '*.d' 2>/dev/null)

deps:
	@scripts/deps.sh

JOBS      := $(shell nproc 2>/dev/null || echo 2)

run: deps
	@$(MAKE) --no-print-directory -j$(JOBS) release
	@scripts/run-demo.sh

check: deps
	@$(MAKE) --no-print-directory -j$(JOBS) asan release
	@tests/run.sh

# --- fuzzing (tests/fuzz/): libFuzzer drivers, clang only ---------------
# `make fuzz` runs each driver for FUZZ_SECONDS on its committed seed corpus
# (tests/fuzz/corpus/<target>/, new finds go to build/fuzz/corpus/); a crash
# stops the run with the input saved under build/fuzz/. tests/run.sh replays
# the seed corpora only (`make fuzz-build`, then each driver over its seeds).
FUZZ_CC      := clang
FUZZ_DIR     := build/fuzz
FUZZ_SECONDS ?= 20
FUZZ_FLAGS   := -O1 -g -fno-omit-frame-pointer -fsanitize=fuzzer-no-link,address,undefined \
                -fno-sanitize-recover=undefined
FUZZ_SRC     := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BINS    := $(patsubst tests/fuzz/%.c,$(FUZZ_DIR)/%,$(FUZZ_SRC))
FUZZ_OBJS    := $(patsubst %.c,$(FUZZ_DIR)/obj/%.o,$(LIB_SRC)) $(FUZZ_DIR)/obj/embedded.o

$(FUZZ_DIR)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) $(filter-out -Werror,$(WARN)) $(INC) $(PKG_CFLAGS) \
	  -DLU_VERSION='"$(VERSION)"' -MMD -MP -c -o $@ $<
$(FUZZ_DIR)/obj/embedded.o: build/gen/embedded.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) -std=c11 -c -o $@ $<
$(FUZZ_DIR)/fuzz_%: $(FUZZ_DIR)/obj/tests/fuzz/fuzz_%.o $(FUZZ_OBJS)
	@echo "  LINK $@"
	@$(FUZZ_CC) -fsanitize=fuzzer,address,undefined -o $@ $^ $(PKG_LIBS)

.PHONY: fuzz fuzz-build
fuzz-build: $(FUZZ_BINS)
fuzz: fuzz-build
	@for b in $(FUZZ_BINS); do \
	  t=$${b#$(FUZZ_DIR)/fuzz_}; mkdir -p $(FUZZ_DIR)/corpus/$$t; \
	  echo "== fuzz $$t ($(FUZZ_SECONDS) s)"; rm -f $(FUZZ_DIR)/crash-$$t-*; \
	  $$b -max_total_time=$(FUZZ_SECONDS) -timeout=10 -rss_limit_mb=2048 \
	    -artifact_prefix=$(FUZZ_DIR)/crash-$$t- $(FUZZ_DIR)/corpus/$$t tests/fuzz/corpus/$$t \
	    2>&1 | grep -E '^(#[0-9]+ +DONE|==[0-9]+==ERROR|SUMMARY|Done)' || true; \
	  ls $(FUZZ_DIR)/crash-$$t-* >/dev/null 2>&1 && { echo "fuzz $$t: crash found"; exit 1; }; \
	done; echo "fuzz: no crash"

# Benchmarks with their references (nginx, single fsync, redis-benchmark,
# pgbench) in the same run; minutes, on purpose, never part of `check`.
bench:
	@bench/run

format:
	clang-format -i $$(find src tests tools -name '*.[ch]')

clean:
	rm -rf build
