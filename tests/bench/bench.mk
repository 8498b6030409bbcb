# SPDX-License-Identifier: GPL-2.0
#
# make bench: vdused against its peers (qemu-storage-daemon, vdpa_sim_blk,
# brd, null_blk; veth for the network) in one boot of the product image,
# so that ratios hold on a noisy machine.  See docs/bench.md.
#
#   make bench          the whole plan (about 13 minutes under TCG on 2 cores)
#                       into $(O)/bench: report.md, results.json, chart.png
#   make bench-smoke    one short job per device and path, for make test:
#                       PASS/FAIL lines, asserts no speed
#
# Variables: ACCEL=kvm, BENCH_MEM (MiB, default 2048), BENCH_SMP (default 2),
# BENCH_RUNTIME (seconds per job, default 4), BENCH_REPS (default 3),
# BENCH_JOBS (default "rr1 rr32 rw32 sr8 sw8 mq"), BENCH_APPEND (guest
# kernel arguments).
#
# The bench payload (Debian's dynamic fio, iperf3, qemu-storage-daemon and
# vdpa with their libraries) is appended to the initramfs for the bench
# boot only; the product image stays static and small.

BENCH_OBJ := $(BUILD)/bench
BENCH_OUT := $(O)/bench
BENCH_SMOKE_OUT := $(O)/tests/bench-smoke

DEPS_PKGS += fio iperf3 qemu-system-common gnuplot-nox iproute2

#
# The bench vdused: the daemon's own objects, linked with a table that adds
# tests/bench/devices.config (bnull, bram, bfile) to the board's, as
# tests.mk does for the guest tests' vdused.
#
BENCH_VDUSED_OBJ := $(BENCH_OBJ)/vdused
BENCH_VDUSED := $(BENCH_VDUSED_OBJ)/vdused

$(eval $(call vdused-variant,bench,$(BENCH_VDUSED_OBJ),$(SRC)/tests/bench/devices.config))
prepare: $(BENCH_VDUSED_OBJ)/devtable.c

# Our own static tools for the guest (tcprr: TCP request/response rate).
BENCH_TOOLS := $(BENCH_OBJ)/tools/tcprr

$(eval $(call compile-rule,$(BENCH_OBJ)/tools,$(SRC)/tests/bench,VDUSED_CC,TOOL_CFLAGS,CC))
DEP_FILES += $(BENCH_TOOLS:=.d)

$(BENCH_TOOLS): %: %.o
	@$(call msg,LD,$(patsubst $(BUILD)/%,%,$@))
	$(Q)$(VDUSED_CC) -static -o $@ $<

test-binaries: $(BENCH_VDUSED) $(BENCH_TOOLS)

BENCH_MEM ?= 2048
BENCH_SMP ?= 2
BENCH_TIMEOUT ?= 1800
BENCH_SMOKE_TIMEOUT ?= 600
BENCH_ENV = SRC=$(SRC) O=$(O) BUILD=$(BUILD) IMAGES=$(IMAGES) \
	BOARD_QEMU=$(BOARD_QEMU) GEN_INIT_CPIO=$(GEN_INIT_CPIO) \
	BENCH_VDUSED=$(BENCH_VDUSED) BENCH_CONFIG=$(BENCH_VDUSED_OBJ)/.config \
	PRODUCT_VDUSED=$(VDUSED) BENCH_TOOLS="$(BENCH_TOOLS)" \
	ACCEL=$(ACCEL) MEM=$(BENCH_MEM) SMP=$(BENCH_SMP) \
	BENCH_RUNTIME=$(BENCH_RUNTIME) BENCH_REPS=$(BENCH_REPS) BENCH_JOBS="$(BENCH_JOBS)" \
	BENCH_APPEND="$(BENCH_APPEND)"

BENCH_PREREQS := all $(GEN_INIT_CPIO) $(BENCH_VDUSED) $(BENCH_TOOLS)

bench: $(BENCH_PREREQS)
	$(Q)$(BENCH_ENV) TIMEOUT=$(BENCH_TIMEOUT) $(SRC)/tests/bench/run.sh full $(BENCH_OUT)

bench-smoke: $(BENCH_PREREQS)
	$(Q)mkdir -p $(O)/tests
	$(Q)$(BENCH_ENV) TIMEOUT=$(BENCH_SMOKE_TIMEOUT) $(SRC)/tests/bench/run.sh smoke \
		$(BENCH_SMOKE_OUT) | tee $(O)/tests/bench-smoke.results
	$(Q)$(SRC)/tests/report.sh $(O)/tests/bench-smoke.results

.PHONY: bench bench-smoke
