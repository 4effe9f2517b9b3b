# flamekit build. `make` builds build/flamekit; `make test` runs the unit tests (cmocka)
# and the end-to-end tests under t/ (TAP, run by prove); `make demo` records the demo
# program (examples/demo/demo.c); `make fuzz` builds and runs the libFuzzer targets;
# `make bench` runs the benchmarks. SAN=1 builds with AddressSanitizer + UndefinedBehaviorSanitizer.
# Every target first makes sure the Debian packages in packages.txt are installed.

CC ?= cc
BUILD ?= build
ifeq ($(SAN),1)
BUILD := build-san
endif
VERSION := 0.1.0
PKGS := libdw libelf zlib jansson libprotobuf-c libmicrohttpd sqlite3 libcurl libpq
OPT ?= -O2
WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wno-unused-parameter
CFLAGS_ALL := -std=c11 -D_DEFAULT_SOURCE -g $(OPT) $(WARN) -DFK_VERSION='"$(VERSION)"' -I$(BUILD)/gen $(shell pkg-config --cflags libpq 2>/dev/null || echo -I/usr/include/postgresql) $(CFLAGS)
LDLIBS_ALL := $(shell pkg-config --libs $(PKGS) 2>/dev/null || echo -ldw -lelf -lz -ljansson -lprotobuf-c -lmicrohttpd -lsqlite3 -lcurl -lpq) -liberty -lpthread -lm $(LDLIBS)
ifeq ($(SAN),1)
CFLAGS_ALL += -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
LDFLAGS += -fsanitize=address,undefined
endif

