# SPDX-License-Identifier: GPL-2.0
#
# make test: host unit tests (ASan + UBSan), build checks, then the in-guest
# scenarios of tests/qemu/ booted through the board's QEMU line.  Every
# check prints one "PASS name" or "FAIL name: why" line into a results file
# under $(O)/tests; tests/report.sh counts them into "N passed, N failed, N skipped".

TESTS_OBJ := $(BUILD)/tests
TESTS_OUT := $(O)/tests
UNIT_OBJ := $(TESTS_OBJ)/unit

DEPS_PKGS += e2fsck-static e2fsprogs

#
# Unit tests: each tests/unit/test_*.c is one binary, linked with every
# runtime source (host gcc, sanitizers) and the non-test helpers beside it.
#
UNIT_TEST_SRCS := $(wildcard $(SRC)/tests/unit/test_*.c)
UNIT_HELPER_SRCS := $(filter-out $(UNIT_TEST_SRCS),$(wildcard $(SRC)/tests/unit/*.c))
UNIT_TESTS := $(patsubst $(SRC)/tests/unit/%.c,$(UNIT_OBJ)/%,$(UNIT_TEST_SRCS))
UNIT_LIB_OBJS := $(call objs-of,$(UNIT_OBJ)/runtime,$(SRC)/runtime,$(RUNTIME_LIB_SRCS))
UNIT_HELPER_OBJS := $(call objs-of,$(UNIT_OBJ),$(SRC)/tests/unit,$(UNIT_HELPER_SRCS))
UNIT_CC := gcc
UNIT_CFLAGS := -std=gnu11 -O1 -g -fno-omit-frame-pointer \
	-fsanitize=address,undefined -fno-sanitize-recover=all \
	$(RUNTIME_WARN) $(RUNTIME_INC) -I$(SRC)/tests/unit

$(eval $(call compile-rule,$(UNIT_OBJ)/runtime,$(SRC)/runtime,UNIT_CC,UNIT_CFLAGS,HOSTCC))
$(eval $(call compile-rule,$(UNIT_OBJ),$(SRC)/tests/unit,UNIT_CC,UNIT_CFLAGS,HOSTCC))
DEP_FILES += $(UNIT_LIB_OBJS:.o=.d) $(UNIT_HELPER_OBJS:.o=.d) $(UNIT_TESTS:=.d)

$(UNIT_OBJ)/libvdused.a: $(UNIT_LIB_OBJS)
	$(Q)rm -f $@ && ar rcs $@ $^

$(UNIT_TESTS): $(UNIT_OBJ)/%: $(UNIT_OBJ)/%.o $(UNIT_HELPER_OBJS) $(UNIT_OBJ)/libvdused.a
	@$(call msg,HOSTLD,tests/unit/$*)
	$(Q)$(UNIT_CC) $(UNIT_CFLAGS) -o $@ $^

unit-tests-build: $(UNIT_TESTS)

unit-tests: unit-tests-build
	$(Q)mkdir -p $(TESTS_OUT)
	$(Q)$(SRC)/tests/unit/run.sh $(UNIT_TESTS) | tee $(TESTS_OUT)/unit.results
	$(Q)$(SRC)/tests/report.sh $(TESTS_OUT)/unit.results

#
# The guest tests' vdused: the daemon's own objects, linked with a table
# that adds tests/qemu/harness/devices.config to the board's (a read-only device, a
# vhost one), so the product image keeps exactly the board's table.
#
TEST_VDUSED_OBJ := $(TESTS_OBJ)/vdused
TEST_VDUSED := $(TEST_VDUSED_OBJ)/vdused

$(eval $(call vdused-variant,test,$(TEST_VDUSED_OBJ),$(SRC)/tests/qemu/harness/devices.config))
prepare: $(TEST_VDUSED_OBJ)/devtable.c

# The converse of the flush-durability boots: the same test vdused with
# FLUSH compiled out of the file backend, so that the noflush boots can
# show that without FLUSH an acknowledged write is lost in a crash.
NOFLUSH_OBJ := $(TESTS_OBJ)/vdused-noflush
TEST_VDUSED_NOFLUSH := $(NOFLUSH_OBJ)/vdused
NOFLUSH_CFLAGS := $(VDUSED_CFLAGS) -DVDUSED_TEST_NO_FLUSH

$(eval $(call compile-rule,$(NOFLUSH_OBJ),$(SRC)/runtime,VDUSED_CC,NOFLUSH_CFLAGS,CC))
DEP_FILES += $(NOFLUSH_OBJ)/backends/blk/file.d

$(TEST_VDUSED_NOFLUSH): $(filter-out $(RUNTIME_OBJ)/backends/blk/file.o,$(RUNTIME_OBJS)) \
		$(NOFLUSH_OBJ)/backends/blk/file.o $(TEST_VDUSED_OBJ)/devtable.o
	@$(call msg,LD,test vdused-noflush)
	$(Q)$(VDUSED_CC) $(VDUSED_LDFLAGS) -o $@ $^

# Static test tools that run in the guest (tests/tools/*.c, one binary each).
TOOL_CFLAGS := -std=gnu11 -Os -static $(RUNTIME_WARN) -isystem $(KERNEL_HDR)/include
TEST_TOOLS := $(patsubst $(SRC)/tests/tools/%.c,$(TESTS_OBJ)/tools/%,$(wildcard $(SRC)/tests/tools/*.c))

$(eval $(call compile-rule,$(TESTS_OBJ)/tools,$(SRC)/tests/tools,VDUSED_CC,TOOL_CFLAGS,CC))
DEP_FILES += $(TEST_TOOLS:=.d)

$(TEST_TOOLS): %: %.o
	@$(call msg,LD,$(patsubst $(BUILD)/%,%,$@))
	$(Q)$(VDUSED_CC) -static -o $@ $<

#
# In-guest scenarios.  run.sh builds a test cpio per boot, appends it to
# the image's initramfs, boots through $(BOARD_QEMU) with a time limit and
# collects each scenario's result line.
#
# Seconds per boot; empty: the sum of its scenarios' limits plus 180.
QEMU_TEST_TIMEOUT ?=
QEMU_TESTS_ENV = ONLY="$(ONLY)" SRC=$(SRC) O=$(O) BUILD=$(BUILD) IMAGES=$(IMAGES) \
	BOARD_QEMU=$(BOARD_QEMU) GEN_INIT_CPIO=$(GEN_INIT_CPIO) \
	TIMEOUT=$(QEMU_TEST_TIMEOUT) TEST_TOOLS="$(TEST_TOOLS)" \
	TEST_VDUSED=$(TEST_VDUSED) TEST_VDUSED_NOFLUSH=$(TEST_VDUSED_NOFLUSH)

qemu-tests: all $(GEN_INIT_CPIO) $(TEST_TOOLS) $(TEST_VDUSED) $(TEST_VDUSED_NOFLUSH)
	$(Q)mkdir -p $(TESTS_OUT)
	$(Q)$(QEMU_TESTS_ENV) $(SRC)/tests/qemu/harness/run.sh $(BOOTS) | tee $(TESTS_OUT)/qemu.results
	$(Q)$(SRC)/tests/report.sh $(TESTS_OUT)/qemu.results

# Device-table checks: they need only the configuration, so they run
# before anything is built.
table-tests:
	$(Q)mkdir -p $(TESTS_OUT)
	$(Q)SRC=$(SRC) O=$(O) MAKE="$(MAKE)" $(SRC)/tests/build/tables.sh | tee $(TESTS_OUT)/table.results
	$(Q)$(SRC)/tests/report.sh $(TESTS_OUT)/table.results

# Every binary of every flavour: the build checks touch headers and watch
# which of them rebuild (bench.mk adds its own).
test-binaries: all unit-tests-build fuzz-build $(TEST_VDUSED) $(TEST_VDUSED_NOFLUSH) $(TEST_TOOLS)

# Build-system checks (fresh machine, parallel build from nothing,
# savedefconfig round trip, no-op rebuild, header tracking, version,
# clean tree).
build-tests: test-binaries
	$(Q)mkdir -p $(TESTS_OUT)
	$(Q)SRC=$(SRC) O=$(O) BUILD=$(BUILD) MAKE="$(MAKE)" $(SRC)/tests/build/run.sh | \
		tee $(TESTS_OUT)/build.results
	$(Q)$(SRC)/tests/report.sh $(TESTS_OUT)/build.results

# The CI entry point.  Every stage runs even when an earlier one failed;
# a stage that cannot even build reports itself as one failed check.
test:
	$(Q)rm -rf $(TESTS_OUT) && mkdir -p $(TESTS_OUT)
	$(Q)for stage in table-tests unit-tests fuzz build-tests qemu-tests bench-smoke; do \
		$(call msg,TEST,$$stage); \
		$(MAKE) -f $(SRC)/Makefile O=$(O) $$stage >$(TESTS_OUT)/$$stage.log 2>&1; rc=$$?; \
		grep -E '^(PASS|FAIL|SKIP) ' $(TESTS_OUT)/$$stage.log; \
		if [ $$rc != 0 ] && ! grep -q '^FAIL ' $(TESTS_OUT)/$$stage.log; then \
			echo "FAIL $$stage: make $$stage failed (status $$rc); see $(TESTS_OUT)/$$stage.log" | \
				tee $(TESTS_OUT)/$$stage.error; tail -15 $(TESTS_OUT)/$$stage.log; fi; \
	done; \
	$(SRC)/tests/report.sh $(TESTS_OUT)/*.results $(TESTS_OUT)/*.error

.PHONY: unit-tests unit-tests-build qemu-tests table-tests test-binaries build-tests test

#
# Fuzz targets: each tests/fuzz/fuzz_*.c is a libFuzzer binary (clang)
# linked with the runtime and the unit-test helpers.  Instead of
# runtime/core/log.c they link tests/fuzz/log_sink.c, and stat_line() is
# wrapped into it (log_sink.h): nothing is written per input.
#
# make fuzz first replays each target's committed corpus
# (tests/fuzz/corpus/<target>/, copied to $(O)/fuzz/<target>/seed so the
# source tree is never written; VDFW_FUZZ_TWICE=1, so targets that know it
# also prove their reset restores state): a crash, or no committed input
# at all, is a FAIL.  Then each runs for FUZZ_SECONDS from that corpus
# plus the scratch one ($(O)/fuzz/<target>/corpus, where new inputs go); a
# crash or sanitizer report is a FAIL and leaves the reproducer in
# $(O)/fuzz/<target>/.
#
FUZZ_OBJ := $(TESTS_OBJ)/fuzz
FUZZ_SECONDS ?= 30
FUZZ_SRCS := $(wildcard $(SRC)/tests/fuzz/fuzz_*.c)
FUZZ_TARGETS := $(patsubst $(SRC)/tests/fuzz/%.c,$(FUZZ_OBJ)/%,$(FUZZ_SRCS))
FUZZ_LIB_OBJS := $(call objs-of,$(FUZZ_OBJ)/runtime,$(SRC)/runtime,\
	$(filter-out $(SRC)/runtime/core/log.c,$(RUNTIME_LIB_SRCS)))
FUZZ_HELPER_OBJS := $(call objs-of,$(FUZZ_OBJ)/unit,$(SRC)/tests/unit,$(UNIT_HELPER_SRCS)) \
	$(FUZZ_OBJ)/log_sink.o
FUZZ_CC := clang
FUZZ_CFLAGS := -std=gnu11 -g -O1 -fsanitize=fuzzer-no-link,address,undefined \
	-fno-sanitize-recover=all $(RUNTIME_WARN) $(RUNTIME_INC) -I$(SRC)/tests/unit
FUZZ_LDFLAGS := -fsanitize=fuzzer -Wl,--wrap=stat_line

# libFuzzer's and ASan's runtimes are in libclang-rt-14-dev, which clang
# only recommends.
DEPS_PKGS += clang libclang-rt-14-dev

$(eval $(call compile-rule,$(FUZZ_OBJ)/runtime,$(SRC)/runtime,FUZZ_CC,FUZZ_CFLAGS,FUZZ-CC))
$(eval $(call compile-rule,$(FUZZ_OBJ)/unit,$(SRC)/tests/unit,FUZZ_CC,FUZZ_CFLAGS,FUZZ-CC))
$(eval $(call compile-rule,$(FUZZ_OBJ),$(SRC)/tests/fuzz,FUZZ_CC,FUZZ_CFLAGS,FUZZ-CC))
DEP_FILES += $(FUZZ_LIB_OBJS:.o=.d) $(FUZZ_HELPER_OBJS:.o=.d) $(FUZZ_TARGETS:=.d)

$(FUZZ_OBJ)/libvdused.a: $(FUZZ_LIB_OBJS)
	$(Q)rm -f $@ && ar rcs $@ $^

$(FUZZ_TARGETS): %: %.o $(FUZZ_HELPER_OBJS) $(FUZZ_OBJ)/libvdused.a
	@$(call msg,FUZZ-LD,$(patsubst $(BUILD)/%,%,$@))
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_LDFLAGS) -o $@ $^

fuzz-build: $(FUZZ_TARGETS)

fuzz: fuzz-build
	$(Q)mkdir -p $(TESTS_OUT)
	$(Q)for f in $(FUZZ_TARGETS); do \
		n=$${f##*/}; d=$(O)/fuzz/$$n; c=$(SRC)/tests/fuzz/corpus/$$n; \
		rm -rf $$d/seed; mkdir -p $$d/corpus $$d/seed; \
		[ -d $$c ] && find $$c -maxdepth 1 -type f -exec cp {} $$d/seed/ \; ; \
		nr=$$(ls $$d/seed | wc -l); \
		if [ $$nr = 0 ]; then \
			echo "FAIL fuzz/$$n-replay: no committed corpus in tests/fuzz/corpus/$$n"; \
		elif (cd $$d && VDFW_FUZZ_TWICE=1 $$f seed/* >replay.log 2>&1); then \
			echo "PASS fuzz/$$n-replay: $$nr inputs"; \
		else \
			echo "FAIL fuzz/$$n-replay: $$(grep -m1 -E 'ERROR|runtime error|deadly signal' $$d/replay.log); see $$d/replay.log"; fi; \
		if (cd $$d && $$f -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 corpus seed >run.log 2>&1); then \
			echo "PASS fuzz/$$n: $$(grep -m1 -o 'stat::number_of_executed_units: *[0-9]*' $$d/run.log | grep -o '[0-9]*$$') runs in $(FUZZ_SECONDS)s"; \
		else \
			echo "FAIL fuzz/$$n: $$(grep -m1 -E 'ERROR|runtime error|deadly signal' $$d/run.log); see $$d/run.log"; fi; \
	done | tee $(TESTS_OUT)/fuzz.results
	$(Q)$(SRC)/tests/report.sh $(TESTS_OUT)/fuzz.results

.PHONY: fuzz fuzz-build

include $(SRC)/tests/bench/bench.mk