LIB_SRC := $(sort $(wildcard src/util/*.c src/stack/*.c src/input/*.c src/output/*.c src/symbol/*.c src/sample/*.c src/server/*.c src/agent/*.c))
CMD_SRC := $(sort $(wildcard src/cmd/*.c))
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
# The flame graph viewer (every file in src/output/viewer/) is compiled in:
# scripts/embed-assets.sh turns the files into $(BUILD)/gen/viewer_assets.c.
VIEWER_FILES := $(sort $(wildcard src/output/viewer/*))
VIEWER_GEN := $(BUILD)/gen/viewer_assets.c
LIB_OBJ += $(BUILD)/obj/gen/viewer_assets.o
# The web UI of `flamekit serve` (every file in src/server/ui/), compiled in the same way
# into $(BUILD)/gen/ui_assets.c.
UI_FILES := $(sort $(wildcard src/server/ui/*))
UI_GEN := $(BUILD)/gen/ui_assets.c
LIB_OBJ += $(BUILD)/obj/gen/ui_assets.o
# pprof's message types: protoc-c turns src/proto/profile.proto into
# $(BUILD)/gen/profile.pb-c.{c,h} (included as "profile.pb-c.h").
PROTO_GEN := $(BUILD)/gen/profile.pb-c.c $(BUILD)/gen/profile.pb-c.h
LIB_OBJ += $(BUILD)/obj/gen/profile.pb-c.o
CMD_OBJ := $(CMD_SRC:%.c=$(BUILD)/obj/%.o) $(BUILD)/obj/src/flamekit.o
UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
FIXTURE_SRC := $(sort $(wildcard tests/fixtures/*.c))
FIXTURE_BIN := $(FIXTURE_SRC:tests/fixtures/%.c=$(BUILD)/fixtures/%) $(BUILD)/fixtures/rec_shares_nofp
# Helper programs of the end-to-end tests (tests/tools/), linked with flamekit's library.
TOOL_SRC := $(sort $(wildcard tests/tools/*.c))
TOOL_BIN := $(TOOL_SRC:tests/tools/%.c=$(BUILD)/tools/%)
DEPS_STAMP := $(BUILD)/.deps-ok
# The LD_PRELOAD library of `flamekit record --alloc/--lock` (src/preload/), loaded into
# the profiled program: linked with nothing else of flamekit, and never built with the
# sanitizers (SAN=1 does not apply to it: ASan has to be the first library a program
# loads, so an ASan-built preload library would not load).
PRELOAD_LIB := $(BUILD)/libflamekit-preload.so
PRELOAD_SRC := $(sort $(wildcard src/preload/*.c))
PRELOAD_CFLAGS := -std=c11 -fPIC -shared -O2 -g -fno-omit-frame-pointer -fvisibility=hidden \
	-ftls-model=initial-exec $(WARN) $(CFLAGS)

.PHONY: all deps test unit e2e demo fuzz bench clean check-clang install uninstall
all: $(BUILD)/flamekit $(PRELOAD_LIB)

deps: $(DEPS_STAMP)
$(DEPS_STAMP): packages.txt scripts/deps.sh
	@./scripts/deps.sh packages.txt
	@mkdir -p $(@D) && touch $@

$(BUILD)/obj/%.o: %.c $(DEPS_STAMP) | $(PROTO_GEN)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) -MMD -MP -c $< -o $@

$(VIEWER_GEN): $(VIEWER_FILES) src/output/viewer scripts/embed-assets.sh
	@mkdir -p $(@D)
	./scripts/embed-assets.sh $@ $(VIEWER_FILES)

$(UI_GEN): $(UI_FILES) src/server/ui scripts/embed-assets.sh
	@mkdir -p $(@D)
	./scripts/embed-assets.sh $@ $(UI_FILES)

$(BUILD)/obj/gen/ui_assets.o: $(UI_GEN)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) -c $< -o $@

$(PROTO_GEN) &: src/proto/profile.proto $(DEPS_STAMP)
	@mkdir -p $(BUILD)/gen
	protoc-c --c_out=$(BUILD)/gen --proto_path=src/proto src/proto/profile.proto

$(BUILD)/obj/gen/profile.pb-c.o: $(BUILD)/gen/profile.pb-c.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) -c $< -o $@

$(BUILD)/obj/gen/viewer_assets.o: $(VIEWER_GEN)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) -c $< -o $@

$(BUILD)/flamekit: $(CMD_OBJ) $(LIB_OBJ)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS_ALL)

$(BUILD)/tests/%: tests/unit/%.c $(LIB_OBJ) $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) $(LDFLAGS) -o $@ $< $(LIB_OBJ) $(LDLIBS_ALL) -lcmocka

$(BUILD)/tools/%: tests/tools/%.c $(LIB_OBJ) $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) $(LDFLAGS) -o $@ $< $(LIB_OBJ) $(LDLIBS_ALL)

# Programs the tests profile or symbolize: optimized, with DWARF and frame pointers.
# rec_shares_nofp is rec_shares.c built without frame pointers (for --call-graph dwarf).
$(BUILD)/fixtures/%: tests/fixtures/%.c $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CC) -O2 -g -fno-omit-frame-pointer -pthread -o $@ $< -lm

$(BUILD)/fixtures/rec_shares_nofp: tests/fixtures/rec_shares.c $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CC) -O2 -g -fomit-frame-pointer -pthread -o $@ $< -lm

$(PRELOAD_LIB): $(PRELOAD_SRC) $(wildcard src/preload/*.h) $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(PRELOAD_CFLAGS) -o $@ $(PRELOAD_SRC) -ldl -lpthread -lm

test: $(BUILD)/flamekit $(PRELOAD_LIB) $(UNIT_BIN) $(FIXTURE_BIN) $(TOOL_BIN)
	@BUILD=$(BUILD) ./scripts/run-tests.sh $(UNIT_BIN)

# The demo program (examples/demo/demo.c), built for profiling: optimized, with DWARF
# and frame pointers.
$(BUILD)/demo: examples/demo/demo.c $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CC) -O2 -g -fno-omit-frame-pointer -mno-omit-leaf-frame-pointer -o $@ $<

# make demo: records the demo program for 3 s at 997 Hz. Where flamekit may not sample
# (kernel.perf_event_paranoid 3 for non-root users, as on stock Debian kernels), it says
# so and draws the bundled capture examples/demo.perf.txt.gz instead.
demo: $(BUILD)/flamekit $(BUILD)/demo
	@mkdir -p out
	$(BUILD)/flamekit record -F 997 -o out/demo.svg -o out/demo.folded --title "flamekit demo" -- $(BUILD)/demo 3 || { \
		echo "demo: flamekit record failed (see above); drawing the bundled capture examples/demo.perf.txt.gz instead" >&2; \
		$(BUILD)/flamekit collapse -o out/demo.folded examples/demo.perf.txt.gz && \
		$(BUILD)/flamekit flamegraph --title "flamekit demo (bundled capture)" -o out/demo.svg out/demo.folded; }
	@echo "demo: flame graph:   $$(pwd)/out/demo.svg"
	@echo "demo: folded stacks: $$(pwd)/out/demo.folded"

# libFuzzer targets (clang); FUZZ_SECONDS per target.
FUZZ_SECONDS ?= 20
FUZZ_TARGETS := $(patsubst fuzz/fuzz_%.c,%,$(wildcard fuzz/fuzz_*.c))
fuzz: $(DEPS_STAMP)
	@./scripts/fuzz.sh $(FUZZ_SECONDS) $(FUZZ_TARGETS)

bench: $(BUILD)/flamekit $(PRELOAD_LIB) $(BUILD)/fixtures/alloc_fixture $(BUILD)/tools/fk-push $(BUILD)/tools/alert-bench
	./bench/collapse.sh
	./bench/flamegraph.sh
	BUILD=$(BUILD) CC="$(CC)" FLAMEKIT=$(BUILD)/flamekit ./bench/record.sh
	BUILD=$(BUILD) CC="$(CC)" FLAMEKIT=$(BUILD)/flamekit ./bench/offcpu.sh
	BUILD=$(BUILD) ./bench/alloc.sh
	CC="$(CC)" FLAMEKIT=$(BUILD)/flamekit ./bench/python.sh
	FLAMEKIT=$(BUILD)/flamekit FK_PUSH=$(BUILD)/tools/fk-push ./bench/serve.sh
	ALERT_BENCH=$(BUILD)/tools/alert-bench ./bench/alerts.sh
	BUILD=$(BUILD) CC="$(CC)" FLAMEKIT=$(BUILD)/flamekit ./bench/agent.sh

# The tree must build warning-free with clang too.
check-clang: $(DEPS_STAMP)
	$(MAKE) BUILD=build-clang CC=clang all

# make install [PREFIX=/usr/local] [DESTDIR=]: the binary, links named after the Perl
# scripts it replaces, the man page and bash completion.
PREFIX ?= /usr/local
ALIASES := stackcollapse-perf stackcollapse flamegraph difffolded
install: $(BUILD)/flamekit $(PRELOAD_LIB)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 \
		$(DESTDIR)$(PREFIX)/share/bash-completion/completions $(DESTDIR)$(PREFIX)/lib/flamekit
	install -m 755 $(BUILD)/flamekit $(DESTDIR)$(PREFIX)/bin/flamekit
	install -m 644 $(PRELOAD_LIB) $(DESTDIR)$(PREFIX)/lib/flamekit/libflamekit-preload.so
	for a in $(ALIASES); do ln -sf flamekit $(DESTDIR)$(PREFIX)/bin/$$a; done
	install -m 644 doc/flamekit.1 $(DESTDIR)$(PREFIX)/share/man/man1/flamekit.1
	install -m 644 completions/flamekit.bash \
		$(DESTDIR)$(PREFIX)/share/bash-completion/completions/flamekit

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/flamekit $(DESTDIR)$(PREFIX)/share/man/man1/flamekit.1 \
		$(DESTDIR)$(PREFIX)/share/bash-completion/completions/flamekit \
		$(DESTDIR)$(PREFIX)/lib/flamekit/libflamekit-preload.so
	-rmdir $(DESTDIR)$(PREFIX)/lib/flamekit 2>/dev/null
	for a in $(ALIASES); do rm -f $(DESTDIR)$(PREFIX)/bin/$$a; done

clean:
	rm -rf build build-san build-clang build-fuzz out

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
